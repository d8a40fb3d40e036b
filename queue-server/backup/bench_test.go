package backup

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/journal"
	"github.com/talonqueue/talon/queue-server/queue"
	"github.com/talonqueue/talon/queue-server/stats/benchyear"
	"github.com/talonqueue/talon/queue-server/store"
)

// yearFile writes the data file of a 50-window office after a year of work
// (benchyear's 2025, about 400,000 tickets): the office, its services,
// windows and operators, every ticket finished with its history, every
// event in the log, the audit journal and the statistics' rollups,
// committed one day at a time through the store.
func yearFile(b *testing.B, path string) (tickets int) {
	b.Helper()
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	const office = "o0"
	week := domain.Week{}
	for d := 1; d <= 6; d++ {
		week[d] = domain.DayHours{Open: "08:00", Close: "20:00"}
	}
	setup := domain.Changes{Offices: []domain.Office{{ID: office, Name: "МФЦ на 50 окон", TimeZone: "Europe/Moscow", Hours: week}}}
	for i := range benchyear.Services {
		setup.Services = append(setup.Services, domain.Service{ID: fmt.Sprint("s", i), OfficeID: office, Name: fmt.Sprint("Услуга ", i),
			Prefix: string(rune('А' + i)), Purpose: benchyear.Purposes[i%len(benchyear.Purposes)], WaitNormMinutes: 15})
	}
	for w := range benchyear.Windows {
		setup.Windows = append(setup.Windows, domain.Window{ID: fmt.Sprint("w", w), OfficeID: office, Number: w + 1})
		setup.Operators = append(setup.Operators, domain.Operator{ID: fmt.Sprint("op", w), OfficeID: office, Login: fmt.Sprint("operator", w), FullName: fmt.Sprint("Оператор ", w)})
	}
	if err := st.Commit(ctx, setup); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var seq uint64
	var head domain.JournalRecord
	for _, day := range benchyear.WorkingDays(2025, msk) {
		events, records := asServed(benchyear.Day(rng, office, day), day.Format("2006-01-02"), &head)
		c := domain.Changes{Events: events, Journal: records}
		for i := range events {
			seq++
			events[i].Seq = seq
			if e := events[i]; e.Type == domain.EventTicketFinished {
				c.Tickets = append(c.Tickets, *e.Ticket)
			}
		}
		if err := st.Commit(ctx, c); err != nil {
			b.Fatal(err)
		}
		tickets += len(c.Tickets)
	}
	return tickets
}

// asServed makes a day of benchyear's events what the server writes for
// them: each ticket's number and its history growing with every event, the
// start of service between call and finish, and the audit journal's record
// of every operation, linked after head. benchyear's events alone made
// the file 3.5 KB a ticket, these 9.5 KB; make loadtest's day, whose
// logins, boards and rating terminals are journaled too, 14 KB.
func asServed(in []domain.Event, day string, head *domain.JournalRecord) ([]domain.Event, []domain.JournalRecord) {
	const startAfter = 30 * time.Second // from the call to the start of service
	var events []domain.Event
	var records []domain.JournalRecord
	history := map[string][]domain.Step{}
	numbers := map[string]int{}
	record := func(e domain.Event, action, actor string, role domain.Role, object string) {
		device := ""
		if role == domain.RoleDevice {
			device = actor
		}
		*head = journal.Link(*head, domain.JournalRecord{Chain: e.OfficeID, At: e.At, Actor: actor, Role: role, Device: device,
			Address: "10.20.0.17:51544", Action: action, OfficeID: e.OfficeID, TicketID: e.TicketID, Object: object, Result: domain.JournalOK})
		records = append(records, *head)
	}
	step := func(e domain.Event, t domain.Ticket, action domain.Action, status domain.Status, by string) domain.Event {
		t.Status = status
		history[t.ID] = append(history[t.ID], domain.Step{At: e.At, Action: action, Status: status, By: by,
			WindowID: t.WindowID, OperatorID: t.OperatorID, ServiceID: t.ServiceID})
		t.History = slices.Clone(history[t.ID])
		e.Ticket, e.TicketID, e.ServiceID = &t, t.ID, t.ServiceID
		events = append(events, e)
		return e
	}
	for _, e := range in {
		if e.Ticket == nil {
			var actor, action, object string
			role := domain.RoleOperator
			switch {
			case e.Rating != nil:
				actor, role, action = "rating-"+e.Rating.WindowID, domain.RoleDevice, "submitRating"
			case e.Type == domain.EventWindowResumed:
				actor, action, object = "operator"+strings.TrimPrefix(e.Session.WindowID, "w"), "resumeWindow", "window/"+e.Session.WindowID
			default:
				actor, action, object = "operator"+strings.TrimPrefix(e.Session.WindowID, "w"), "closeWindow", "window/"+e.Session.WindowID
			}
			events = append(events, e)
			record(e, action, actor, role, object)
			continue
		}
		t := *e.Ticket
		t.Day, t.OriginalServiceID, t.QueuedAt = day, t.ServiceID, t.CreatedAt
		if e.Type == domain.EventTicketIssued {
			numbers[t.ServiceID]++
		}
		t.Number = fmt.Sprintf("%c%03d", 'А'+rune(t.ServiceID[1]-'0'), numbers[t.ServiceID]%1000)
		operator := "operator" + strings.TrimPrefix(t.WindowID, "w")
		switch e.Type {
		case domain.EventTicketIssued:
			e = step(e, t, domain.ActionIssue, domain.StatusWaiting, "kiosk1")
			record(e, "issueTicket", "kiosk1", domain.RoleDevice, "")
		case domain.EventTicketCalled:
			e = step(e, t, domain.ActionCall, domain.StatusCalled, operator)
			record(e, "callNext", operator, domain.RoleOperator, "window/"+t.WindowID)
			started := e.At.Add(startAfter)
			t.ServiceStartedAt = &started
			e = step(domain.Event{Type: domain.EventTicketStarted, At: started, OfficeID: e.OfficeID, FromStatus: domain.StatusCalled}, t,
				domain.ActionStart, domain.StatusServing, operator)
			record(e, "startService", operator, domain.RoleOperator, "window/"+t.WindowID)
		case domain.EventTicketFinished:
			started := e.Ticket.CalledAt.Add(startAfter)
			t.ServiceStartedAt, t.FinishedAt = &started, &e.At
			e.FromStatus = domain.StatusServing
			e = step(e, t, domain.ActionFinish, domain.StatusDone, operator)
			record(e, "finishTicket", operator, domain.RoleOperator, "window/"+t.WindowID)
		}
	}
	return events, records
}

