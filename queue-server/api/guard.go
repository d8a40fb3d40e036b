package api

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Password guessing is slowed down twice over. Per address and login:
// after maxLoginFailures wrong passwords within loginWindow the pair is
// refused until the window since the first failure has passed; keying by the
// pair keeps a guesser from locking a kiosk or another login out. Per
// address across logins: after maxAddressFailures within the window the
// address is refused for every login, so trying a few passwords on many
// logins does not get around the first limit. An office shares one address
// behind NAT at most, and its staff do not mistype 30 times in ten minutes.
const (
	maxLoginFailures   = 5
	maxAddressFailures = 30
	loginWindow        = 10 * time.Minute
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

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// guardCounter is one count a login attempt is held against, with its limit.
type guardCounter struct {
	key   string
	limit int
}

// guardCounters are the counts an attempt from r at login is held against:
// the pair, then the address; without a login, the address alone.
func guardCounters(r *http.Request, login string) []guardCounter {
	host := remoteHost(r)
	if login == "" {
		return []guardCounter{{host, maxAddressFailures}}
	}
	return []guardCounter{{host + "\x00" + login, maxLoginFailures}, {host, maxAddressFailures}}
}

// check refuses an attempt whose pair or address failed too often lately.
func (g *loginGuard) check(r *http.Request, login string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range guardCounters(r, login) {
		f, ok := g.fails[c.key]
		if !ok || f.n < c.limit {
			continue
		}
		wait := f.first.Add(loginWindow).Sub(g.now())
		if wait <= 0 {
			delete(g.fails, c.key)
			continue
		}
		return domain.Errorf(domain.CodeUnauthorized, "слишком много неудачных попыток входа: попробуйте снова через %d мин", int(wait/time.Minute)+1)
	}
	return nil
}

// record counts a failed login against the pair and the address, or forgets
// the pair after a good one. The address keeps its count: one right password
// must not wipe out the guesses made on other logins.
func (g *loginGuard) record(r *http.Request, login string, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	counters := guardCounters(r, login)
	if ok {
		if login != "" {
			delete(g.fails, counters[0].key)
		}
		return
	}
	now := g.now()
	for _, c := range counters {
		f := g.fails[c.key]
		if f.n == 0 || now.Sub(f.first) > loginWindow {
			f = failures{first: now}
		}
		f.n++
		g.fails[c.key] = f
	}
	if len(g.fails) > guardEntries {
		for k, v := range g.fails {
			if now.Sub(v.first) > loginWindow {
				delete(g.fails, k)
			}
		}
	}
}
