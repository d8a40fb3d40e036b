package outbox

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// setState rewrites stored messages as the dispatcher would record them.
func setState(t testing.TB, db *bolt.DB, change func(m *Message), ids ...string) {
	t.Helper()
	err := db.Update(func(tx *bolt.Tx) error {
		msgs, due, err := buckets(tx)
		if err != nil {
			return err
		}
		for _, id := range ids {
			m, ok, err := load(msgs, id)
			if err != nil || !ok {
				return fmt.Errorf("load %s: %v %v", id, ok, err)
			}
			prev := m.NextAt
			change(&m)
			if m.State() != StatePending {
				if err := due.Bucket([]byte(m.Channel)).Delete(dueKey(prev, m.ID)); err != nil {
					return err
				}
				m.NextAt = time.Time{}
				prev = time.Time{}
			}
			if err := write(msgs, due, m, prev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func dead(m *Message) {
	m.DeadAt, m.LastError = time.Now(), "400 bad packet"
}

func delivered(m *Message) { m.DeliveredAt = time.Now() }

// Backlog counts pending and dead messages per channel; delivered ones,
// and an error text that mentions dead_at, count as neither.
func TestBacklogCountsPendingAndDeadPerChannel(t *testing.T) {
	db, o := tempDB(t)
	for _, id := range ids("r", 5) {
		if err := o.Enqueue(msg(id, "mkgu.rates")); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids("e", 3) {
		if err := o.Enqueue(msg(id, "mkgu.events")); err != nil {
			t.Fatal(err)
		}
	}
	setState(t, db, dead, "r-0000", "r-0001", "e-0000")
	setState(t, db, delivered, "r-0002", "e-0001")
	setState(t, db, func(m *Message) { m.Attempts, m.LastError = 1, `503 {"dead_at":"soon"}` }, "e-0002")

	got, err := o.Backlog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []Backlog{{Channel: "mkgu.events", Pending: 1, Dead: 1}, {Channel: "mkgu.rates", Pending: 2, Dead: 2}}
	if !slices.Equal(got, want) {
		t.Fatalf("backlog %+v, want %+v", got, want)
	}

	// A redelivered message is pending again.
	if err := o.Redeliver(context.Background(), "r-0000"); err != nil {
		t.Fatal(err)
	}
	got, _ = o.Backlog(context.Background())
	if want[1] = (Backlog{Channel: "mkgu.rates", Pending: 3, Dead: 1}); !slices.Equal(got, want) {
		t.Fatalf("after redelivery %+v, want %+v", got, want)
	}
}

// BenchmarkBacklog measures one scrape's count over a kept delivery log:
// 100,000 messages of 1 KiB, 1 % dead, 100 pending (about a month of
// МКГУ packets of a large office).
func BenchmarkBacklog(b *testing.B) {
	const n = 100_000
	db, o := openDB(b, b.TempDir()+"/talon.db")
	defer db.Close()
	body := make([]byte, 1024)
	var deadIDs, doneIDs []string
	all := ids("m", n)
	for start := 0; start < n; start += 5000 {
		err := db.Update(func(tx *bolt.Tx) error {
			for _, id := range all[start : start+5000] {
				m := msg(id, "mkgu.rates")
				m.Body = body
				if err := Put(tx, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for i, id := range all {
		switch {
		case i%100 == 0:
			deadIDs = append(deadIDs, id)
		case i%1000 != 1:
			doneIDs = append(doneIDs, id)
		}
	}
	setState(b, db, dead, deadIDs...)
	for start := 0; start < len(doneIDs); start += 5000 {
		setState(b, db, delivered, doneIDs[start:min(start+5000, len(doneIDs))]...)
	}
	b.ResetTimer()
	var got []Backlog
	for b.Loop() {
		var err error
		if got, err = o.Backlog(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if len(got) != 1 || got[0].Dead != len(deadIDs) || got[0].Pending != n-len(deadIDs)-len(doneIDs) {
		b.Fatalf("backlog %+v, want %d dead and %d pending", got, len(deadIDs), n-len(deadIDs)-len(doneIDs))
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/scrape")
}
