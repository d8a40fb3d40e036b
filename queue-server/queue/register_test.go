package queue

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// importRecords are the office's journal records of imports.
func importRecords(t *testing.T, svc *Service) []domain.JournalRecord {
	t.Helper()
	var out []domain.JournalRecord
	for _, r := range journalSince(t, svc, as("admin", svc, t), 0) {
		if r.Action == "importCatalog" {
			out = append(out, r)
		}
	}
	return out
}

// The import commits through the writer in one transaction: its records
// survive a reopen, it makes one event, a re-import none; the journal
// holds one record per import, the forbidden attempt included, and nothing
// for a dry run or a file that cannot be read.
func TestRegisterImportIsOneJournaledCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talon.db")
	st := openStore(t, path)
	svc := openDemo(t, st, Options{})
	admin, hall := as("admin", svc, t), as("hall", svc, t)
	seq := func() uint64 {
		t.Helper()
		snap, err := svc.GetSnapshot(admin, demo.OfficeID)
		if err != nil {
			t.Fatal(err)
		}
		return snap.Seq
	}
	start := seq()
	file, err := os.ReadFile("../../docs/frgu/sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	csv := domain.RegisterFile{Format: "csv", Data: file}

	dry := csv
	dry.DryRun = true
	if _, err := svc.ImportRegister(admin, demo.OfficeID, dry); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ImportRegister(admin, demo.OfficeID, domain.RegisterFile{Format: "json", Data: []byte("{")}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("a broken file: %v, want invalid", err)
	}
	if _, err := svc.ImportRegister(hall, demo.OfficeID, csv); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("the hall administrator: %v, want forbidden", err)
	}
	if _, err := svc.ImportRegister(hall, demo.OfficeID, domain.RegisterFile{Format: "json", Data: []byte("{")}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("the hall administrator with a broken file: %v, want forbidden before the file's faults", err)
	}
	rep, err := svc.ImportRegister(admin, demo.OfficeID, csv)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Created) != 5 || len(rep.Updated) != 2 {
		t.Fatalf("report %+v", rep)
	}
	if n := seq() - start; n != 1 {
		t.Errorf("the import and the attempts before it made %d events, want the import's one", n)
	}
	again, err := svc.ImportRegister(admin, demo.OfficeID, csv)
	if err != nil {
		t.Fatal(err)
	}
	if n := seq() - start; len(again.Unchanged) != 5 || n != 1 {
		t.Errorf("re-import: %+v, %d events in all", again, n)
	}

	recs := importRecords(t, svc)
	if len(recs) != 4 {
		t.Fatalf("%d import records, want the two refusals and the two imports: %+v", len(recs), recs)
	}
	for i, want := range []struct{ result, object string }{
		{"forbidden", "catalog/frgu"}, {"forbidden", "catalog/frgu"},
		{"ok", "catalog/frgu/created/5/updated/2/unchanged/0/skipped/0"}, {"ok", "catalog/frgu/created/0/updated/0/unchanged/5/skipped/0"},
	} {
		if recs[i].Result != want.result || recs[i].Object != want.object {
			t.Errorf("record %d: %s %s, want %s %s", i, recs[i].Result, recs[i].Object, want.result, want.object)
		}
	}

	services, err := svc.ListServices(admin, demo.OfficeID)
	if err != nil {
		t.Fatal(err)
	}
	svc.Close()
	reopened := openDemo(t, st, Options{})
	after, err := reopened.ListServices(as("admin", reopened, t), demo.OfficeID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, services) {
		t.Errorf("the catalogue after a reopen differs")
	}
	for _, s := range after {
		if s.ID == "frgu-10000000368" && (!s.Disabled || !strings.HasPrefix(s.Name, "Выдача справки")) {
			t.Errorf("new service after a reopen: %+v", s)
		}
	}
}
