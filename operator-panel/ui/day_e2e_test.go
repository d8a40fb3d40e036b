package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/internal/outbuf"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// The day's panels run as processes of their own, each the test binary
// running TestPanelProcess: two Fyne test apps in one process share Fyne's
// caches outside its UI thread. A parent sends a panel one command a line
// on the child's fd 3 and reads the panel's state back on its fd 4.

// panelCommand is one thing the operator does; Tap names a button as
// harness.enabled does, Field a text field or list.
type panelCommand struct {
	Tap    string `json:"tap,omitempty"`
	Field  string `json:"field,omitempty"`
	Text   string `json:"text,omitempty"`   // typed into Field
	Choose string `json:"choose,omitempty"` // the option of Field to choose
	Check  bool   `json:"check,omitempty"`  // ticks the redirect's "with return"
}

// panelState is what the operator sees, read under the panel's lock once
// no request is in flight.
type panelState struct {
	Current string   `json:"current"` // "А001 called", or "" with no ticket
	Ticket  string   `json:"ticket"`  // the current ticket's id
	Window  string   `json:"window"`  // the window's session status
	Refusal string   `json:"refusal"` // the sentence shown, "" when none
	Enabled []string `json:"enabled"`
	Queue   []string `json:"queue"`
	Served  int      `json:"served"`
	NoShows int      `json:"no_shows"`
	Live    bool     `json:"live"`
}

// TestPanelProcess is a panel for TestDayOfWork, not a test of its own.
func TestPanelProcess(t *testing.T) {
	url := os.Getenv("TALON_DAY_SERVER")
	if url == "" {
		t.Skip("a panel process of TestDayOfWork")
	}
	h := livePanel(t, url, os.Getenv("TALON_DAY_LOGIN"), os.Getenv("TALON_DAY_WINDOW"))
	in := bufio.NewScanner(os.NewFile(3, "commands"))
	out := json.NewEncoder(os.NewFile(4, "states"))
	for in.Scan() {
		var c panelCommand
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			t.Fatalf("command %q: %v", in.Text(), err)
		}
		h.apply(c)
		if err := out.Encode(h.state()); err != nil {
			t.Fatal(err)
		}
	}
}

// apply does what a click or typing does. It does not go through test.Tap
// and test.Type: they walk the widget tree without the panel's lock, while
// the stream's updates, run at once by the test driver, redraw it.
func (h *harness) apply(c panelCommand) {
	h.t.Helper()
	v := &h.p.wv
	h.p.mu.Lock()
	var press func()
	switch {
	case c.Tap != "":
		buttons := map[string]*widget.Button{"call": v.CallNext, "recall": v.Recall, "start": v.Start, "finish": v.Finish,
			"postpone": v.Postpone, "redirect": v.Redirect, "noshow": v.NoShow, "number": v.CallNumber, "pause": v.Pause,
			"close": v.Close, "redirect-submit": v.RedirectSubmit}
		b := buttons[c.Tap]
		if b == nil {
			h.p.mu.Unlock()
			h.t.Fatalf("no button %q", c.Tap)
		}
		if !b.Disabled() {
			press = b.OnTapped
		}
	case c.Text != "":
		entries := map[string]*fkeyEntry{"number": v.NumberEntry, "reason": v.Reason, "case": v.CaseEntry}
		entries[c.Field].SetText(c.Text)
	case c.Choose != "":
		lists := map[string]*widget.Select{"minutes": v.Minutes, "redirect-window": v.RedirectWindow}
		lists[c.Field].SetSelected(c.Choose)
	case c.Check:
		v.RedirectReturn.SetChecked(true)
	}
	h.p.mu.Unlock()
	if press != nil {
		press() // the button's handler takes the lock itself
	}
	// What follows the action (its answer, a re-read) settles first.
	h.eventually("the panel settled", func() bool { return true })
}

func (h *harness) state() panelState {
	on := h.enabled()
	h.p.mu.Lock()
	defer h.p.mu.Unlock()
	s := panelState{Current: h.current(), Window: string(h.p.window.Session.Status), Enabled: on,
		Served: h.p.day.Served, NoShows: h.p.day.NoShows, Live: h.p.Banner.Live()}
	if t := h.p.window.Ticket; t != nil {
		s.Ticket = t.ID
	}
	if h.p.Refusal.Visible() {
		s.Refusal = h.p.Refusal.Text
	}
	for _, r := range h.p.wv.rows {
		if !r.Header {
			s.Queue = append(s.Queue, r.Text)
		}
	}
	return s
}

// remotePanel drives one panel process.
type remotePanel struct {
	t    *testing.T
	name string
	in   io.Writer
	out  *json.Decoder
	mu   sync.Mutex // one command at a time
	log  *outbuf.Buffer
}

