package queue

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/journal"
)

// journalSince returns the office's records after seq.
func journalSince(t *testing.T, svc *Service, ctx context.Context, after uint64) []domain.JournalRecord {
	t.Helper()
	all, err := svc.ListJournal(ctx, demo.OfficeID, domain.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if err := journal.Verify(all); err != nil {
		t.Fatal(err)
	}
	return all[after:]
}

// A compressed office day gives one record per successful action, in order,
// one for the forbidden attempt and none for the business refusal.
func TestOfficeDayIsJournaledOncePerAction(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	clock := &testClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	svc := openDemo(t, st, Options{Now: clock.Now, TickEvery: 10 * time.Millisecond})
	manager := as("manager", svc, t)
	kiosk, op := as("kiosk1", svc, t), as("operator1", svc, t) // pairing the kiosk is journaled too
	base := uint64(len(journalSince(t, svc, manager, 0)))
	kiosk = domain.WithOrigin(kiosk, "10.0.0.7")
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var tickets []string
	for range 3 {
		tk, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
		check(err)
		tickets = append(tickets, tk.ID)
	}
	_, err := svc.OpenWindowSession(op, demo.OfficeID, "w1")
	check(err)
	_, err = svc.PauseWindow(op, demo.OfficeID, "w1", true, "обед")
	check(err)
	_, err = svc.PauseWindow(op, demo.OfficeID, "w1", false, "")
	check(err)
	a, err := svc.CallNext(op, demo.OfficeID, "w1", false)
	check(err)
	_, err = svc.StartService(op, demo.OfficeID, a.ID)
	check(err)
	_, err = svc.FinishTicket(op, demo.OfficeID, a.ID)
	check(err)
	b, err := svc.CallNext(op, demo.OfficeID, "w1", false)
	check(err)
	_, err = svc.PostponeTicket(op, demo.OfficeID, b.ID, 5*time.Minute)
	check(err)
	clock.Advance(5 * time.Minute)
	waitStatus(t, svc, kiosk, b.ID, domain.StatusWaiting)
	c, err := svc.CallNext(op, demo.OfficeID, "w1", false)
	check(err)
	_, err = svc.RedirectTicket(op, demo.OfficeID, c.ID, domain.Redirect{ServiceID: "foreign-passport"})
	check(err)
	d, err := svc.CallNext(op, demo.OfficeID, "w1", false)
	check(err)
	_, err = svc.MarkNoShow(op, demo.OfficeID, d.ID)
	check(err)
	// A kiosk may not configure windows: refused and journaled.
	_, err = svc.PutWindow(kiosk, domain.Window{ID: "w9", OfficeID: demo.OfficeID, Number: 9, ServiceIDs: []string{"passport"}})
	if domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("kiosk putting a window: %v, want forbidden", err)
	}
	_, err = svc.CloseWindowSession(op, demo.OfficeID, "w1")
	check(err)
	// Calling at a closed window is a business refusal: answered, not journaled.
	if _, err := svc.CallNext(op, demo.OfficeID, "w1", false); err == nil || journaledRefusal(err) {
		t.Fatalf("call at a closed window: %v, want a business refusal", err)
	}

	got := journalSince(t, svc, manager, base)
	want := []string{
		"issueTicket kiosk1@demo " + tickets[0], "issueTicket kiosk1@demo " + tickets[1], "issueTicket kiosk1@demo " + tickets[2],
		"openWindowSession operator1 ", "pauseWindow operator1 ", "pauseWindow operator1 ",
		"callNext operator1 " + a.ID, "startService operator1 " + a.ID, "finishTicket operator1 " + a.ID,
		"callNext operator1 " + b.ID, "postponeTicket operator1 " + b.ID, "returnPostponed system " + b.ID,
		"callNext operator1 " + c.ID, "redirectTicket operator1 " + c.ID,
		"callNext operator1 " + d.ID, "markNoShow operator1 " + d.ID,
		"putWindow kiosk1@demo ", "closeWindowSession operator1 ",
	}
	var actions []string
	for _, r := range got {
		actions = append(actions, fmt.Sprintf("%s %s %s", r.Action, r.Actor, r.TicketID))
	}
	if !slices.Equal(actions, want) {
		t.Fatalf("journal:\n%q\nwant:\n%q", actions, want)
	}
	if r := got[0]; r.Address != "10.0.0.7" || r.Device != "kiosk1" || r.Result != domain.JournalOK || r.Chain != demo.OfficeID {
		t.Errorf("issue record %+v: want the kiosk's address and device, ok, the office chain", r)
	}
	if r := got[16]; r.Result != string(domain.CodeForbidden) || r.Message == "" || r.Object != "window/w9" {
		t.Errorf("forbidden record %+v: want forbidden with its sentence and object", r)
	}
	history, err := svc.ListJournal(manager, demo.OfficeID, domain.JournalQuery{TicketID: b.ID})
	check(err)
	var wantHistory []domain.JournalRecord
	for _, r := range got {
		if r.TicketID == b.ID {
			wantHistory = append(wantHistory, r)
		}
	}
	if len(history) != len(wantHistory) || len(history) < 4 || history[len(history)-1] != wantHistory[len(wantHistory)-1] {
		t.Errorf("history of one ticket: %d records, want the %d of it in the day", len(history), len(wantHistory))
	}
	if _, err := svc.ListJournal(op, demo.OfficeID, domain.JournalQuery{}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("an operator reading the journal: %v, want forbidden", err)
	}
	if _, err := svc.ListJournal(manager, domain.RegionChain, domain.JournalQuery{}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("an office manager reading the region journal: %v, want forbidden", err)
	}
}

// A failed commit takes its records back: the chain continues from what is
// on disk, with no gap and no fork.
func TestFailedCommitRollsBackTheChain(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	flaky := &flakyStore{Store: st}
	svc := openDemo(t, flaky, Options{})
	kiosk, manager := as("kiosk1", svc, t), as("manager", svc, t)
	flaky.fail.Store(true)
	if _, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err == nil {
		t.Fatal("issue during a failing disk succeeded")
	}
	flaky.fail.Store(false)
	if _, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
		t.Fatal(err)
	}
	journalSince(t, svc, manager, 0) // verifies the chain
}

// The day's head is kept at the office's midnight and listed with the current one.
func TestMidnightKeepsTheDaysHead(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	clock := &testClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	svc := openDemo(t, st, Options{Now: clock.Now, TickEvery: 10 * time.Millisecond})
	manager := as("manager", svc, t)
	before, err := svc.JournalHeads(manager, demo.OfficeID)
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Days) != 0 || before.Current.Seq == 0 || before.Current.Day != "2026-11-23" {
		t.Fatalf("heads before midnight: %+v", before)
	}
	clock.Advance(15 * time.Hour) // 00:00 in Moscow
	deadline := time.Now().Add(10 * time.Second)
	for {
		h, err := svc.JournalHeads(manager, demo.OfficeID)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Days) == 1 {
			if d := h.Days[0]; d.Day != "2026-11-23" || d.Seq != before.Current.Seq || d.Hash != before.Current.Hash {
				t.Fatalf("kept head %+v, want the head of 2026-11-23 %+v", d, before.Current)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no head kept after midnight: %+v", h)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
