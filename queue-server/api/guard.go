package api

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Password guessing is slowed down per address and login together: after
// maxLoginFailures wrong passwords within loginWindow the pair is refused
// until the window since the first failure has passed. Keying by the pair
// keeps a guesser from locking a kiosk or another login out.
const (
	maxLoginFailures = 5
	loginWindow      = 10 * time.Minute
	// guardEntries bounds the table; beyond it, stale entries are dropped.
	guardEntries = 10_000
)

type loginGuard struct {
	now   func() time.Time
	mu    sync.Mutex
	fails map[string]failures
}

type failures struct {
	n     int
	first time.Time
}

func newLoginGuard(now func() time.Time) *loginGuard {
	return &loginGuard{now: now, fails: map[string]failures{}}
}

func guardKey(r *http.Request, login string) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return host + "\x00" + login
}

// check refuses a pair that failed too often lately.
func (g *loginGuard) check(key string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	f, ok := g.fails[key]
	if !ok || f.n < maxLoginFailures {
		return nil
	}
	wait := f.first.Add(loginWindow).Sub(g.now())
	if wait <= 0 {
		delete(g.fails, key)
		return nil
	}
	return domain.Errorf(domain.CodeUnauthorized, "слишком много неудачных попыток входа: попробуйте снова через %d мин", int(wait/time.Minute)+1)
}

// record counts a failed login, or forgets the pair after a good one.
func (g *loginGuard) record(key string, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ok {
		delete(g.fails, key)
		return
	}
	now := g.now()
	f := g.fails[key]
	if f.n == 0 || now.Sub(f.first) > loginWindow {
		f = failures{first: now}
	}
	f.n++
	g.fails[key] = f
	if len(g.fails) > guardEntries {
		for k, v := range g.fails {
			if now.Sub(v.first) > loginWindow {
				delete(g.fails, k)
			}
		}
	}
}
