package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// getJournal reads the demo office's journal as a client would.
func getJournal(t *testing.T, url string, c *client.Client, query string) []domain.JournalRecord {
	t.Helper()
	return officeJournal(t, url, c, demo.OfficeID, query)
}

// officeJournal reads an office's journal as a client would.
func officeJournal(t *testing.T, url string, c *client.Client, officeID, query string) []domain.JournalRecord {
	t.Helper()
	return readJournal(t, c, url+"/api/v1/offices/"+officeID+"/journal?"+query)
}

// readJournal reads a journal's records at address as c.
func readJournal(t *testing.T, c *client.Client, address string) []domain.JournalRecord {
	t.Helper()
	req, _ := http.NewRequest("GET", address, nil)
	req.Header.Set("Authorization", "Bearer "+c.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out []domain.JournalRecord
	if resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil {
		t.Fatalf("journal: %d %s", resp.StatusCode, body)
	}
	return out
}

func verifyJournal(dir string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"journal", "verify", "--data", dir}, func(string) string { return "" }, &out, io.Discard)
	return out.String(), err
}

// The real server journals a day; `journal verify` passes on its file, and
// after one byte of one record is changed in the file it names that record.
func TestJournalVerifyFindsAChangedByte(t *testing.T) {
	dir := t.TempDir()
	url, stop := startServer(t, dir, "--demo")
	ctx := context.Background()
	kiosk, op, manager := login(t, url, "kiosk1"), login(t, url, "operator1"), login(t, url, "manager")
	var tk domain.Ticket
	for range 3 {
		tk = must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	}
	must[domain.WindowState](t)(op.OpenWindowSession(ctx, demo.OfficeID, "w1"))
	must[domain.Ticket](t)(op.CallNext(ctx, demo.OfficeID, "w1", false))
	history := getJournal(t, url, manager, "ticket="+tk.ID)
	if len(history) != 1 || history[0].Action != "issueTicket" || history[0].Actor != "kiosk1@demo" || history[0].Address != "127.0.0.1" {
		t.Fatalf("history of the last ticket: %+v", history)
	}
	target := history[0]
	stop()

	out, err := verifyJournal(dir)
	if err != nil || !strings.Contains(out, "Журнал demo: записей") || !strings.Contains(out, "Журнал регион: записей") {
		t.Fatalf("verify of an intact journal: %v\n%s", err, out)
	}

	// Change the first letter of the action of that record, everywhere its
	// bytes are in the file (bbolt may keep stale copies in free pages).
	path := filepath.Join(dir, dbFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head := []byte(fmt.Sprintf(`{"chain":%q,"seq":%d,`, target.Chain, target.Seq))
	changed := 0
	for i := bytes.Index(raw, head); i >= 0; {
		a := bytes.Index(raw[i:], []byte(`"action":"issueTicket"`))
		if a < 0 {
			break
		}
		raw[i+a+len(`"action":"`)] = 'I'
		changed++
		next := bytes.Index(raw[i+1:], head)
		if next < 0 {
			break
		}
		i += 1 + next
	}
	if changed == 0 {
		t.Fatal("the record's bytes are not in the file")
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = verifyJournal(dir)
	if err == nil {
		t.Fatalf("verify passed a changed journal:\n%s", out)
	}
	want := fmt.Sprintf("№%d", target.Seq)
	if !strings.Contains(err.Error(), want) || !strings.Contains(out, want) || !strings.Contains(err.Error(), "изменена") {
		t.Fatalf("verify failed with %q\n%s\nwant it to name record %s", err, out, want)
	}
}
