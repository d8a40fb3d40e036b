package api

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

func journalFake(h *harness) []domain.JournalRecord {
	h.fake.results["GetOffice"] = domain.Office{ID: "mfc-1", TimeZone: "Europe/Moscow"}
	records := []domain.JournalRecord{
		{Chain: "mfc-1", Seq: 4, At: time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC), Actor: "kiosk1", Action: "issueTicket", TicketID: "t1", Result: "ok", Hash: "h4"},
		{Chain: "mfc-1", Seq: 9, At: time.Date(2026, 11, 23, 6, 5, 0, 0, time.UTC), Actor: "operator1", Action: "callNext", TicketID: "t1", Result: "ok", Hash: "h9"},
	}
	h.fake.results["ListJournal"] = records
	h.fake.results["ExportJournal"] = records
	return records
}

// The whole history of one ticket is one call; the filter reaches the
// journal with the dates in the office's time zone.
func TestJournalTicketHistory(t *testing.T) {
	h := newHarness(t)
	want := journalFake(h)
	w := h.do(t, "GET", "/api/v1/offices/mfc-1/journal?ticket=t1&from=2026-11-23&to=2026-11-23", "")
	if w.Code != 200 {
		t.Fatalf("journal: %d %s", w.Code, w.Body)
	}
	var got []domain.JournalRecord
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got) != 2 || got[1].Hash != want[1].Hash {
		t.Fatalf("journal answered %s (%v)", w.Body, err)
	}
	c := h.fake.named("ListJournal")
	if len(c) != 1 || c[0].args[0] != "mfc-1" {
		t.Fatalf("ListJournal calls %+v", c)
	}
	q := c[0].args[1].(domain.JournalQuery)
	moscowMidnight := time.Date(2026, 11, 22, 21, 0, 0, 0, time.UTC)
	if q.TicketID != "t1" || !q.From.Equal(moscowMidnight) || !q.To.Equal(moscowMidnight.Add(24*time.Hour)) {
		t.Fatalf("query %+v", q)
	}
	wantError(t, h.do(t, "GET", "/api/v1/offices/mfc-1/journal?from=вчера", ""), 400, domain.CodeInvalid, "параметр from")
	wantError(t, h.do(t, "GET", "/api/v1/offices/mfc-1/journal?who=me", ""), 400, domain.CodeInvalid, "неизвестный параметр")
}

// format=csv is a spreadsheet file, taken through ExportJournal, which
// journals the export.
func TestJournalCSVExport(t *testing.T) {
	h := newHarness(t)
	journalFake(h)
	w := h.do(t, "GET", "/api/v1/offices/mfc-1/journal?format=csv", "")
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(w.Header().Get("Content-Disposition"), `filename="talon-journal-mfc-1.csv"`) {
		t.Fatalf("csv: %d %v", w.Code, w.Header())
	}
	lines := strings.Split(strings.TrimSpace(w.Body.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "\ufeffЖурнал;№;Время") || !strings.Contains(lines[2], "2026-11-23 09:05:00;operator1") {
		t.Fatalf("csv body %q", w.Body)
	}
	if len(h.fake.named("ExportJournal")) != 1 || len(h.fake.named("ListJournal")) != 0 {
		t.Fatal("a CSV export did not go through ExportJournal")
	}
	h.fake.errs["ExportJournal"] = domain.Errorf(domain.CodeForbidden, "это действие недоступно для вашей роли (operator)")
	wantError(t, h.do(t, "GET", "/api/v1/offices/mfc-1/journal?format=csv", ""), 403, domain.CodeForbidden, "недоступно")
}

func TestRegionJournalAndHeads(t *testing.T) {
	h := newHarness(t)
	journalFake(h)
	h.fake.results["JournalHeads"] = domain.JournalHeads{Days: []domain.JournalHead{{Day: "2026-11-22", Seq: 3, Hash: "h3"}}}
	if w := h.do(t, "GET", "/api/v1/journal?actor=admin", ""); w.Code != 200 {
		t.Fatalf("region journal: %d %s", w.Code, w.Body)
	}
	if c := h.fake.named("ListJournal"); len(c) != 1 || c[0].args[0] != domain.RegionChain {
		t.Fatalf("region journal read %+v", c)
	}
	w := h.do(t, "GET", "/api/v1/offices/mfc-1/journal/heads", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"hash":"h3"`) {
		t.Fatalf("heads: %d %s", w.Code, w.Body)
	}
}

// A backup is journaled, and so is an attempt by someone who may not take one.
func TestBackupIsJournaled(t *testing.T) {
	h := newHarness(t)
	if w := h.do(t, "GET", "/api/v1/backup", ""); w.Code != 200 {
		t.Fatalf("backup: %d", w.Code)
	}
	h.do(t, "GET", "/api/v1/backup", "", "Authorization", "Bearer "+h.token(t, operator))
	c := h.fake.named("Record")
	if len(c) != 2 {
		t.Fatalf("%d records, want 2", len(c))
	}
	ok, refused := c[0].args[0].(domain.JournalEntry), c[1].args[0].(domain.JournalEntry)
	if ok.Action != "backup" || ok.Err != nil || refused.Action != "backup" || domain.ErrorCode(refused.Err) != domain.CodeForbidden || c[1].actor.Login != "operator1" {
		t.Fatalf("records %+v", c)
	}
}
