package engine

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// BenchmarkDayMemory plays a window's day as the load harness does (each
// ticket issued, called, started and finished under request keys, every
// other one rated) and reports what the engine holds per ticket at its end:
// make loadtest's region is 300,000 such tickets on one server. It reports
// too how much of that the collector scans, the memory holding pointers.
func BenchmarkDayMemory(b *testing.B) {
	const tickets = 20000
	for range b.N {
		f, r1, _ := ratingFixture(b)
		answers := []domain.RatingAnswer{answer("100", "v0-5"), answer("101", "v1-4"), answer("102", "v2-5")}
		before, scanBefore := heapInUse(), heapScannable()
		key := 0
		act := func(request string, do func(ch *domain.Changes) (domain.Ticket, error)) domain.Ticket {
			key++
			var ch domain.Changes
			return must(f.e.Idempotent(f.op1, "o1", fmt.Sprintf("K%025d", key), request, &ch, func() (domain.Ticket, error) { return do(&ch) }))
		}
		for i := range tickets {
			key++
			var ch domain.Changes
			must(f.e.IssueTicket(f.kiosk, "o1", domain.IssueRequest{ServiceID: "pass", IdempotencyKey: fmt.Sprintf("K%025d", key)}, &ch))
			f.now = f.now.Add(time.Millisecond)
			t := act("callNext window/w1", func(ch *domain.Changes) (domain.Ticket, error) { return f.e.CallNext(f.op1, "o1", "w1", false, ch) })
			act("startService ticket/"+t.ID, func(ch *domain.Changes) (domain.Ticket, error) { return f.e.StartService(f.op1, "o1", t.ID, ch) })
			f.now = f.now.Add(time.Millisecond)
			act("finishTicket ticket/"+t.ID, func(ch *domain.Changes) (domain.Ticket, error) { return f.e.FinishTicket(f.op1, "o1", t.ID, ch) })
			if i%2 == 0 {
				var ch domain.Changes
				must(f.e.SubmitRating(r1, "o1", domain.NewRating{TicketID: t.ID, Answers: answers}, &ch))
			}
		}
		b.ReportMetric(float64(heapInUse()-before)/tickets, "heap-bytes/ticket")
		b.ReportMetric(float64(heapScannable()-scanBefore)/tickets, "gc-scan-bytes/ticket")
		runtime.KeepAlive(f)
	}
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// heapScannable is how much of the heap may hold pointers, as of the last
// collection (heapInUse runs one).
func heapScannable() int64 {
	s := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}
