package outbox

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

func TestPutStoresAPendingMessageOnce(t *testing.T) {
	db, o := tempDB(t)
	m := msg("r-1", "mkgu.rates")
	if err := db.Update(func(tx *bolt.Tx) error { return Put(tx, m) }); err != nil {
		t.Fatal(err)
	}
	again := m
	again.Body = []byte("other")
	if err := db.Update(func(tx *bolt.Tx) error { return Put(tx, again) }); err != nil {
		t.Fatal(err)
	}
	got, err := o.Get(context.Background(), "r-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.State() != StatePending || string(got.Body) != "body of r-1" || got.Headers["X-Test"] != "r-1" || !got.NextAt.Equal(m.CreatedAt) {
		t.Errorf("stored %+v", got)
	}
	ready, _, err := o.due("mkgu.rates", time.Now(), 10, nil)
	if err != nil || len(ready) != 1 {
		t.Errorf("due: %v, %v", ready, err)
	}
}

func TestPutRefusesAMessageWithoutKeys(t *testing.T) {
	db, _ := tempDB(t)
	for _, m := range []domain.OutboxMessage{
		{Channel: "c", CreatedAt: time.Now()},
		{ID: "x", CreatedAt: time.Now()},
		{ID: "x", Channel: "c"},
	} {
		if err := db.Update(func(tx *bolt.Tx) error { return Put(tx, m) }); err == nil {
			t.Errorf("Put(%+v) took it", m)
		}
	}
}