func startPanel(t *testing.T, url, login, window string) *remotePanel {
	t.Helper()
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stR, stW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPanelProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TALON_DAY_SERVER="+url, "TALON_DAY_LOGIN="+login, "TALON_DAY_WINDOW="+window)
	cmd.ExtraFiles = []*os.File{cmdR, stW}
	log := &outbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmdR.Close()
	stW.Close()
	r := &remotePanel{t: t, name: login + "@" + window, in: cmdW, out: json.NewDecoder(stR), log: log}
	t.Cleanup(func() {
		cmdW.Close() // the child's loop ends, and its cleanups close the session
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("panel %s: %v\n%s", r.name, err, log.String())
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Errorf("panel %s did not stop\n%s", r.name, log.String())
		}
		stR.Close()
	})
	r.state() // logged in, at work, live
	return r
}

// do sends one command and returns the panel's state after it.
func (r *remotePanel) do(c panelCommand) panelState {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	line, _ := json.Marshal(c)
	var s panelState
	if _, err := fmt.Fprintf(r.in, "%s\n", line); err != nil {
		r.t.Fatalf("panel %s: %v\n%s", r.name, err, r.log.String())
	}
	if err := r.out.Decode(&s); err != nil {
		r.t.Fatalf("panel %s: %v\n%s", r.name, err, r.log.String())
	}
	return s
}

func (r *remotePanel) state() panelState { r.t.Helper(); return r.do(panelCommand{}) }
func (r *remotePanel) tap(button string) panelState {
	r.t.Helper()
	return r.do(panelCommand{Tap: button})
}

