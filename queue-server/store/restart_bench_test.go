package store

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
)

// The day BenchmarkRestartMemory restarts after: restartOffices offices of
// restartTickets tickets each, all of today.
const (
	restartOffices = 20
	restartTickets = 3000
	restartDay     = "2026-12-03"
)

// BenchmarkRestartMemory measures the memory a restart after a busy day
// takes: the store holds today's 60,000 tickets of 20 offices, each served
// (issue, call, start, finish, with the request key of each) and every second
// one rated, and is loaded into an engine the way the queue's reload loads it.
// A goroutine samples the heap while it loads. peak-B/ticket is the heap's
// peak above what it held before, garbage not yet collected included (with
// the default GOGC the heap may grow to twice what is alive before a
// collection); live-B/ticket the peak of what the collector found alive;
// retained-B/ticket what the engine keeps once it is built.
func BenchmarkRestartMemory(b *testing.B) {
	s, _ := openTest(b)
	fillRestartDay(b, s)
	moscow, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 20, 0, 0, 0, moscow)
	cfg := engine.Config{Now: func() time.Time { return now }, TZ: time.LoadLocation}
	const tickets = restartOffices * restartTickets
	var peak, live, retained uint64
	for b.Loop() {
		runtime.GC()
		base := heapObjects()
		stop := sampleHeap()
		var e *engine.Engine
		err := s.Load(context.Background(), "2026-12-01", func(st domain.State) (err error) {
			e, err = engine.Load(cfg, st)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		retained = heapObjects() - base
		heapPeak, livePeak := stop()
		done, err := e.ListQueue(domain.System, "o0", domain.QueueFilter{Statuses: []domain.Status{domain.StatusDone}})
		if err != nil || len(done) != restartTickets {
			b.Fatalf("office o0 has %d finished tickets after the load (%v), want %d", len(done), err, restartTickets)
		}
		runtime.KeepAlive(e)
		peak, live = heapPeak-base, livePeak-base
	}
	b.ReportMetric(float64(peak)/tickets, "peak-B/ticket")
	b.ReportMetric(float64(live)/tickets, "live-B/ticket")
	b.ReportMetric(float64(retained)/tickets, "retained-B/ticket")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/load")
}

// fillRestartDay writes the day through the store's bulk path: commits of
// 500 tickets with their request keys, ratings and counter.
func fillRestartDay(b *testing.B, s *Store) {
	b.Helper()
	ctx := context.Background()
	open := domain.DayHours{Open: "08:00", Close: "20:00"}
	var setup domain.Changes
	for o := range restartOffices {
		office := fmt.Sprint("o", o)
		setup.Offices = append(setup.Offices, domain.Office{ID: office, Name: fmt.Sprint("МФЦ ", o), TimeZone: "Europe/Moscow",
			Hours: domain.Week{{}, open, open, open, open, open, open}})
		for i := range 10 {
			setup.Services = append(setup.Services, domain.Service{ID: fmt.Sprint("s", i), OfficeID: office, Name: fmt.Sprint("Услуга ", i), Prefix: string(rune('А' + i))})
		}
		for w := range 50 {
			setup.Windows = append(setup.Windows, domain.Window{ID: fmt.Sprint("w", w), OfficeID: office, Number: w + 1})
			setup.Operators = append(setup.Operators, domain.Operator{ID: fmt.Sprint("op", w), OfficeID: office, Login: fmt.Sprintf("op%d-%d", o, w), FullName: fmt.Sprint("Оператор ", w)})
		}
	}
	if err := s.Commit(ctx, setup); err != nil {
		b.Fatal(err)
	}
	for o := range restartOffices {
		office := fmt.Sprint("o", o)
		for from := 0; from < restartTickets; from += 500 {
			var c domain.Changes
			for i := from; i < from+500; i++ {
				t, keys := servedTicket(office, i)
				c.Tickets = append(c.Tickets, t)
				c.Idempotency = append(c.Idempotency, keys...)
				if i%2 == 0 {
					r := ratingRecord(t.ID, restartDay, "")
					r.Rating.OfficeID, r.Rating.ID, r.Rating.TicketNumber = office, "r-"+t.ID, t.Number
					c.Ratings = append(c.Ratings, r)
				}
			}
			c.Counters = []domain.Counter{{OfficeID: office, Day: restartDay, Prefix: "А", Last: from + 500}}
			if err := s.Commit(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// servedTicket is the i-th ticket of an office's day, finished at its
// window, with the request keys of its four steps.
func servedTicket(office string, i int) (domain.Ticket, []domain.IdempotencyKey) {
	issued := time.Date(2026, 12, 3, 5, 0, 0, 0, time.UTC).Add(time.Duration(i) * 12 * time.Second)
	called, started, finished := issued.Add(20*time.Minute), issued.Add(21*time.Minute), issued.Add(35*time.Minute)
	id := fmt.Sprintf("%s-%016x", office, uint64(i)*0x9e3779b97f4a7c15)
	service, window, operator := fmt.Sprint("s", i%10), fmt.Sprint("w", i%50), fmt.Sprint("op", i%50)
	at := func(t time.Time) *time.Time { return &t }
	t := domain.Ticket{
		ID: id, OfficeID: office, Number: fmt.Sprintf("%c%03d", 'А'+i%10, i%1000), Day: restartDay,
		ServiceID: service, OriginalServiceID: service, Status: domain.StatusDone,
		CreatedAt: issued, QueuedAt: issued, CalledAt: at(called), ServiceStartedAt: at(started), FinishedAt: at(finished),
		WindowID: window, WindowNumber: i%50 + 1, OperatorID: operator, WaitSeconds: 1200,
		Purpose: domain.PurposeSubmit, FirstCalledAt: at(called), WaitNormSeconds: 900, IssueEstimateSeconds: 1100, ServiceSeconds: 840,
		StatusToken: fmt.Sprintf("%032x", uint64(i)*0xbf58476d1ce4e5b9),
		History: []domain.Step{
			{At: issued, Action: domain.ActionIssue, Status: domain.StatusWaiting, By: "kiosk1", ServiceID: service},
			{At: called, Action: domain.ActionCall, Status: domain.StatusCalled, By: operator, WindowID: window, OperatorID: operator, ServiceID: service},
			{At: started, Action: domain.ActionStart, Status: domain.StatusServing, By: operator, WindowID: window, OperatorID: operator, ServiceID: service},
			{At: finished, Action: domain.ActionFinish, Status: domain.StatusDone, By: operator, WindowID: window, OperatorID: operator, ServiceID: service},
		},
	}
	key := func(step int, request string) domain.IdempotencyKey {
		return domain.IdempotencyKey{OfficeID: office, Key: fmt.Sprintf("%s-%08x-%d", office, i, step), Day: restartDay, TicketID: id, Request: request}
	}
	return t, []domain.IdempotencyKey{
		key(0, ""), key(1, "callNext window/"+window), key(2, "startTicket ticket/"+id), key(3, "finishTicket ticket/"+id),
	}
}

// sampleHeap samples the heap every millisecond until the returned stop,
// which gives the peaks of the heap's objects and of its live bytes.
func sampleHeap() (stop func() (heap, live uint64)) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var heapPeak, livePeak uint64
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	read := func() {
		metrics.Read(samples)
		heapPeak = max(heapPeak, samples[0].Value.Uint64())
		livePeak = max(livePeak, samples[1].Value.Uint64())
	}
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				read()
			}
		}
	})
	return func() (uint64, uint64) {
		close(done)
		wg.Wait()
		read()
		return heapPeak, livePeak
	}
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
