package outbox

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// fastRetries keeps the faulty receiver's tests short; the attempt timeout
// is what turns a hanging receiver into a retry.
func fastRetries(o *Outbox, url string, final states) Config {
	return Config{
		Route:      httpRoute(url, &http.Client{}),
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		SendTimeout: 300 * time.Millisecond,
		OnState:     func(m Message) { final <- m },
	}
}

func checkOnce(t *testing.T, r *receiver, want []string) (duplicates int) {
	t.Helper()
	accepted, posts := r.counts()
	for _, id := range want {
		if accepted[id] != 1 {
			t.Errorf("%s accepted %d times", id, accepted[id])
		}
		duplicates += posts[id] - 1
	}
	if len(accepted) != len(want) {
		t.Errorf("receiver accepted %d ids, want %d", len(accepted), len(want))
	}
	return duplicates
}

func TestEveryMessageDeliveredOnceThroughAFaultyReceiver(t *testing.T) {
	_, o := tempDB(t)
	r := newReceiver(t)
	r.faults = []string{"500", "hang", "drop", "500", "accept+drop", "drop", "hang", "500", "accept+drop", "500", "drop"}
	final := make(states, 100)
	run(t, NewDispatcher(o, fastRetries(o, r.url(), final)))

	want := append(ids("rates", 30), ids("events", 10)...)
	for _, id := range want[:20] {
		ch := "mkgu.rates"
		if id[0] == 'e' {
			ch = "mkgu.events"
		}
		if err := o.Enqueue(msg(id, ch)); err != nil {
			t.Fatal(err)
		}
	}
	got := final.wait(t, 20)
	// Down for a while: connections are refused while messages keep coming.
	r.stop()
	for _, id := range want[20:] {
		ch := "mkgu.rates"
		if id[0] == 'e' {
			ch = "mkgu.events"
		}
		if err := o.Enqueue(msg(id, ch)); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until every new message has failed at least once against the closed port.
	for {
		failed, err := o.List(context.Background(), Query{State: StatePending})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range failed {
			if m.Attempts > 0 {
				n++
			}
		}
		if n == len(want)-20 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.start(t)
	got = append(got, final.wait(t, len(want)-20)...)
	for _, m := range got {
		if m.State() != StateDelivered {
			t.Errorf("%s ended %s: %s", m.ID, m.State(), m.LastError)
		}
	}
	dups := checkOnce(t, r, want)
	t.Logf("%d messages, %d duplicates on the wire (answered 409)", len(want), dups)
}

func TestCommittedMessagesSurviveReopenAndAreDelivered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talon.db")
	db, o := openDB(t, path)
	want := ids("r", 25)
	err := db.Update(func(tx *bolt.Tx) error {
		for _, id := range want {
			if err := Put(tx, msg(id, "mkgu.rates")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	o.Notify()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, o = openDB(t, path)
	defer db.Close()
	r := newReceiver(t)
	final := make(states, len(want))
	run(t, NewDispatcher(o, fastRetries(o, r.url(), final)))
	final.wait(t, len(want))
	checkOnce(t, r, want)
}

// TestDispatcherProcess is the child of the crash test: it delivers the
// outbox of TALON_OUTBOX_DB to TALON_OUTBOX_URL until it is killed.
func TestDispatcherProcess(t *testing.T) {
	path, url := os.Getenv("TALON_OUTBOX_DB"), os.Getenv("TALON_OUTBOX_URL")
	if path == "" {
		t.Skip("run by TestSIGKILLMidDeliveryLosesNothing")
	}
	db, o := openDB(t, path)
	defer db.Close()
	d := NewDispatcher(o, Config{Route: httpRoute(url, &http.Client{}), Concurrency: 8, SendTimeout: time.Minute})
	_ = d.Run(context.Background())
}

func TestSIGKILLMidDeliveryLosesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talon.db")
	db, _ := openDB(t, path)
	want := ids("r", 200)
	err := db.Update(func(tx *bolt.Tx) error {
		for _, id := range want {
			if err := Put(tx, msg(id, "mkgu.rates")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	r := newReceiver(t)
	// The 50th accepted message holds its answer: the child is killed while
	// that request (and others in flight) are accepted but not yet recorded.
	killNow := make(chan struct{})
	hold := make(chan struct{})
	var accepted atomic.Int32
	r.mu.Lock()
	r.onAccept = func(string) {
		n := accepted.Add(1)
		if n == 50 {
			close(killNow)
		}
		if n >= 50 {
			<-hold
		}
	}
	r.mu.Unlock()
	defer close(hold)
	cmd := exec.Command(os.Args[0], "-test.run=^TestDispatcherProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TALON_OUTBOX_DB="+path, "TALON_OUTBOX_URL="+r.url())
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-killNow:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the child delivered fewer than 50 messages")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	r.mu.Lock()
	r.onAccept = nil
	r.mu.Unlock()

	db, o := openDB(t, path)
	defer db.Close()
	before, _ := o.List(context.Background(), Query{State: StateDelivered})
	final := make(states, len(want))
	run(t, NewDispatcher(o, fastRetries(o, r.url(), final)))
	final.wait(t, len(want)-len(before))
	dups := checkOnce(t, r, want)
	if dups == 0 {
		t.Error("no message was sent twice: the kill did not land mid-delivery")
	}
	t.Logf("recorded delivered before the kill: %d of %d; accepted once each; duplicates on the wire: %d", len(before), len(want), dups)
}

// A receiver back from an outage takes the whole backlog at once: the
// first delivery after it makes every message waiting out its backoff (an
// hour here) due, instead of each waiting out its own.
func TestReturningReceiverDrainsTheBacklogAtOnce(t *testing.T) {
	_, o := tempDB(t)
	r := newReceiver(t)
	r.stop()
	backlog := ids("down", 20)
	for _, id := range backlog {
		if err := o.Enqueue(msg(id, "webhook:crm")); err != nil {
			t.Fatal(err)
		}
	}
	final := make(states, len(backlog)+1)
	cfg := fastRetries(o, r.url(), final)
	cfg.MinBackoff, cfg.MaxBackoff = time.Hour, time.Hour
	run(t, NewDispatcher(o, cfg))
	for _, id := range backlog {
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			m, err := o.Get(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if m.Attempts > 0 && m.State() == StatePending && m.NextAt.After(time.Now().Add(10*time.Minute)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never failed into its backoff: %+v", id, m)
			}
		}
	}
	r.start(t)
	if err := o.Enqueue(msg("fresh", "webhook:crm")); err != nil {
		t.Fatal(err)
	}
	for _, m := range final.wait(t, len(backlog)+1) {
		if m.State() != StateDelivered {
			t.Errorf("%s: %s, %s", m.ID, m.State(), m.LastError)
		}
	}
	checkOnce(t, r, append(backlog, "fresh"))
}

// shortLived fails every attempt and has its messages retried for a
// lifetime of its own.
type shortLived time.Duration

func (shortLived) Send(context.Context, Message) error { return errors.New("receiver down") }
func (l shortLived) Lifetime() time.Duration           { return time.Duration(l) }

// A sender's own lifetime, not the dispatcher's DeadAfter, bounds how long
// its messages are retried.
func TestSenderLifetimeBoundsRetries(t *testing.T) {
	_, o := tempDB(t)
	final := make(states, 1)
	run(t, NewDispatcher(o, Config{Route: func(string) (Sender, bool) { return shortLived(time.Nanosecond), true },
		DeadAfter: 72 * time.Hour, MinBackoff: time.Hour, OnState: func(m Message) { final <- m }}))
	if err := o.Enqueue(msg("short", "webhook:crm")); err != nil {
		t.Fatal(err)
	}
	m := final.wait(t, 1)[0]
	if m.State() != StateDead || m.Attempts != 1 || m.LastError != "receiver down" {
		t.Errorf("%+v, want dead after one attempt with its error", m)
	}
}
