package backup

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/queue"
	"github.com/talonqueue/talon/queue-server/stats/benchyear"
	"github.com/talonqueue/talon/queue-server/store"
)

// yearFile writes the data file of a 50-window office after a year of work
// (benchyear's 2025, about 400,000 tickets): the office, its services,
// windows and operators, every ticket finished, every event in the log and
// the statistics' rollups, committed one day at a time through the store.
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
	for _, day := range benchyear.WorkingDays(2025, msk) {
		events := benchyear.Day(rng, office, day)
		c := domain.Changes{Events: events}
		for i := range events {
			seq++
			events[i].Seq = seq
			if e := events[i]; e.Type == domain.EventTicketFinished {
				t := *e.Ticket
				t.Day, t.Status, t.FinishedAt = day.Format("2006-01-02"), domain.StatusDone, &e.At
				t.Number = fmt.Sprintf("%s%03d", string(rune('А'+len(t.ServiceID)%10)), len(c.Tickets)%1000)
				c.Tickets = append(c.Tickets, t)
			}
		}
		if err := st.Commit(ctx, c); err != nil {
			b.Fatal(err)
		}
		tickets += len(c.Tickets)
	}
	return tickets
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
