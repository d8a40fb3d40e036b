package store

import (
	"context"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// TestMigration8AddsIntegrations opens a file at schema 7, which has nowhere
// to keep an integration, migrates it, and keeps one with its key's hash.
func TestMigration8AddsIntegrations(t *testing.T) {
	path := fileAt(t, 7)
	in := domain.Integration{ID: "ais", Name: "АИС МФЦ", OfficeIDs: []string{testOffice}, Operations: []domain.Operation{domain.OpView},
		KeyHash: domain.HashSecret("secret"), Version: 2, CreatedAt: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	old, err := open(path, Options{}, migrations[:7])
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Commit(context.Background(), domain.Changes{Integrations: []domain.Integration{in}}); err == nil {
		t.Error("a file at schema 7 took an integration")
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := open(path, Options{}, migrations[:8])
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, domain.Changes{Integrations: []domain.Integration{in}})
	got := load(t, s, "").Integrations
	if len(got) != 1 || got[0].KeyHash != in.KeyHash || got[0].Version != 2 || got[0].Name != in.Name {
		t.Fatalf("loaded %+v, want %+v with its key hash", got, in)
	}
	commit(t, s, domain.Changes{Deletions: []domain.Deletion{{Kind: domain.KindIntegration, ID: "ais"}}})
	if got := load(t, s, "").Integrations; len(got) != 0 {
		t.Errorf("after the deletion: %+v", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := schemaOf(t, path); v != 8 {
		t.Errorf("schema %d, want 8", v)
	}
}

// TestSandboxOfficeStaysOutOfStatistics commits the same ticket to a
// working and a test office: only the working one counts, also after a
// rebuild from the log.
func TestSandboxOfficeStaysOutOfStatistics(t *testing.T) {
	s, _ := openTest(t)
	work := domain.Office{ID: testOffice, Name: "Офис", TimeZone: "Europe/Moscow"}
	test := domain.Office{ID: "test", Name: "Тестовый", TimeZone: "Europe/Moscow", Sandbox: true}
	commit(t, s, domain.Changes{Offices: []domain.Office{work, test}})
	t1 := ticket("t1", "2026-11-24", domain.StatusWaiting)
	commit(t, s, issue(1, t1, 1))
	t2 := ticket("t2", "2026-11-24", domain.StatusWaiting)
	t2.OfficeID = "test"
	commit(t, s, issue(1, t2, 1))
	q := domain.StatsQuery{OfficeIDs: []string{testOffice, "test"}, From: "2026-11-24", To: "2026-11-24", By: domain.StatsByOffice}
	for _, when := range []string{"as committed", "after a rebuild"} {
		rep, err := s.Stats(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Total.Issued != 1 || len(rep.Rows) != 1 || rep.Rows[0].Key != testOffice {
			t.Errorf("%s: %d issued in rows %+v; want the working office's one", when, rep.Total.Issued, rep.Rows)
		}
		if err := s.RebuildStats(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMigration9AddsContacts keeps a phone left for the phone centre once
// the file has the bucket, and removes it by its record id.
func TestMigration9AddsContacts(t *testing.T) {
	path := fileAt(t, 8)
	c := domain.Contact{OfficeID: testOffice, TicketID: "t1", Phone: "+79991234567", ConsentAt: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC), RecordedBy: "hall"}
	old, err := open(path, Options{}, migrations[:8])
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Commit(context.Background(), domain.Changes{Contacts: []domain.Contact{c}}); err == nil {
		t.Error("a file at schema 8 took a contact")
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := open(path, Options{}, migrations[:9])
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, domain.Changes{Contacts: []domain.Contact{c}})
	sameJSON(t, "contacts", load(t, s, "").Contacts, []domain.Contact{c})
	commit(t, s, domain.Changes{Deletions: []domain.Deletion{{Kind: domain.KindContact, OfficeID: testOffice, ID: c.RecordID()}}})
	if got := load(t, s, "").Contacts; len(got) != 0 {
		t.Errorf("after the purge: %+v", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
