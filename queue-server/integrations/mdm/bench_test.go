package mdm_test

import (
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/integrations/mdm"
)

// What the push adds to the writer for each event, under its lock: the
// mapping and the JSON of a visit's events (issue, call, start, finish of
// a consultation), and the bytes the outbox stores for them.
func BenchmarkMessagesOfAVisit(b *testing.B) {
	o := domain.Office{ID: "o1", MDMUID: "00000000-0000-0000-0000-000000000001"}
	svc := domain.Service{ID: "consult", Name: "Консультация по услугам МФЦ", Purpose: domain.PurposeConsultation,
		FRGU: domain.FRGU{AuthorityID: "10000001045", ServiceID: "10000101388", PurposeID: "1", ProcedureID: "2"}}
	lookup := func(string) (domain.Service, bool) { return svc, true }
	at := time.Date(2026, 12, 3, 7, 15, 2, 123e6, time.UTC)
	t := domain.Ticket{ID: "01a239a87d6d78177aaa74c14b4c", Number: "К015", ServiceID: "consult", OriginalServiceID: "consult",
		Purpose: domain.PurposeConsultation, WindowID: "w6", WindowNumber: 6, CalledAt: &at, ServiceStartedAt: &at}
	events := []domain.Event{
		{Seq: 1, OfficeID: "o1", Type: domain.EventTicketIssued, At: at, Role: domain.RoleDevice, Ticket: &t},
		{Seq: 2, OfficeID: "o1", Type: domain.EventTicketCalled, At: at, WindowID: "w6", FromStatus: domain.StatusWaiting, Ticket: &t},
		{Seq: 3, OfficeID: "o1", Type: domain.EventTicketStarted, At: at, WindowID: "w6", FromStatus: domain.StatusCalled, FromServiceID: "consult", Ticket: &t},
		{Seq: 4, OfficeID: "o1", Type: domain.EventTicketFinished, At: at, WindowID: "w6", FromStatus: domain.StatusServing, FromServiceID: "consult", Ticket: &t},
	}
	bytes := 0
	for b.Loop() {
		bytes = 0
		for _, ev := range events {
			for _, m := range mdm.Messages(o, time.UTC, lookup, ev) {
				bytes += len(m.Body)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(events)), "ns/event")
	b.ReportMetric(float64(bytes)/float64(len(events)), "body-bytes/event")
}