// BenchmarkRestoreYear measures what bringing a large office back from its
// backup takes, once the file is at hand: `backup verify` of the backup,
// the restore (verify, copy, sync, migrate, keep the replaced file, rename)
// with the journal entry the restore command adds (a store and queue open
// of its own), and the first start of the server on the restored file
// (store open and queue.Open's load). Goal: the total under a minute. It
// also reports the scheduled backup that made the file (write, sync,
// verify) and the file's size.
func BenchmarkRestoreYear(b *testing.B) {
	dir := b.TempDir()
	live := filepath.Join(dir, "data", "talon.db")
	began := time.Now()
	tickets := yearFile(b, live)
	b.Logf("a year of a 50-window office: %d tickets written in %v", tickets, time.Since(began).Round(time.Second))
	ctx := context.Background()
	backups := filepath.Join(dir, "backups")
	if err := os.Mkdir(backups, 0o750); err != nil {
		b.Fatal(err)
	}
	for range b.N {
		st, err := store.Open(live, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		info, err := st.WriteBackup(ctx, backups, Name(t0))
		backupTook := time.Since(t0)
		if cerr := st.Close(); err != nil || cerr != nil {
			b.Fatal(err, cerr)
		}

		t0 = time.Now()
		if _, err := store.Verify(info.Path); err != nil {
			b.Fatal(err)
		}
		verifyTook := time.Since(t0)

		t0 = time.Now()
		r, err := store.Restore(info.Path, live)
		if err != nil {
			b.Fatal(err)
		}
		restoreTook := time.Since(t0)
		t0 = time.Now()
		st, svc := start(b, live)
		if err := svc.Record(domain.WithActor(ctx, domain.System), domain.JournalEntry{Action: "restore", Object: "backup/" + filepath.Base(info.Path)}); err != nil {
			b.Fatal(err)
		}
		stop(b, st, svc)
		journalTook := time.Since(t0)

		t0 = time.Now()
		st, svc = start(b, live)
		startTook := time.Since(t0)
		if _, err := svc.GetLiveLoad(domain.WithActor(ctx, domain.System), "o0"); err != nil {
			b.Fatal(err)
		}
		stop(b, st, svc)
		if err := os.Remove(r.Kept); err != nil {
			b.Fatal(err)
		}

		b.ReportMetric(float64(tickets), "tickets")
		b.ReportMetric(float64(info.Size)/(1<<20), "MiB-file")
		b.ReportMetric(backupTook.Seconds(), "s-backup")
		b.ReportMetric(verifyTook.Seconds(), "s-verify")
		b.ReportMetric(restoreTook.Seconds(), "s-restore")
		b.ReportMetric(journalTook.Seconds(), "s-journal")
		b.ReportMetric(startTook.Seconds(), "s-first-start")
		b.ReportMetric((restoreTook + journalTook + startTook).Seconds(), "s-total")
	}
}

// start opens the store and the queue as the server does.
func start(b *testing.B, path string) (*store.Store, *queue.Service) {
	b.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := queue.Open(context.Background(), queue.Options{Store: st, Outbox: st.Outbox()})
	if err != nil {
		b.Fatal(err)
	}
	return st, svc
}

func stop(b *testing.B, st *store.Store, svc *queue.Service) {
	b.Helper()
	svc.Close()
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
}
