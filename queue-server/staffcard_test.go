package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/talonqueue/talon/internal/outbuf"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// A staff card's life through the real server: issued, used, replaced,
// revoked; and its code in no log, journal or database file.
func TestStaffCardEndToEnd(t *testing.T) {
	dir := t.TempDir()
	logs := &outbuf.Buffer{}
	args := []string{"--addr", "127.0.0.1:0", "--data", dir, "--bcrypt-cost", "4", "--demo"}
	url, stop := startWith(t, func(ctx context.Context, out io.Writer) error {
		return run(ctx, args, func(string) string { return "" }, io.MultiWriter(out, logs), logs)
	})
	ctx := context.Background()
	admin := login(t, url, "admin")

	// The demo's card, written for make run, logs operator1 in.
	demoCard, err := os.ReadFile(filepath.Join(dir, "terminals", "operator1.card"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "terminals", "operator1.card")); fi.Mode().Perm() != 0o600 {
		t.Errorf("operator1.card has mode %v, want 0600", fi.Mode().Perm())
	}
	byCard := func(card string) (*client.Client, error) {
		c, err := client.New(url)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.LoginCard(ctx, card)
		return c, err
	}
	if _, err := byCard(strings.TrimSpace(string(demoCard))); err != nil {
		t.Fatalf("the demo's card: %v", err)
	}

	first := must[domain.StaffCard](t)(admin.IssueStaffCard(ctx, "operator1"))
	if first.Login != "operator1" || !strings.HasPrefix(first.Card, domain.StaffCardPrefix) || first.IssuedAt.IsZero() {
		t.Fatalf("issued %+v", first)
	}
	if _, err := byCard(strings.TrimSpace(string(demoCard))); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("the demo's card after a new one: %v, want unauthorized", err)
	}
	op, err := byCard(first.Card)
	if err != nil {
		t.Fatalf("login by card: %v", err)
	}
	me := must[domain.Actor](t)(op.Me(ctx))
	if me.Login != "operator1" || me.Role != domain.RoleOperator {
		t.Fatalf("the card logged in as %+v", me)
	}
	// The account shows that it has a card, and nothing of it.
	accounts := must[[]domain.Account](t)(admin.ListAccounts(ctx, demo.OfficeID))
	for _, a := range accounts {
		if a.Login == "operator1" && (a.CardIssuedAt == nil || !a.CardIssuedAt.Equal(first.IssuedAt)) {
			t.Errorf("operator1's card_issued_at = %v, want %v", a.CardIssuedAt, first.IssuedAt)
		}
	}

	second := must[domain.StaffCard](t)(admin.IssueStaffCard(ctx, "operator1"))
	if _, err := byCard(first.Card); err == nil || !strings.Contains(err.Error(), "карта сотрудника не распознана") {
		t.Fatalf("the replaced card: %v, want «карта сотрудника не распознана»", err)
	}
	if _, err := op.Me(ctx); err != nil {
		t.Fatalf("a new card ended the session of the old one: %v", err)
	}
	if _, err := byCard(second.Card); err != nil {
		t.Fatalf("the new card: %v", err)
	}

	revoked := must[domain.Account](t)(admin.RevokeStaffCard(ctx, "operator1"))
	if revoked.CardIssuedAt != nil {
		t.Errorf("revoked account still shows a card: %+v", revoked)
	}
	if _, err := byCard(second.Card); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("the revoked card: %v, want unauthorized", err)
	}
	if _, err := op.Me(ctx); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("a token of the revoked card: %v, want unauthorized", err)
	}
	if _, err := admin.RevokeStaffCard(ctx, "operator1"); domain.ErrorCode(err) != domain.CodeConflict {
		t.Errorf("revoking no card: %v, want conflict", err)
	}
	login(t, url, "operator1") // the password still works

	// An operator may not give themselves a card; nobody gets one for a
	// login that does not exist.
	if _, err := login(t, url, "operator2").IssueStaffCard(ctx, "operator2"); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("operator's own card: %v, want forbidden", err)
	}
	if _, err := admin.IssueStaffCard(ctx, "nobody"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("card for nobody: %v, want not found", err)
	}

	for _, tc := range []struct{ body, want string }{
		{`{"card":`, "JSON"},
		{`{"login":"operator1","password":"demo","card":"` + second.Card + `"}`, "а не тем и другим сразу"},
		{`{"login":"operator1","card":"TSC1-X"}`, "а не тем и другим сразу"},
		{`{}`, "укажите логин и пароль или код карты сотрудника"},
		{`{"card":"TSC1-NOTACARD"}`, "карта сотрудника не распознана"},
		{`{"card":"` + strings.Repeat("A", 300) + `"}`, "слишком длинный"},
	} {
		status, msg := httpCall(t, "POST", url+"/api/v1/login", "", tc.body)
		if status < 400 || !strings.Contains(msg, tc.want) {
			t.Errorf("login %s: %d %q, want a sentence with %q", tc.body, status, msg, tc.want)
		}
	}
	if status, msg := httpCall(t, "POST", url+"/api/v1/accounts/nobody/staff-card", admin.Token(), ""); status != http.StatusNotFound || !strings.Contains(msg, "nobody") {
		t.Errorf("card for an unknown account over HTTP: %d %q", status, msg)
	}

	// The journal has every step, by name, and none of the codes.
	records := getJournal(t, url, admin, "limit=1000")
	seen := map[string]int{}
	for _, r := range records {
		if r.Object == "account/operator1" {
			seen[r.Action]++
		}
	}
	if seen["issueStaffCard"] < 3 || seen["revokeStaffCard"] < 1 || seen["login"] < 3 {
		t.Errorf("journal of operator1: %v; want the issues, the revoke and the logins", seen)
	}
	journalJSON, err := json.Marshal(records)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	db, err := os.ReadFile(filepath.Join(dir, "talon.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{strings.TrimSpace(string(demoCard)), first.Card, second.Card} {
		for what, text := range map[string][]byte{"the server's log": []byte(logs.String()), "the journal": journalJSON, "the database": db} {
			if bytes.Contains(text, []byte(code)) || bytes.Contains(text, []byte(code[len(domain.StaffCardPrefix):])) {
				t.Errorf("a card's code is in %s", what)
			}
		}
	}
}
