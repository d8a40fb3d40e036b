package engine

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// emptyCallRequest is one call-next as the queue runs it.
type emptyCallRequest struct {
	actor         domain.Actor
	window        string
	pool          domain.Pool
	finishCurrent bool
	key           string
}

// writerCall is the call as the writer runs it: through Idempotent, with
// the request the queue keys a call-next by.
func (f *fixture) writerCall(r emptyCallRequest, ch *domain.Changes) error {
	request := "callNext window/" + r.window
	if r.pool != domain.PoolAll {
		request += " pool/" + string(r.pool)
	}
	_, err := f.e.Idempotent(r.actor, "o1", r.key, request, ch, func() (domain.Ticket, error) {
		return f.e.CallTicket(r.actor, "o1", r.window, domain.CallRequest{Pool: r.pool, FinishCurrent: r.finishCurrent}, ch)
	})
	return err
}

// sameAsWriter checks EmptyCall against the writer on the same state: when
// it answers, the writer gives the same error (code, sentence, nothing
// finished) and changes nothing. It reports whether EmptyCall answered.
func (f *fixture) sameAsWriter(r emptyCallRequest) bool {
	f.t.Helper()
	fast := f.e.EmptyCall(r.actor, "o1", r.window, r.pool, r.key)
	var ch domain.Changes
	err := f.writerCall(r, &ch)
	if fast == nil {
		return false
	}
	var fe, we *domain.Error
	if !errors.As(fast, &fe) || !errors.As(err, &we) || fe.Code != domain.CodeEmpty ||
		fe.Code != we.Code || fe.Message != we.Message || we.Finished != nil || fe.Finished != nil {
		f.t.Fatalf("%+v: EmptyCall answered %v, the writer %v", r, fast, err)
	}
	if !ch.Empty() {
		f.t.Fatalf("%+v: EmptyCall answered %v, but the writer changed state: %+v", r, fast, ch)
	}
	return true
}

func TestEmptyCallAnswersAsTheWriter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(f *fixture) emptyCallRequest
		fast  bool // EmptyCall answers; otherwise the call is the writer's
	}{
		{"idle window, nobody waiting", func(f *fixture) emptyCallRequest {
			return emptyCallRequest{actor: f.op1, window: "w1"}
		}, true},
		{"finish_current on a free window", func(f *fixture) emptyCallRequest {
			t := f.issue("pass")
			f.callNext(f.op1, "w1")
			must(f.e.FinishTicket(f.op1, "o1", t.ID, &f.log))
			return emptyCallRequest{actor: f.op1, window: "w1", finishCurrent: true}
		}, true},
		{"only tickets the window does not serve", func(f *fixture) emptyCallRequest {
			f.issue("pass")
			return emptyCallRequest{actor: f.op2, window: "w2"}
		}, true},
		{"a pool without tickets", func(f *fixture) emptyCallRequest {
			f.issue("pass")
			return emptyCallRequest{actor: f.op1, window: "w1", pool: domain.PoolPriority}
		}, true},
		{"postponed and not yet due", func(f *fixture) emptyCallRequest {
			t := f.issue("pass")
			f.callNext(f.op1, "w1")
			must(f.e.PostponeTicket(f.op1, "o1", t.ID, 10*time.Minute, &f.log))
			return emptyCallRequest{actor: f.op1, window: "w1"}
		}, true},
		{"a new idempotency key", func(f *fixture) emptyCallRequest {
			return emptyCallRequest{actor: f.op1, window: "w1", key: "k1"}
		}, true},
		{"postponed and due", func(f *fixture) emptyCallRequest {
			t := f.issue("pass")
			f.callNext(f.op1, "w1")
			must(f.e.PostponeTicket(f.op1, "o1", t.ID, 10*time.Minute, &f.log))
			f.now = f.now.Add(11 * time.Minute)
			return emptyCallRequest{actor: f.op1, window: "w1"}
		}, false},
		{"someone waiting", func(f *fixture) emptyCallRequest {
			f.issue("pass")
			return emptyCallRequest{actor: f.op1, window: "w1"}
		}, false},
		{"busy window", func(f *fixture) emptyCallRequest {
			f.issue("pass")
			f.callNext(f.op1, "w1")
			return emptyCallRequest{actor: f.op1, window: "w1"}
		}, false},
		{"busy window with finish_current", func(f *fixture) emptyCallRequest {
			f.issue("pass")
			f.callNext(f.op1, "w1")
			return emptyCallRequest{actor: f.op1, window: "w1", finishCurrent: true}
		}, false},
		{"window on a break", func(f *fixture) emptyCallRequest {
			must(f.e.PauseWindow(f.op1, "o1", "w1", true, "обед", &f.log))
			return emptyCallRequest{actor: f.op1, window: "w1"}
		}, false},
		{"no session in the window", func(f *fixture) emptyCallRequest {
			must(f.e.CloseWindowSession(f.op1, "o1", "w1", &f.log))
			return emptyCallRequest{actor: f.op1, window: "w1"}
		}, false},
		{"another operator's window", func(f *fixture) emptyCallRequest {
			return emptyCallRequest{actor: f.op2, window: "w1"}
		}, false},
		{"a kiosk calling (refused and journaled)", func(f *fixture) emptyCallRequest {
			return emptyCallRequest{actor: f.kiosk, window: "w1"}
		}, false},
		{"unknown window", func(f *fixture) emptyCallRequest {
			return emptyCallRequest{actor: f.op1, window: "w9"}
		}, false},
		{"unknown pool", func(f *fixture) emptyCallRequest {
			return emptyCallRequest{actor: f.op1, window: "w1", pool: "nope"}
		}, false},
		{"a key that called before: its ticket again", func(f *fixture) emptyCallRequest {
			t := f.issue("pass")
			r := emptyCallRequest{actor: f.op1, window: "w1", key: "k1"}
			if err := f.writerCall(r, &f.log); err != nil {
				f.t.Fatal(err)
			}
			must(f.e.FinishTicket(f.op1, "o1", t.ID, &f.log))
			return r
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			r := tc.setup(f)
			if got := f.sameAsWriter(r); got != tc.fast {
				t.Fatalf("EmptyCall answered: %v, want %v", got, tc.fast)
			}
		})
	}
}