func TestPutInAFailedTransactionLeavesNothing(t *testing.T) {
	db, o := tempDB(t)
	boom := errors.New("the change failed")
	err := db.Update(func(tx *bolt.Tx) error {
		if err := Put(tx, msg("r-1", "c")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := o.Get(context.Background(), "r-1"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("Get after a rolled-back Put: %v", err)
	}
}

func TestNewNeedsTheBuckets(t *testing.T) {
	db, err := bolt.Open(t.TempDir()+"/x.db", 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := New(db, nil).Enqueue(msg("r-1", "c")); err == nil {
		t.Error("a file without the outbox buckets took a message")
	}
}

func TestListFiltersAndPages(t *testing.T) {
	_, o := tempDB(t)
	for _, id := range []string{"a", "b", "c", "d"} {
		ch := "mkgu.rates"
		if id == "c" {
			ch = "mkgu.events"
		}
		if err := o.Enqueue(msg(id, ch)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		q    Query
		want string
	}{
		{Query{}, "abcd"},
		{Query{Channel: "mkgu.rates"}, "abd"},
		{Query{After: "b", Limit: 1}, "c"},
		{Query{State: StateDelivered}, ""},
		{Query{State: StatePending, Channel: "mkgu.events"}, "c"},
	} {
		got, err := o.List(ctx, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, m := range got {
			s += m.ID
		}
		if s != tc.want {
			t.Errorf("List(%+v) = %q, want %q", tc.q, s, tc.want)
		}
	}
}

func TestListSeeksAPrefix(t *testing.T) {
	_, o := tempDB(t)
	for _, id := range []string{"wh:a:o:1", "wh:a:o:2", "wh:ab:o:1", "wh:b:o:1", "x"} {
		if err := o.Enqueue(msg(id, "webhook:"+id)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		q    Query
		want []string
	}{
		{Query{Prefix: "wh:a:"}, []string{"wh:a:o:1", "wh:a:o:2"}},
		{Query{Prefix: "wh:a:", After: "wh:a:o:1"}, []string{"wh:a:o:2"}},
		{Query{Prefix: "wh:b:", After: "wh:a:o:1"}, []string{"wh:b:o:1"}},
		{Query{Prefix: "wh:a:", After: "wh:b:o:1"}, nil},
		{Query{Prefix: "wh:c:"}, nil},
	} {
		got, err := o.List(context.Background(), tc.q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range got {
			ids = append(ids, m.ID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("List(%+v) = %v, want %v", tc.q, ids, tc.want)
		}
	}
}

// run starts d and returns a stop that waits for it.
func run(t *testing.T, d *Dispatcher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() {
		select {
		case <-ctx.Done():
		default:
			stop()
		}
	})
	return stop
}

func TestPermanentRefusalGoesDeadAndRedeliverRetries(t *testing.T) {
	_, o := tempDB(t)
	refuse := true
	final := make(states, 4)
	sent := make(chan struct{}, 4)
	d := NewDispatcher(o, Config{
		Route: func(string) (Sender, bool) {
			return SenderFunc(func(ctx context.Context, m Message) error {
				sent <- struct{}{}
				if refuse {
					return Permanent(errors.New("400 bad packet"))
				}
				return nil
			}), true
		},
		OnState: func(m Message) { final <- m },
	})
	run(t, d)
	if err := o.Enqueue(msg("r-1", "c")); err != nil {
		t.Fatal(err)
	}
	dead := final.wait(t, 1)[0]
	if dead.State() != StateDead || dead.Attempts != 1 || dead.LastError != "400 bad packet" || len(dead.Body) == 0 {
		t.Fatalf("after a permanent refusal: %+v", dead)
	}
	<-sent
	ctx := context.Background()
	if err := o.Redeliver(ctx, "nope"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("Redeliver of an unknown id: %v", err)
	}
	refuse = false // the sender reads it only after Redeliver's commit
	if err := o.Redeliver(ctx, "r-1"); err != nil {
		t.Fatal(err)
	}
	ok := final.wait(t, 1)[0]
	if ok.State() != StateDelivered || ok.Attempts != 2 || ok.LastError != "" || ok.Body != nil {
		t.Errorf("after Redeliver: %+v", ok)
	}
	if err := o.Redeliver(ctx, "r-1"); domain.ErrorCode(err) != domain.CodeConflict {
		t.Errorf("Redeliver of a delivered message: %v", err)
	}
	stored, err := o.Get(ctx, "r-1")
	if err != nil || stored.State() != StateDelivered || stored.Body != nil {
		t.Errorf("stored after delivery: %+v, %v", stored, err)
	}
}

func TestRetriesUntilTheAgeLimitThenDead(t *testing.T) {
	_, o := tempDB(t)
	final := make(states, 1)
	attempts := 0
	d := NewDispatcher(o, Config{
		Route: func(string) (Sender, bool) {
			return SenderFunc(func(context.Context, Message) error { attempts++; return errors.New("503") }), true
		},
		MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, DeadAfter: 50 * time.Millisecond,
		OnState: func(m Message) { final <- m },
	})
	run(t, d)
	if err := o.Enqueue(msg("r-1", "c")); err != nil {
		t.Fatal(err)
	}
	m := final.wait(t, 1)[0]
	if m.State() != StateDead || m.Attempts < 2 || m.Attempts != attempts || m.LastError != "503" {
		t.Errorf("dead after %d attempts: %+v", attempts, m)
	}
}

func TestBackoffDoublesToTheCapWithJitter(t *testing.T) {
	d := NewDispatcher(nil, Config{MinBackoff: time.Second, MaxBackoff: time.Minute})
	for attempts, full := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 6: 32 * time.Second, 7: time.Minute, 40: time.Minute} {
		for range 50 {
			if b := d.backoff(attempts); b < full/2 || b > full {
				t.Errorf("backoff(%d) = %v, want in [%v, %v]", attempts, b, full/2, full)
			}
		}
	}
}

func TestPruneRemovesOldFinishedMessages(t *testing.T) {
	_, o := tempDB(t)
	final := make(states, 2)
	d := NewDispatcher(o, Config{Route: func(string) (Sender, bool) {
		return SenderFunc(func(context.Context, Message) error { return nil }), true
	}, OnState: func(m Message) { final <- m }})
	stop := run(t, d)
	for _, id := range []string{"a", "b"} {
		if err := o.Enqueue(msg(id, "c")); err != nil {
			t.Fatal(err)
		}
	}
	final.wait(t, 2)
	stop()
	if err := o.Enqueue(msg("c", "c")); err != nil {
		t.Fatal(err)
	}
	n, err := o.Prune(context.Background(), time.Now().Add(time.Second))
	if err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want the 2 delivered", n, err)
	}
	left, _ := o.List(context.Background(), Query{})
	if len(left) != 1 || left[0].ID != "c" {
		t.Errorf("left %+v", left)
	}
}

func TestShutdownLeavesAnAttemptInFlightPending(t *testing.T) {
	_, o := tempDB(t)
	started := make(chan struct{})
	d := NewDispatcher(o, Config{Route: func(string) (Sender, bool) {
		return SenderFunc(func(ctx context.Context, m Message) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		}), true
	}})
	stop := run(t, d)
	if err := o.Enqueue(msg("r-1", "c")); err != nil {
		t.Fatal(err)
	}
	<-started
	stop() // returns only after the attempt has ended
	m, err := o.Get(context.Background(), "r-1")
	if err != nil || m.State() != StatePending || m.Attempts != 0 || m.LastError != "" || len(m.Body) == 0 {
		t.Errorf("after shutdown mid-attempt: %+v, %v", m, err)
	}
}
