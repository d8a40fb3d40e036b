package push

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talonqueue/talon/queue-server/domain"
)

// BenchmarkFanout1000 measures how long after Publish each of 1,000 loopback
// subscribers of one office has received a call event: p50 and p99 over all
// subscribers of all iterations.
func BenchmarkFanout1000(b *testing.B) {
	const subscribers = 1000
	raiseFileLimit(b, 2*subscribers+256)
	snap := func(context.Context, string) (domain.OfficeSnapshot, error) {
		return domain.OfficeSnapshot{Office: domain.Office{ID: officeID}}, nil
	}
	h := NewHub(snap, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeWS(w, r, officeID, nil, nil)
	}))
	defer srv.Close()
	defer h.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")

	var (
		mu       sync.Mutex
		start    atomic.Int64 // UnixNano of the Publish
		received []time.Duration
		arrived  sync.WaitGroup
		readers  sync.WaitGroup
	)
	conns := make([]*websocket.Conn, subscribers)
	for i := range conns {
		c, resp, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatalf("dial %d: %v", i, err)
		}
		resp.Body.Close()
		if _, _, err := c.ReadMessage(); err != nil { // the snapshot
			b.Fatalf("snapshot %d: %v", i, err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
				d := time.Duration(time.Now().UnixNano() - start.Load())
				mu.Lock()
				received = append(received, d)
				mu.Unlock()
				arrived.Done()
			}
		}()
	}

	call := domain.Event{
		OfficeID: officeID, Type: domain.EventTicketCalled, Actor: "operator1", WindowID: "w3",
		Ticket: &domain.Ticket{ID: "t-015", OfficeID: officeID, Number: "А015", ServiceID: "passport",
			Status: domain.StatusCalled, WindowID: "w3", WindowNumber: 3},
	}
	b.ResetTimer()
	for i := range b.N {
		call.Seq = uint64(i + 1)
		arrived.Add(subscribers)
		start.Store(time.Now().UnixNano())
		h.Publish([]domain.Event{call})
		waitTimeout(b, &arrived, 30*time.Second)
	}
	b.StopTimer()

	slices.Sort(received)
	pct := func(p float64) float64 {
		return float64(received[int(p*float64(len(received)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	for _, c := range conns {
		c.Close()
	}
	readers.Wait()
}

func waitTimeout(b *testing.B, wg *sync.WaitGroup, d time.Duration) {
	b.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
		b.Fatalf("not every subscriber received the event within %v", d)
	}
}

func raiseFileLimit(b *testing.B, need uint64) {
	b.Helper()
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		b.Fatalf("getrlimit: %v", err)
	}
	if l.Cur >= need {
		return
	}
	l.Cur = min(max(need, l.Cur), l.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur < need {
		b.Skipf("need %d open files, limit is %d: %v", need, l.Cur, err)
	}
}
