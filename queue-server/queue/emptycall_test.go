package queue

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
	"github.com/talonqueue/talon/queue-server/store"
)

// An empty call-next is answered without the writer: with the writer
// stopped it still gets the empty queue's sentence, while a call that would
// change something still goes to the writer (and so is refused).
func TestEmptyCallNeedsNoWriter(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	svc := openDemo(t, st, Options{})
	kiosk, op1, op3 := as("kiosk1", svc, t), as("operator1", svc, t), as("operator3", svc, t)
	for _, w := range []struct {
		ctx context.Context
		id  string
	}{{op1, "w1"}, {op3, "w3"}} {
		if _, err := svc.OpenWindowSession(w.ctx, demo.OfficeID, w.id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "realty-rights"}); err != nil {
		t.Fatal(err)
	}
	svc.Close()

	_, err := svc.CallNext(op1, demo.OfficeID, "w1", true)
	if domain.ErrorCode(err) != domain.CodeEmpty || domain.ErrorMessage(err) != "в очереди нет талонов для окна 1" {
		t.Fatalf("window 1 on an empty queue, writer stopped: %v", err)
	}
	_, err = svc.CallTicket(domain.WithIdempotencyKey(op1, "k1"), demo.OfficeID, "w1", domain.CallRequest{Pool: domain.PoolPriority})
	if domain.ErrorCode(err) != domain.CodeEmpty || domain.ErrorMessage(err) != "среди льготных нет талонов для окна 1" {
		t.Fatalf("window 1 from the priority pool, writer stopped: %v", err)
	}
	if _, err := svc.CallNext(op3, demo.OfficeID, "w3", false); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("window 3 with a ticket waiting, writer stopped: %v, want the writer's refusal", err)
	}
}

// An empty call loses no state change: the finish a call-next carries on a
// busy window is committed, and an idempotency key used on an empty queue
// stays free for the call that finds someone.
func TestEmptyCallLosesNothing(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	svc := openDemo(t, st, Options{})
	kiosk, op := as("kiosk1", svc, t), as("operator1", svc, t)
	if _, err := svc.OpenWindowSession(op, demo.OfficeID, "w1"); err != nil {
		t.Fatal(err)
	}
	keyed := domain.WithIdempotencyKey(op, "press-1")
	if _, err := svc.CallNext(keyed, demo.OfficeID, "w1", false); domain.ErrorCode(err) != domain.CodeEmpty {
		t.Fatalf("first press on an empty queue: %v", err)
	}
	tk, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := svc.CallNext(keyed, demo.OfficeID, "w1", false); err != nil || got.ID != tk.ID {
		t.Fatalf("the same key once a ticket waits: %s, %v; want %s", got.Number, err, tk.Number)
	}
	_, err = svc.CallNext(op, demo.OfficeID, "w1", true)
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeEmpty || de.Finished == nil || de.Finished.ID != tk.ID {
		t.Fatalf("finish_current on an empty queue: %v, want queue_empty with %s finished", err, tk.Number)
	}
	svc.Close()
	again := openDemo(t, st, Options{})
	got, err := again.GetTicket(as("operator1", again, t), demo.OfficeID, tk.ID)
	if err != nil || got.Status != domain.StatusDone {
		t.Fatalf("after a restart the ticket is %s (%v), want done", got.Status, err)
	}
}

// heldStore holds every commit on its way to the disk until released,
// as a slow fsync would.
type heldStore struct {
	domain.Store
	holding  chan struct{} // a commit waits
	released chan struct{}
}

func (h *heldStore) Commit(ctx context.Context, c domain.Changes) error {
	select {
	case h.holding <- struct{}{}:
		<-h.released
	case <-h.released:
	}
	return h.Store.Commit(ctx, c)
}

// An empty call-next does not wait out the writer's fsync: it is answered
// while a kiosk's ticket for another service is still being committed, and
// that ticket then lands.
func TestEmptyCallDoesNotWaitForTheDisk(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	svc := openDemo(t, st, Options{})
	kiosk, op := as("kiosk1", svc, t), as("operator1", svc, t)
	if _, err := svc.OpenWindowSession(op, demo.OfficeID, "w1"); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	held := &heldStore{Store: st, holding: make(chan struct{}), released: make(chan struct{})}
	svc = openDemo(t, held, Options{})
	issued := make(chan error, 1)
	go func() {
		_, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "realty-rights"})
		issued <- err
	}()
	<-held.holding
	answered := make(chan error, 1)
	go func() {
		_, err := svc.CallNext(op, demo.OfficeID, "w1", false)
		answered <- err
	}()
	select {
	case err := <-answered:
		if domain.ErrorCode(err) != domain.CodeEmpty {
			t.Errorf("window 1 (no realty) while a commit is held: %v, want the empty queue's answer", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("the empty call-next waited for the commit on its way to the disk")
	}
	close(held.released)
	if err := <-issued; err != nil {
		t.Fatalf("the held ticket: %v", err)
	}
}

// BenchmarkEmptyCallNext measures an idle window's call-next while kiosks
// keep the writer busy with tickets for other windows: through the writer,
// as every call-next went before, and as it goes now (beside the writer, not behind its fsync).
func BenchmarkEmptyCallNext(b *testing.B) {
	for _, path := range []string{"writer", "now"} {
		b.Run("path="+path, func(b *testing.B) {
			st, err := store.Open(filepath.Join(b.TempDir(), "talon.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			svc, err := Open(context.Background(), Options{Store: st, BcryptCost: 4, TickEvery: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			defer svc.Close()
			creds, err := demo.Seed(context.Background(), svc, "demo")
			if err != nil {
				b.Fatal(err)
			}
			a, err := svc.CheckDevice(context.Background(), creds["kiosk1"])
			if err != nil {
				b.Fatal(err)
			}
			kiosk := domain.WithActor(context.Background(), a)
			who, err := svc.Login(context.Background(), "operator1", "demo")
			if err != nil {
				b.Fatal(err)
			}
			op := domain.WithActor(context.Background(), who)
			if _, err := svc.OpenWindowSession(op, demo.OfficeID, "w1"); err != nil {
				b.Fatal(err)
			}
			call := func() error {
				_, err := svc.CallNext(op, demo.OfficeID, "w1", false)
				return err
			}
			if path == "writer" {
				call = func() error {
					_, err := write(op, svc, &entry{action: "callNext"}, func(e *engine.Engine, ch *domain.Changes) (domain.Ticket, error) {
						return e.CallNext(who, demo.OfficeID, "w1", false, ch)
					})
					return err
				}
			}
			// Window 1 does not serve realty: its queue stays empty while
			// eight kiosks keep the writer committing.
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						if _, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "realty-rights"}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				if err := call(); domain.ErrorCode(err) != domain.CodeEmpty {
					b.Fatalf("call-next: %v, want queue_empty", err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			slices.Sort(lat)
			ms := func(q float64) float64 { return float64(lat[int(float64(len(lat)-1)*q)]) / float64(time.Millisecond) }
			b.ReportMetric(ms(0.5), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
		})
	}
}