// eventually polls the panel's screen until cond holds.
func (r *remotePanel) eventually(what string, cond func(panelState) bool) panelState {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := r.state()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("panel %s never showed %s; it shows %+v", r.name, what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *remotePanel) want(what string, s panelState, current string, enabled ...string) {
	r.t.Helper()
	if s.Current != current || s.Refusal != "" || !slices.Equal(s.Enabled, enabled) {
		r.t.Fatalf("%s: panel %s shows %q (refusal %q), enabled %v; want %q, enabled %v",
			what, r.name, s.Current, s.Refusal, s.Enabled, current, enabled)
	}
}

func queued(s panelState, number string) bool {
	return slices.ContainsFunc(s.Queue, func(row string) bool { return strings.HasPrefix(row, number+" ") })
}

// A day of work at two windows of the real server, with a kiosk issuing:
// call, serve with a case number, postpone and the applicant's return,
// redirect with return and back, no-show, call by number, a break while
// the other window serves, and a race for the last ticket. Each step is
// checked on the operator's screen, and the day ends with both screens
// and the server in agreement.
func TestDayOfWork(t *testing.T) {
	_, url := testserver.Start(t, t.TempDir(), "127.0.0.1:0")
	ctx := context.Background()
	kiosk, err := client.New(url, client.WithDeviceCredential(testserver.Pair(t, url, "kiosk1")))
	if err != nil {
		t.Fatal(err)
	}
	issue := func(service string) domain.Ticket {
		t.Helper()
		tk, err := kiosk.IssueTicket(ctx, "demo", domain.IssueRequest{ServiceID: service})
		if err != nil {
			t.Fatalf("kiosk: %v", err)
		}
		return tk
	}
	a := startPanel(t, url, "operator1", "w1")
	b := startPanel(t, url, "operator2", "w2")
	a.want("at work", a.state(), "", "call", "pause", "close")

	a1, p1, a2 := issue("passport"), issue("results"), issue("passport")
	issue("foreign-passport")
	sa := a.eventually("the kiosk's tickets", func(s panelState) bool { return queued(s, a2.Number) })
	if queued(sa, p1.Number) {
		t.Errorf("window 1 does not issue results, yet its queue shows %s: %v", p1.Number, sa.Queue)
	}
	b.eventually("the kiosk's tickets", func(s panelState) bool { return queued(s, p1.Number) && queued(s, a2.Number) })

	// Window 1 calls and serves the first applicant, with a case number.
	a.want("called", a.tap("call"), a1.Number+" called",
		"recall", "start", "finish", "postpone", "redirect", "noshow")
	b.eventually("the called ticket gone from the other queue", func(s panelState) bool { return !queued(s, a1.Number) })
	a.want("serving", a.tap("start"), a1.Number+" serving", "finish", "postpone", "redirect")
	a.do(panelCommand{Field: "case", Text: "МФЦ-2026-0001"})
	a.want("finished", a.tap("finish"), "", "call", "pause", "close")

	// Window 2 calls; the applicant never comes.
	sb := b.tap("call")
	if sb.Current == "" {
		t.Fatalf("window 2 called nobody: %+v", sb)
	}
	absent := sb.Ticket
	b.want("no-show", b.tap("noshow"), "", "call", "pause", "close")

	// Window 1 calls the next one, who asks for five minutes; they come
	// back early and are called by number.
	sa = a.tap("call")
	late, lateID := strings.Fields(sa.Current)[0], sa.Ticket
	a.do(panelCommand{Field: "minutes", Choose: "на 5 мин"})
	a.want("postponed", a.tap("postpone"), "", "call", "pause", "close")
	// A postponed applicant comes back to the window that postponed them.
	a.eventually("the postponed ticket in the queue", func(s panelState) bool {
		return slices.ContainsFunc(s.Queue, func(row string) bool {
			return strings.HasPrefix(row, late+" ") && strings.Contains(row, "отложен")
		})
	})
	if queued(b.state(), late) {
		t.Errorf("window 2 offers the ticket window 1 postponed")
	}
	a.do(panelCommand{Field: "number", Text: late})
	a.want("called by number", a.tap("number"), late+" called",
		"recall", "start", "finish", "postpone", "redirect", "noshow")

	// The applicant needs window 2 too, and comes back to window 1 after.
	a.tap("start")
	a.tap("redirect")
	a.do(panelCommand{Field: "redirect-window", Choose: "Окно 2"})
	a.do(panelCommand{Check: true})
	a.want("redirected with return", a.tap("redirect-submit"), "", "call", "pause", "close")
	b.eventually("the redirected ticket", func(s panelState) bool { return queued(s, late) })
	b.do(panelCommand{Field: "number", Text: late})
	b.want("called the redirected", b.tap("number"), late+" called",
		"recall", "start", "finish", "postpone", "redirect", "noshow")
	b.tap("start")
	b.want("served at window 2", b.tap("finish"), "", "call", "pause", "close")
	a.eventually("the ticket back from window 2", func(s panelState) bool { return queued(s, late) })
	a.want("the returned ticket called back", a.tap("call"), late+" called",
		"recall", "start", "finish", "postpone", "redirect", "noshow")
	a.tap("start")
	a.want("served on return", a.tap("finish"), "", "call", "pause", "close")

	// Window 1 takes a break; what comes meanwhile goes to window 2.
	a.do(panelCommand{Field: "reason", Text: "обед"})
	sa = a.tap("pause")
	if sa.Window != string(domain.WindowPaused) || sa.Refusal != "" {
		t.Fatalf("on a break: %+v", sa)
	}
	for {
		s := b.tap("call")
		if s.Current == "" {
			break
		}
		b.tap("finish")
	}
	a3 := issue("passport")
	b.eventually("the ticket that came during the break", func(s panelState) bool { return queued(s, a3.Number) })
	b.want("window 2 serves during the break", b.tap("call"), a3.Number+" called",
		"recall", "start", "finish", "postpone", "redirect", "noshow")
	b.tap("finish")
	sa = a.tap("pause")
	if sa.Window != string(domain.WindowOpen) {
		t.Fatalf("back from the break: %+v", sa)
	}

	// The last applicant of the day: both windows call at once.
	last := issue("passport")
	for _, p := range []*remotePanel{a, b} {
		p.eventually("the last ticket", func(s panelState) bool { return queued(s, last.Number) })
	}
	results := make(chan panelState, 2)
	for _, p := range []*remotePanel{a, b} {
		go func() { results <- p.do(panelCommand{Tap: "call"}) }()
	}
	r1, r2 := <-results, <-results
	won, lost := r1, r2
	if r1.Current == "" {
		won, lost = r2, r1
	}
	if won.Current != last.Number+" called" || lost.Current != "" || !strings.Contains(lost.Refusal, "нет талонов") {
		t.Fatalf("the race for %s: %+v and %+v", last.Number, r1, r2)
	}

	// The day ends: each screen agrees with the server.
	staff, err := client.New(url, client.WithCredentials("hall", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	windows, err := staff.ListWindows(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range windows {
		var p *remotePanel
		switch w.Window.ID {
		case "w1":
			p = a
		case "w2":
			p = b
		default:
			continue
		}
		s := p.state()
		server := ""
		if w.Ticket != nil {
			server = w.Ticket.Number + " " + string(w.Ticket.Status)
		}
		if s.Current != server || s.Window != string(w.Session.Status) {
			t.Errorf("window %s: the panel shows %q (%s), the server %q (%s)", w.Window.ID, s.Current, s.Window, server, w.Session.Status)
		}
	}
	for _, want := range []struct {
		id     string
		status domain.Status
	}{{a1.ID, domain.StatusDone}, {absent, domain.StatusNoShow}, {lateID, domain.StatusDone}, {a3.ID, domain.StatusDone}} {
		tk, err := staff.GetTicket(ctx, "demo", want.id)
		if err != nil || tk.Status != want.status {
			t.Errorf("ticket %s on the server: %s, %v; want %s", tk.Number, tk.Status, err, want.status)
		}
	}
	if tk, _ := staff.GetTicket(ctx, "demo", a1.ID); tk.CaseNumber != "МФЦ-2026-0001" {
		t.Errorf("the case number on %s: %q", a1.Number, tk.CaseNumber)
	}
	sa, sb = a.state(), b.state()
	if sa.Served != 2 || sb.NoShows != 1 || sb.Served < 2 {
		t.Errorf("the operators' days: window 1 served %d, window 2 served %d with %d no-shows", sa.Served, sb.Served, sb.NoShows)
	}
}
