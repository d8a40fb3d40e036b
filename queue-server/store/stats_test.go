package store

import (
	"context"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

// TestMigration6AddsTheStatistics opens a file at schema 5 with a ticket
// issued, migrates it, and sees the rollups follow new commits; the rebuild
// then counts the ticket from before the migration too, in the office's zone.
func TestMigration6AddsTheStatistics(t *testing.T) {
	path := fileAt(t, 5)
	old, err := open(path, Options{}, migrations[:5])
	if err != nil {
		t.Fatal(err)
	}
	office := domain.Office{ID: testOffice, Name: "Офис", TimeZone: "Asia/Vladivostok"}
	// 23:30 UTC is the next morning in Vladivostok (UTC+10).
	t1 := ticket("t1", "2026-11-24", domain.StatusWaiting)
	t1.CreatedAt = at("2026-11-23", "23:30")
	c := issue(1, t1, 1)
	c.Offices = []domain.Office{office}
	commit(t, old, c)
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := open(path, Options{}, migrations)
	if err != nil {
		t.Fatal(err)
	}
	t2 := ticket("t2", "2026-11-24", domain.StatusWaiting)
	t2.CreatedAt = at("2026-11-24", "00:30")
	commit(t, s, issue(2, t2, 2))
	q := domain.StatsQuery{OfficeIDs: []string{testOffice}, From: "2026-11-24", To: "2026-11-24", By: domain.StatsByHour}
	rep, err := s.Stats(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Issued != 1 || len(rep.Rows) != 1 || rep.Rows[0].Key != "10" {
		t.Errorf("after the migration: %d issued in rows %+v; want the one committed since, at 10", rep.Total.Issued, rep.Rows)
	}
	if err := s.RebuildStats(context.Background()); err != nil {
		t.Fatal(err)
	}
	rep, err = s.Stats(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Issued != 2 || len(rep.Rows) != 2 || rep.Rows[0].Key != "09" || rep.Rows[1].Key != "10" {
		t.Errorf("after the rebuild: %d issued in rows %+v; want 2, at 09 and 10", rep.Total.Issued, rep.Rows)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := schemaOf(t, path); v != len(migrations) {
		t.Errorf("schema %d, want %d", v, len(migrations))
	}
}

func TestStatsRefusesABadQuery(t *testing.T) {
	s, _ := openTest(t)
	for _, q := range []domain.StatsQuery{
		{From: "2026-11-01", To: "2026-11-30", By: domain.StatsByOffice},
		{OfficeIDs: []string{testOffice}, From: "2026-11-01", To: "2026-11-30", By: "year"},
		{OfficeIDs: []string{testOffice}, From: "01.11.2026", To: "2026-11-30", By: domain.StatsByOffice},
		{OfficeIDs: []string{testOffice}, From: "2026-11-30", To: "2026-11-01", By: domain.StatsByOffice},
		{OfficeIDs: []string{testOffice}, From: "2016-11-01", To: "2026-11-30", By: domain.StatsByOffice},
	} {
		if _, err := s.Stats(context.Background(), q); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("%+v: %v, want an invalid query", q, err)
		}
	}
}
