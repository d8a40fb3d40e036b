package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/journal"
	bolt "go.etcd.io/bbolt"
)

// chain returns linked records of a chain after last, one per time of the
// test day; every other one concerns ticket t1.
func chain(name string, last domain.JournalRecord, times ...string) []domain.JournalRecord {
	var out []domain.JournalRecord
	for i, hhmm := range times {
		r := domain.JournalRecord{Chain: name, OfficeID: name, At: at("2026-11-23", hhmm), Actor: "hall", Role: domain.RoleHall,
			Action: "issueTicket", Result: domain.JournalOK}
		if i%2 == 0 {
			r.TicketID = "t1"
		}
		last = journal.Link(last, r)
		out = append(out, last)
	}
	return out
}

func TestJournalContinuesAfterReopen(t *testing.T) {
	s, path := openTest(t)
	first := chain(testOffice, domain.JournalRecord{}, "09:00", "09:01")
	commit(t, s, domain.Changes{Journal: first})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	last := load(t, s, "").JournalLast[testOffice]
	if last.Hash != first[1].Hash || last.Seq != 2 {
		t.Fatalf("last record after reopening = %+v, want seq 2 with hash %s", last, first[1].Hash)
	}
	commit(t, s, domain.Changes{Journal: chain(testOffice, last, "09:02")})
	var all []domain.JournalRecord
	if err := s.EachJournal(context.Background(), func(r domain.JournalRecord) error { all = append(all, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("%d records, want 3", len(all))
	}
	if err := journal.Verify(all); err != nil {
		t.Fatal(err)
	}
}

func TestJournalGapsAndBrokenLinksAreRefused(t *testing.T) {
	s, _ := openTest(t)
	recs := chain(testOffice, domain.JournalRecord{}, "09:00", "09:01", "09:02")
	commit(t, s, domain.Changes{Journal: recs[:1]})
	relinked := recs[2]
	relinked.PrevHash = recs[0].Hash
	for name, c := range map[string]domain.Changes{
		"gap":        {Journal: recs[2:]},
		"repeat":     {Journal: recs[:1]},
		"wrong link": {Journal: []domain.JournalRecord{{Chain: testOffice, Seq: 2, At: recs[1].At, Action: "x", Hash: "h", PrevHash: "nope"}}},
		"no hash":    {Journal: []domain.JournalRecord{{Chain: testOffice, Seq: 2, At: recs[1].At, Action: "x"}}},
	} {
		err := s.Commit(context.Background(), c)
		if !errors.Is(err, ErrRefused) {
			t.Errorf("%s: Commit = %v, want ErrRefused", name, err)
		}
	}
	commit(t, s, domain.Changes{Journal: recs[1:]})
}

func TestJournalQueries(t *testing.T) {
	s, _ := openTest(t)
	recs := chain(testOffice, domain.JournalRecord{}, "09:00", "09:01", "09:02", "09:03")
	// A record of the next day, to see the period seek past the first day.
	next := domain.JournalRecord{Chain: testOffice, At: at("2026-11-24", "09:00"), Actor: "admin", Action: "putWindow", Result: domain.JournalOK}
	recs = append(recs, journal.Link(recs[3], next))
	// A ticket's records are looked for from its issue to 48 h after it
	// ended: this one's record three days on is left out.
	late := domain.JournalRecord{Chain: testOffice, At: at("2026-11-26", "09:00"), Actor: "hall", Action: "cancelTicket", TicketID: "t1", Result: domain.JournalOK}
	recs = append(recs, journal.Link(recs[4], late))
	t1 := ticket("t1", "2026-11-23", domain.StatusDone)
	t1.FinishedAt = ptr(at("2026-11-23", "09:02"))
	commit(t, s, domain.Changes{Journal: recs, Tickets: []domain.Ticket{t1}})
	ctx := context.Background()
	seqs := func(q domain.JournalQuery) []uint64 {
		t.Helper()
		got, err := s.Journal(ctx, testOffice, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, r := range got {
			out = append(out, r.Seq)
		}
		return out
	}
	for name, tc := range map[string]struct {
		q    domain.JournalQuery
		want []uint64
	}{
		"all":          {domain.JournalQuery{}, []uint64{1, 2, 3, 4, 5, 6}},
		"ticket":       {domain.JournalQuery{TicketID: "t1"}, []uint64{1, 3}},
		"no ticket":    {domain.JournalQuery{TicketID: "t404"}, nil},
		"period":       {domain.JournalQuery{From: at("2026-11-23", "09:01"), To: at("2026-11-23", "09:03")}, []uint64{2, 3}},
		"next day":     {domain.JournalQuery{From: at("2026-11-24", "00:00"), To: at("2026-11-25", "00:00")}, []uint64{5}},
		"actor":        {domain.JournalQuery{Actor: "admin"}, []uint64{5}},
		"actor, later": {domain.JournalQuery{Actor: "hall", From: at("2026-11-24", "00:00")}, []uint64{6}},
		"limit":        {domain.JournalQuery{Limit: 2}, []uint64{1, 2}},
		"after it all": {domain.JournalQuery{From: at("2026-11-27", "00:00")}, nil},
	} {
		if got := seqs(tc.q); !equal(got, tc.want) {
			t.Errorf("%s: seqs %v, want %v", name, got, tc.want)
		}
	}
	if got, _ := s.Journal(ctx, "elsewhere", domain.JournalQuery{}); len(got) != 0 {
		t.Errorf("an empty chain gave %d records", len(got))
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestJournalHeadsAreKeptPerChain(t *testing.T) {
	s, _ := openTest(t)
	h := domain.JournalHead{Chain: domain.RegionChain, Day: "2026-11-23", Seq: 7, Hash: "abc", At: time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)}
	commit(t, s, domain.Changes{JournalHeads: []domain.JournalHead{h}})
	got, err := s.JournalHeads(context.Background(), domain.RegionChain)
	if err != nil || len(got) != 1 || got[0] != h {
		t.Fatalf("heads = %+v, %v; want [%+v]", got, err, h)
	}
}

func TestEachJournalNamesATamperedRecord(t *testing.T) {
	s, path := openTest(t)
	commit(t, s, domain.Changes{Journal: chain(testOffice, domain.JournalRecord{}, "09:00", "09:01")})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Move record 2 under key 3, as someone hiding a record might.
	writeBoltAt(t, path, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJournal)
		v := append([]byte(nil), b.Get(seqKeyOf(testOffice, 2))...)
		if err := b.Delete(seqKeyOf(testOffice, 2)); err != nil {
			return err
		}
		return b.Put(seqKeyOf(testOffice, 3), v)
	})
	s = openAt(t, path)
	err := s.EachJournal(context.Background(), func(domain.JournalRecord) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "№3") {
		t.Fatalf("EachJournal = %v, want an error naming record 3", err)
	}
}
