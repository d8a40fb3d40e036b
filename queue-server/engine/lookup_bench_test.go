package engine

import (
	"fmt"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

// BenchmarkTicketLookups times the lookups the writer makes among a busy
// day's finished tickets: by id, by status token, by number, the replay of
// a request key and a key not seen.
func BenchmarkTicketLookups(b *testing.B) {
	const tickets = 5000
	f := newFixture(b)
	var done []domain.Ticket
	for i := range tickets {
		var ch domain.Changes
		issued := must(f.e.IssueTicket(f.kiosk, "o1", domain.IssueRequest{ServiceID: "pass", IdempotencyKey: fmt.Sprint("issue", i)}, &ch))
		t := must(f.e.CallNext(f.op1, "o1", "w1", false, &ch))
		must(f.e.Idempotent(f.op1, "o1", fmt.Sprint("finish", i), "finishTicket ticket/"+t.ID, &ch, func() (domain.Ticket, error) {
			return f.e.FinishTicket(f.op1, "o1", t.ID, &ch)
		}))
		t.StatusToken = issued.StatusToken
		done = append(done, t)
	}
	o := f.e.offices["o1"]
	day := o.day(f.now)
	at := func(i int) domain.Ticket { return done[i*7919%tickets] }
	for _, c := range []struct {
		name string
		do   func(i int) bool
	}{
		{"id", func(i int) bool { _, err := f.e.GetTicket(f.hall, "o1", at(i).ID); return err == nil }},
		{"token", func(i int) bool { _, err := f.e.GetTicketStatus(at(i).StatusToken); return err == nil }},
		{"number", func(i int) bool { return o.findTicket(at(i).Number, day) != nil }},
		{"key", func(i int) bool {
			t := at(i)
			var ch domain.Changes
			_, err := f.e.Idempotent(f.op1, "o1", fmt.Sprint("finish", i*7919%tickets), "finishTicket ticket/"+t.ID, &ch, func() (domain.Ticket, error) {
				return domain.Ticket{}, fmt.Errorf("replayed")
			})
			return err == nil
		}},
		{"unknown-key", func(i int) bool { _, ok := o.idem.get(day, fmt.Sprint("none", i)); return !ok }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if !c.do(i) {
					b.Fatalf("lookup %d failed", i)
				}
				i++
			}
		})
	}
}