// TestEmptyCallOverADay drives two windows through random steps and, before
// each, checks EmptyCall against the writer on a copy of the state built
// from the same steps: wherever it answers, the writer says the same and
// changes nothing.
func TestEmptyCallOverADay(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	var steps []int
	answered := 0
	for range 300 {
		steps = append(steps, rng.IntN(100))
		f := newFixture(t)
		for _, s := range steps[:len(steps)-1] {
			f.step(s)
		}
		ops := []domain.Actor{f.op1, f.op2}
		i := steps[len(steps)-1] % 2
		pools := []domain.Pool{domain.PoolAll, domain.PoolAll, domain.PoolPriority, domain.PoolPostponed, domain.PoolRedirected}
		r := emptyCallRequest{actor: ops[i], window: []string{"w1", "w2"}[i], pool: pools[steps[len(steps)-1]%len(pools)],
			finishCurrent: steps[len(steps)-1]%3 == 0}
		if f.sameAsWriter(r) {
			answered++
		}
	}
	if answered == 0 {
		t.Fatal("EmptyCall never answered: the day never had an empty queue")
	}
}

// step is one random move of a day; refusals are part of the day.
func (f *fixture) step(s int) {
	ops := []domain.Actor{f.op1, f.op2}
	windows := []string{"w1", "w2"}
	op, w := ops[s%2], windows[s%2]
	cur := func() string {
		t, err := f.e.GetWindowTicket(op, "o1", w)
		if err != nil {
			return ""
		}
		return t.ID
	}
	switch {
	case s < 25:
		_, _ = f.e.IssueTicket(f.kiosk, "o1", domain.IssueRequest{ServiceID: []string{"pass", "realty"}[s%2]}, &f.log)
	case s < 45:
		_, _ = f.e.CallNext(op, "o1", w, s%3 == 0, &f.log)
	case s < 65:
		_, _ = f.e.FinishTicket(op, "o1", cur(), &f.log)
	case s < 75:
		_, _ = f.e.PostponeTicket(op, "o1", cur(), time.Duration(s%3)*time.Minute, &f.log)
	case s < 80:
		_, _ = f.e.RedirectTicket(op, "o1", cur(), domain.Redirect{WindowID: windows[(s+1)%2]}, &f.log)
	case s < 85:
		_, _ = f.e.PauseWindow(op, "o1", w, (s/2)%2 == 0, "перерыв", &f.log)
	default:
		f.now = f.now.Add(time.Duration(s) * 10 * time.Second)
	}
}
