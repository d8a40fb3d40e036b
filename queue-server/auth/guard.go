package auth

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Password guessing is slowed down twice over. Per address and login:
// after MaxLoginFailures wrong passwords within LoginWindow the pair is
// refused until the window since the first failure has passed; keying by the
// pair keeps a guesser from locking a kiosk or another login out. Per
// address across logins: after MaxAddressFailures within the window the
// address is refused for every login, so trying a few passwords on many
// logins does not get around the first limit. An office shares one address
// behind NAT at most, and its staff do not mistype 30 times in ten minutes.
const (
	MaxLoginFailures   = 5
	MaxAddressFailures = 30
	LoginWindow        = 10 * time.Minute
	// guardEntries bounds the table; beyond it, stale entries are dropped.
	guardEntries = 10_000
)

// LoginGuard counts failed logins and refuses what the limits above stop:
// the office API and the regional server's pages both take one.
type LoginGuard struct {
	now   func() time.Time
	mu    sync.Mutex
	fails map[string]failures
}

type failures struct {
	n     int
	first time.Time
}

// NewLoginGuard makes a guard on the clock now.
func NewLoginGuard(now func() time.Time) *LoginGuard {
	return &LoginGuard{now: now, fails: map[string]failures{}}
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
		return []guardCounter{{host, MaxAddressFailures}}
	}
	return []guardCounter{{host + "\x00" + login, MaxLoginFailures}, {host, MaxAddressFailures}}
}

// Check refuses an attempt whose pair or address failed too often lately.
func (g *LoginGuard) Check(r *http.Request, login string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range guardCounters(r, login) {
		f, ok := g.fails[c.key]
		if !ok || f.n < c.limit {
			continue
		}
		wait := f.first.Add(LoginWindow).Sub(g.now())
		if wait <= 0 {
			delete(g.fails, c.key)
			continue
		}
		return domain.Errorf(domain.CodeUnauthorized, "слишком много неудачных попыток входа: попробуйте снова через %d мин", int(wait/time.Minute)+1)
	}
	return nil
}

// Record counts a failed login against the pair and the address, or forgets
// the pair after a good one. The address keeps its count: one right password
// must not wipe out the guesses made on other logins.
func (g *LoginGuard) Record(r *http.Request, login string, ok bool) {
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
		if f.n == 0 || now.Sub(f.first) > LoginWindow {
			f = failures{first: now}
		}
		f.n++
		g.fails[c.key] = f
	}
	if len(g.fails) > guardEntries {
		for k, v := range g.fails {
			if now.Sub(v.first) > LoginWindow {
				delete(g.fails, k)
			}
		}
	}
}
