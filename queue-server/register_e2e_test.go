package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// postRegister sends a register file to importCatalog as a browser or a
// script would, and decodes the report or the error.
func postRegister(t *testing.T, url, token, query, contentType string, body []byte) (int, domain.RegisterReport, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/api/v1/offices/"+demo.OfficeID+"/catalog/import"+query, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var rep domain.RegisterReport
	var fail struct {
		Error struct{ Message string } `json:"error"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatalf("report %s: %v", data, err)
		}
	} else {
		_ = json.Unmarshal(data, &fail)
	}
	return resp.StatusCode, rep, fail.Error.Message
}

func skippedLines(rep domain.RegisterReport) []int {
	out := []int{}
	for _, s := range rep.Skipped {
		out = append(out, s.Line)
	}
	return out
}

func importRecords(t *testing.T, url string, admin *client.Client) int {
	t.Helper()
	n := 0
	for _, r := range getJournal(t, url, admin, "") {
		if r.Action == "importCatalog" {
			n++
		}
	}
	return n
}

// The sample register file with malformed rows, imported into the demo
// office of the real server: a dry run foretells and changes nothing, the
// import keeps the office's settings, a re-import changes nothing but adds
// its journal record.
func TestRegisterImportEndToEnd(t *testing.T) {
	dir := t.TempDir()
	_, url := testserver.Start(t, dir, "127.0.0.1:0")
	ctx := context.Background()
	admin := login(t, url, "admin")
	file, err := os.ReadFile("integrations/frgu/testdata/malformed.csv")
	if err != nil {
		t.Fatal(err)
	}
	before := must[domain.OfficeSnapshot](t)(admin.GetSnapshot(ctx, demo.OfficeID))

	status, dry, msg := postRegister(t, url, admin.Token(), "?dry_run=true", "text/csv; charset=utf-8", file)
	if status != http.StatusOK {
		t.Fatalf("dry run: %d %s", status, msg)
	}
	// Lines 3–6, 8 and 12 are malformed, 11 repeats 9; 2 is the demo's passport.
	if got, want := skippedLines(dry), []int{3, 4, 5, 6, 8, 11, 12}; !reflect.DeepEqual(got, want) || !dry.DryRun || dry.Rows != 9 {
		t.Fatalf("dry run: skipped lines %v, want %v; report %+v", got, want, dry)
	}
	if len(dry.Updated) != 1 || dry.Updated[0].ServiceID != "passport" || len(dry.Created) != 2 {
		t.Fatalf("dry run: updated %+v, created %+v", dry.Updated, dry.Created)
	}
	if after := must[domain.OfficeSnapshot](t)(admin.GetSnapshot(ctx, demo.OfficeID)); after.Seq != before.Seq || !reflect.DeepEqual(after.Services, before.Services) {
		t.Fatalf("the dry run changed the office: seq %d → %d", before.Seq, after.Seq)
	}
	if n := importRecords(t, url, admin); n != 0 {
		t.Errorf("a dry run left %d journal records", n)
	}

	// The import through the SDK, as a case system or a script would.
	rep, err := admin.ImportRegister(ctx, demo.OfficeID, domain.RegisterFile{Format: "csv", Data: file})
	if err != nil {
		t.Fatal(err)
	}
	dry.DryRun = false
	if !reflect.DeepEqual(rep, dry) {
		t.Errorf("the import did\n%+v\nthe dry run foretold\n%+v", rep, dry)
	}
	var oldPassport domain.Service
	for _, s := range before.Services {
		if s.ID == "passport" {
			oldPassport = s
		}
	}
	services := must[[]domain.Service](t)(admin.ListServices(ctx, demo.OfficeID))
	var passport, created domain.Service
	for _, s := range services {
		switch s.ID {
		case "passport":
			passport = s
		case "frgu-10000000368":
			created = s
		}
	}
	want := oldPassport
	want.Name = "Выдача паспорта гражданина РФ"
	if !reflect.DeepEqual(passport, want) {
		t.Errorf("passport after the import\n got %+v\nwant %+v", passport, want)
	}
	if !created.Disabled || created.ParentID != "frgu-10000002345" || created.Purpose != domain.PurposeResult || created.Prefix == "" {
		t.Errorf("new service: %+v", created)
	}
	mid := must[domain.OfficeSnapshot](t)(admin.GetSnapshot(ctx, demo.OfficeID))
	if mid.Seq != before.Seq+1 {
		t.Errorf("the import made %d events, want one config event", mid.Seq-before.Seq)
	}
	if n := importRecords(t, url, admin); n != 1 {
		t.Errorf("%d journal records of the import, want 1", n)
	}

	// The same file again: nothing changes, no event, one more record.
	again, err := admin.ImportRegister(ctx, demo.OfficeID, domain.RegisterFile{Format: "csv", Data: file})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Created)+len(again.Updated) != 0 || len(again.Unchanged) != 2 {
		t.Errorf("re-import: %+v", again)
	}
	after := must[domain.OfficeSnapshot](t)(admin.GetSnapshot(ctx, demo.OfficeID))
	if after.Seq != mid.Seq || !reflect.DeepEqual(after.Services, mid.Services) {
		t.Errorf("the re-import changed the office: seq %d → %d", mid.Seq, after.Seq)
	}
	if n := importRecords(t, url, admin); n != 2 {
		t.Errorf("%d journal records after the re-import, want 2", n)
	}

	// JSON by its Content-Type; the hall administrator may not import.
	jsonFile, err := os.ReadFile("integrations/frgu/testdata/malformed.json")
	if err != nil {
		t.Fatal(err)
	}
	status, rep, msg = postRegister(t, url, admin.Token(), "?dry_run=1", "application/json", jsonFile)
	if status != http.StatusOK || !reflect.DeepEqual(skippedLines(rep), []int{14, 15, 18, 19, 24}) {
		t.Errorf("JSON dry run: %d %s %+v", status, msg, rep.Skipped)
	}
	// The same CSV as Russian Excel saves it, in Windows-1251 and without a
	// charset: the server tells it from UTF-8 by itself.
	cp1251, err := charmap.Windows1251.NewEncoder().Bytes(file)
	if err != nil {
		t.Fatal(err)
	}
	status, rep, msg = postRegister(t, url, admin.Token(), "?dry_run=true", "text/csv", cp1251)
	if status != http.StatusOK || len(rep.Unchanged) != 2 || !reflect.DeepEqual(skippedLines(rep), []int{3, 4, 5, 6, 8, 11, 12}) {
		t.Errorf("Windows-1251 dry run: %d %s %+v", status, msg, rep)
	}
	hall := login(t, url, "hall")
	if status, _, msg := postRegister(t, url, hall.Token(), "", "text/csv", file); status != http.StatusForbidden || msg == "" {
		t.Errorf("hall administrator: %d %q, want 403 with a sentence", status, msg)
	}
	if status, _, msg := postRegister(t, url, admin.Token(), "", "text/plain", file); status != http.StatusBadRequest || !strings.Contains(msg, "формат") {
		t.Errorf("no format: %d %q", status, msg)
	}
}

// An office engineer imports the clean sample into a stopped server with
// `catalog import`: the dry run and the import print the same changes, and
// a second import finds nothing to change.
func TestCatalogImportCommand(t *testing.T) {
	dir := t.TempDir()
	_, stop := startServer(t, dir, "--demo")
	stop()
	importSample := func(extra ...string) string {
		t.Helper()
		var out bytes.Buffer
		args := append([]string{"catalog", "import", "--data", dir, "--office", demo.OfficeID, "--file", "../docs/frgu/sample.json"}, extra...)
		if err := run(context.Background(), args, func(string) string { return "" }, &out, io.Discard); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out.String()
	}
	dry := importSample("--dry-run")
	done := importSample()
	again := importSample()
	const counts = "новых 5, изменённых 2, без изменений 0, пропущено 0"
	if !strings.HasPrefix(dry, "Пробный прогон") || !strings.Contains(dry, counts) {
		t.Errorf("dry run printed:\n%s", dry)
	}
	if strings.TrimPrefix(dry, "Пробный прогон: ничего не изменено, ниже — что изменил бы импорт.\n") != done {
		t.Errorf("the import printed\n%s\nthe dry run\n%s", done, dry)
	}
	for _, want := range []string{"~ строка 12: услуга passport «Выдача паспорта гражданина РФ»", "name: «Паспорт гражданина РФ» → «Выдача паспорта гражданина РФ»",
		"frgu.authority_id: «10000000001» → «10000001081»", "+ строка 13: группа frgu-10000001045"} {
		if !strings.Contains(done, want) {
			t.Errorf("the import's report lacks %q:\n%s", want, done)
		}
	}
	if !strings.Contains(again, "новых 0, изменённых 0, без изменений 5, пропущено 0") {
		t.Errorf("a second import printed:\n%s", again)
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"catalog", "import", "--data", dir, "--office", demo.OfficeID, "--file", "../docs/frgu/sample.xml"}, func(string) string { return "" }, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "не прочитан") {
		t.Errorf("a missing file: %v", err)
	}
}
