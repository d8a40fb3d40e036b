package outbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// healthyReceiver notes when each idempotency key arrived.
func healthyReceiver(b *testing.B) (url string, arrived func() map[string]time.Time, got chan struct{}) {
	var mu sync.Mutex
	at := map[string]time.Time{}
	got = make(chan struct{}, 1<<16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		at[r.Header.Get("Idempotency-Key")] = time.Now()
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		got <- struct{}{}
	}))
	b.Cleanup(srv.Close)
	return srv.URL, func() map[string]time.Time {
		mu.Lock()
		defer mu.Unlock()
		return at
	}, got
}

func benchOutbox(b *testing.B, url string) (*bolt.DB, *Outbox, func()) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "talon.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Update(CreateBuckets); err != nil {
		b.Fatal(err)
	}
	o := New(db, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	d := NewDispatcher(o, Config{Route: httpRoute(url, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}})})
	go func() { _ = d.Run(ctx); close(done) }()
	return db, o, func() { cancel(); <-done; _ = db.Close() }
}

// BenchmarkDeliveryDelay commits messages one per fsynced transaction, as
// ratings arrive, and measures the delay from each commit to its arrival at
// a healthy receiver, on two channels at once.
func BenchmarkDeliveryDelay(b *testing.B) {
	const n = 2000
	url, arrived, got := healthyReceiver(b)
	_, o, stop := benchOutbox(b, url)
	defer stop()
	committed := make(map[string]time.Time, n)
	start := time.Now()
	for i, id := range ids("r", n) {
		ch := "mkgu.rates"
		if i%4 == 0 {
			ch = "mkgu.events"
		}
		if err := o.Enqueue(msg(id, ch)); err != nil {
			b.Fatal(err)
		}
		committed[id] = time.Now()
	}
	for range n {
		<-got
	}
	elapsed := time.Since(start)
	at := arrived()
	delays := make([]time.Duration, 0, n)
	for id, c := range committed {
		delays = append(delays, max(at[id].Sub(c), 0))
	}
	slices.Sort(delays)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(delays[n/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(delays[n*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(delays[n-1].Microseconds())/1000, "max-ms")
}

// BenchmarkBacklogDrain measures how fast a backlog that piled up while the
// receiver was away goes out once the dispatcher starts.
func BenchmarkBacklogDrain(b *testing.B) {
	const n = 10000
	url, _, got := healthyReceiver(b)
	db, err := bolt.Open(filepath.Join(b.TempDir(), "talon.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := CreateBuckets(tx); err != nil {
			return err
		}
		for _, id := range ids("r", n) {
			if err := Put(tx, msg(id, "webhook:1")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	o := New(db, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	start := time.Now()
	go func() {
		_ = NewDispatcher(o, Config{Route: httpRoute(url, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}})}).Run(ctx)
		close(done)
	}()
	for range n {
		<-got
	}
	elapsed := time.Since(start)
	cancel()
	<-done
	_ = db.Close()
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(elapsed.Seconds(), "drain-s")
}
