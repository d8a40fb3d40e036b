package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// benchOffice adds windows and operators to the demo office so that n
// operators can call at once; it returns their clients and windows.
func benchOffice(b *testing.B, url string, n int) ([]*client.Client, []string) {
	b.Helper()
	ctx := context.Background()
	admin := login(b, url, "admin")
	clients := make([]*client.Client, n)
	windows := make([]string, n)
	for i := range n {
		id := fmt.Sprintf("bench%d", i)
		steps := []error{
			func() error {
				_, err := admin.PutWindow(ctx, domain.Window{ID: id, OfficeID: demo.OfficeID, Number: 100 + i, ServiceIDs: []string{"passport"}})
				return err
			}(),
			func() error {
				_, err := admin.PutOperator(ctx, domain.Operator{ID: id, OfficeID: demo.OfficeID, Login: id, FullName: "Оператор " + id})
				return err
			}(),
			func() error {
				_, err := admin.PutAccount(ctx, domain.AccountInput{Account: domain.Account{Login: id, Role: domain.RoleOperator, OfficeID: demo.OfficeID, OperatorID: id}, Password: "demo"})
				return err
			}(),
		}
		for _, err := range steps {
			if err != nil {
				b.Fatal(err)
			}
		}
		clients[i] = login(b, url, id)
		windows[i] = id
		if _, err := clients[i].OpenWindowSession(ctx, demo.OfficeID, id); err != nil {
			b.Fatal(err)
		}
	}
	return clients, windows
}

// measure runs total operations spread over workers and returns their
// latencies and the wall time.
func measure(b *testing.B, workers, total int, do func(worker int) error) ([]time.Duration, time.Duration) {
	b.Helper()
	lat := make([]time.Duration, 0, total)
	var mu sync.Mutex
	var wg sync.WaitGroup
	per := total / workers
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, per)
			for range per {
				t0 := time.Now()
				if err := do(w); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return lat, time.Since(start)
}

func percentile(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return float64(lat[int(float64(len(lat)-1)*p)]) / float64(time.Millisecond)
}

func report(b *testing.B, lat []time.Duration, wall time.Duration) {
	b.ReportMetric(percentile(lat, 0.50), "p50-ms")
	b.ReportMetric(percentile(lat, 0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/wall.Seconds(), "ops/s")
}

// benchOps is how many operations each scenario measures.
const benchOps = 2000

// BenchmarkAPI measures issueTicket and callNext through the real server
// over loopback HTTP, every operation fsynced before it is answered.
func BenchmarkAPI(b *testing.B) {
	for _, clients := range []int{1, 50} {
		b.Run(fmt.Sprintf("issueTicket/clients=%d", clients), func(b *testing.B) {
			url, _ := startServer(b, b.TempDir(), "--demo")
			kiosks := make([]*client.Client, clients)
			for i := range kiosks {
				kiosks[i] = login(b, url, "kiosk1")
			}
			ctx := context.Background()
			b.ResetTimer()
			for range b.N {
				lat, wall := measure(b, clients, benchOps, func(w int) error {
					_, err := kiosks[w].IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
					return err
				})
				report(b, lat, wall)
			}
		})
		b.Run(fmt.Sprintf("callNext/clients=%d", clients), func(b *testing.B) {
			url, _ := startServer(b, b.TempDir(), "--demo")
			ops, windows := benchOffice(b, url, clients)
			kiosk := login(b, url, "kiosk1")
			ctx := context.Background()
			const total = benchOps
			for range b.N {
				for range total {
					if _, err := kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				lat, wall := measure(b, clients, total, func(w int) error {
					_, err := ops[w].CallNext(ctx, demo.OfficeID, windows[w], true)
					return err
				})
				report(b, lat, wall)
			}
		})
	}
}
