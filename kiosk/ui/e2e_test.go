package ui_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/hardware/emulator"
	"github.com/talonqueue/talon/hardware/pseudoterm"
	"github.com/talonqueue/talon/hardware/scanner"
	"github.com/talonqueue/talon/hardware/serialport"
	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/kiosk/ui"
	"github.com/talonqueue/talon/printer"
	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/printer/virtual"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// startServer runs the real queue server with the demo office.
func startServer(t testing.TB) string {
	t.Helper()
	_, url := testserver.Start(t, t.TempDir(), "127.0.0.1:0")
	return url
}

// pairKiosk pairs kiosk1 as an administrator would and writes the file the
// kiosk starts from.
func pairKiosk(t testing.TB, url string) (admin *client.Client, cfg terminal.Config) {
	t.Helper()
	admin, err := client.New(url, client.WithCredentials("admin", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	credential := testserver.Pair(t, url, "kiosk1")
	file := filepath.Join(t.TempDir(), "kiosk1.json")
	content := fmt.Sprintf(`{"server": %q, "office_id": "demo", "device_id": "kiosk1", "credential": %q}`, url, credential)
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = terminal.Load("talon-kiosk", []string{"-config", file}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return admin, cfg
}

// liveKiosk runs the kiosk's screens headless on the real SDK client and
// its stream, as main does, until the test ends.
func liveKiosk(t testing.TB, cl *client.Client, c ui.Config) *ui.Kiosk {
	t.Helper()
	test.NewTempApp(t)
	c.Queue = cl
	k := ui.New(c)
	w := test.NewWindow(k.Content())
	w.Resize(fyne.NewSize(1920, 1080))
	ctx, cancel := context.WithCancel(context.Background())
	sub := cl.Subscribe(ctx, c.OfficeID, k)
	t.Cleanup(func() {
		cancel()
		sub.Close()
		k.Close()
		w.Close()
	})
	return k
}

// press runs a button's handler as a click runs it. test.Tap would first
// walk the widget tree to place the click, outside the kiosk's lock, while
// the live stream redraws that tree (a data race -race reports); the
// handler itself takes the lock.
func press(t testing.TB, b *widget.Button) {
	t.Helper()
	if b == nil || b.OnTapped == nil {
		t.Fatal("no button to press")
	}
	b.OnTapped()
}

// openWindow logs operator2 in and opens window 2, which serves results
// and consultations: until a window works, the menu offers nothing.
func openWindow(t testing.TB, url, officeID string) *client.Client {
	t.Helper()
	op, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.Login(context.Background(), "operator2", "demo"); err != nil {
		t.Fatal(err)
	}
	if _, err := op.OpenWindowSession(context.Background(), officeID, "w2"); err != nil {
		t.Fatal(err)
	}
	return op
}

// virtualPrinter is the virtual printer on a pseudo-terminal and the real
// driver on the serial port at its other end.
func virtualPrinter(t *testing.T) (*printer.Printer, chan virtual.Ticket) {
	t.Helper()
	tickets := make(chan virtual.Ticket, 4)
	pair, err := pseudoterm.New(filepath.Join(t.TempDir(), "printer"))
	if err != nil {
		t.Fatal(err)
	}
	vp, err := virtual.New(virtual.Config{PaperDots: escpos.Paper80, OutDir: t.TempDir(), OnTicket: func(tk virtual.Ticket) { tickets <- tk }})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- vp.Serve(pair.Device()) }()
	port, err := serialport.OpenReopening(serialport.Config{Path: pair.Path(), Baud: 115200, ReadTimeout: 50 * time.Millisecond},
		serialport.ReopenOptions{RetryEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		port.Close()
		pair.Close()
		if err := <-served; err != nil && !errors.Is(err, pseudoterm.ErrClosed) {
			t.Errorf("virtual printer: %v", err)
		}
	})
	prof, err := escpos.ProfileByName("epson-80")
	if err != nil {
		t.Fatal(err)
	}
	// Seconds, for a loaded CI machine: what is tested is the ticket's way.
	return printer.New(port, prof, printer.Options{StatusTimeout: 3 * time.Second}), tickets
}

// A tap on the kiosk's screen, with the real server, the SDK client paired
// as kiosk1 and the real printer driver to the virtual printer over a
// pseudo-terminal, puts the server's ticket on paper.
func TestEndToEnd(t *testing.T) {
	url := startServer(t)
	admin, cfg := pairKiosk(t, url)
	cl, err := cfg.NewClient("talon-kiosk-test", nil,
		client.WithStreamTiming(client.StreamTiming{MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	drv, tickets := virtualPrinter(t)

	k := liveKiosk(t, cl, ui.Config{OfficeID: cfg.OfficeID, Printer: drv})

	// Nobody works yet: the server says why the service takes no tickets.
	waitFor(t, "the menu live from the server, results closed", func() bool {
		info, enabled := k.ItemInfo("results")
		return !enabled && strings.Contains(info, "ни одно окно не принимает")
	})
	openWindow(t, url, cfg.OfficeID)
	waitFor(t, "results open once window 2 works", func() bool {
		_, enabled := k.ItemInfo("results")
		return enabled
	})
	if info, _ := k.ItemInfo("results"); info != "Очереди нет" {
		t.Errorf("an empty office's queue reads %q", info)
	}
	press(t, k.Item("results").Button)
	var v ui.View
	waitFor(t, "the ticket printed", func() bool {
		v = k.View()
		return v.Screen == ui.ScreenTicket && !v.Busy
	})
	if v.Status != "Возьмите талон" || v.QR {
		t.Fatalf("ticket screen: %+v", v)
	}

	var paper virtual.Ticket
	select {
	case paper = <-tickets:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing came out of the virtual printer")
	}
	queue, err := admin.ListQueue(context.Background(), "demo", domain.QueueFilter{ServiceID: "results"})
	if err != nil {
		t.Fatal(err)
	}
	if len(queue) != 1 {
		t.Fatalf("the server has %d tickets for results, want the one tapped", len(queue))
	}
	server := queue[0]
	if v.Number != server.Number {
		t.Errorf("the screen shows %s, the server issued %s", v.Number, server.Number)
	}
	txt, err := os.ReadFile(strings.TrimSuffix(paper.Path, ".png") + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	if !containsLine(string(txt), server.Number) || !strings.Contains(string(txt), "Получение готовых документов") {
		t.Errorf("the paper does not carry the server's number %s:\n%s", server.Number, txt)
	}
	if len(paper.Codes) == 0 || paper.Codes[0] != server.ID {
		t.Errorf("the paper's QR holds %q, want the ticket id %s", paper.Codes, server.ID)
	}
	// The stream's event for the new ticket refreshes the menu.
	press(t, k.DoneButton())
	waitFor(t, "the queue of results to show the ticket", func() bool {
		info, _ := k.ItemInfo("results")
		return strings.HasPrefix(info, "Ожидают: 1")
	})
}

// scannerCodes is the scanner emulator on a pseudo-terminal and the real
// reader on the serial port at its other end, wired as main wires them.
func scannerCodes(t *testing.T, ctx context.Context) (*emulator.Scanner, <-chan string) {
	t.Helper()
	sc, err := emulator.NewScanner(filepath.Join(t.TempDir(), "scanner"), scanner.SuffixCR)
	if err != nil {
		t.Fatal(err)
	}
	port, err := serialport.OpenReopening(serialport.Config{Path: sc.Path(), ReadTimeout: 50 * time.Millisecond},
		serialport.ReopenOptions{RetryEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Repeats are not suppressed: the test scans one slip twice on
	// purpose, sooner than a person could.
	r, err := scanner.NewReader(port, scanner.Config{ParserConfig: scanner.ParserConfig{Suffix: scanner.SuffixCR, RepeatWindow: -1}})
	if err != nil {
		t.Fatal(err)
	}
	codes := make(chan string)
	ctx, cancel := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() {
		stopped <- r.Run(ctx, func(s scanner.Scan) {
			select {
			case codes <- s.Code:
			case <-ctx.Done():
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-stopped; !errors.Is(err, context.Canceled) {
			t.Errorf("scanner reader: %v", err)
		}
		port.Close()
		sc.Close()
	})
	return sc, codes
}

// An appointment booked by the hall administrator for the next free
// consultation slot is checked in by its code on the scanner emulator,
// read by the real scanner driver over a pseudo-terminal, and its ticket
// printed; a slot beyond the check-in window is refused in the server's
// words with the live queue offered instead.
func TestEndToEndCheckInByScan(t *testing.T) {
	url := startServer(t)
	admin, cfg := pairKiosk(t, url)
	ctx := context.Background()
	cl, err := cfg.NewClient("talon-kiosk-test", nil,
		client.WithStreamTiming(client.StreamTiming{MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	drv, tickets := virtualPrinter(t)
	sc, codes := scannerCodes(t, ctx)

	hall, err := client.New(url, client.WithCredentials("hall", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	office, err := hall.GetOffice(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation(office.TimeZone)
	if err != nil {
		t.Fatal(err)
	}
	var free []domain.Slot
	for _, day := range []time.Time{time.Now(), time.Now().AddDate(0, 0, 1)} {
		slots, err := hall.ListAppointmentSlots(ctx, "demo", "consultation", day.In(loc).Format(time.DateOnly))
		if err != nil {
			t.Fatal(err)
		}
		for _, sl := range slots {
			if sl.Free > 0 {
				free = append(free, sl)
			}
		}
	}
	if len(free) == 0 {
		t.Fatal("no free consultation slot today or tomorrow")
	}
	book := func(sl domain.Slot) domain.Appointment {
		t.Helper()
		ap, err := hall.CreateAppointment(ctx, "demo", domain.NewAppointment{ServiceID: "consultation", Start: sl.Start, Name: "Иванов И. И.", Source: "phone"})
		if err != nil {
			t.Fatalf("book %s: %v", sl.Start, err)
		}
		return ap
	}
	ap := book(free[0])
	// The server opens check-in 60 minutes before the slot; a minute's
	// margin keeps the branch taken from depending on the test's speed.
	inWindow := time.Until(ap.Start) < 59*time.Minute
	t.Logf("booked %s for %s (in the check-in window: %v)", ap.Code, ap.Start.In(loc).Format("02.01 15:04"), inWindow)
	// A later slot, well outside the window, for the too-early sentence
	// whatever the time of day.
	var later *domain.Appointment
	for _, sl := range free[1:] {
		if time.Until(sl.Start) > 75*time.Minute {
			a := book(sl)
			later = &a
			break
		}
	}

	k := liveKiosk(t, cl, ui.Config{OfficeID: cfg.OfficeID, Printer: drv, Codes: codes})
	waitFor(t, "the menu live from the server", func() bool { return k.Item("consultation") != nil && k.View().Banner == "" })

	var v ui.View
	outcome := func() ui.View {
		waitFor(t, "the check-in's outcome", func() bool {
			v = k.View()
			return (v.Screen == ui.ScreenTicket || v.Screen == ui.ScreenRefused) && !v.Busy
		})
		return v
	}
	tooEarly := func(ap domain.Appointment) {
		t.Helper()
		if v := outcome(); v.Screen != ui.ScreenRefused || !strings.Contains(v.Error, "регистрация откроется в") {
			t.Fatalf("a slot at %s checked in early: %+v", ap.Start, v)
		}
		press(t, k.LiveQueueButton())
		if v := k.View(); v.Screen != ui.ScreenMenu || k.Item("consultation") == nil {
			t.Errorf("the live queue offer leads to %+v", v)
		}
	}
	if later != nil {
		if err := sc.Scan(later.Code); err != nil {
			t.Fatal(err)
		}
		tooEarly(*later)
	}
	if err := sc.Scan(ap.Code); err != nil {
		t.Fatal(err)
	}
	if !inWindow {
		tooEarly(ap)
		return
	}
	v = outcome()
	if v.Screen != ui.ScreenTicket || v.Status != "Возьмите талон" || v.Service != "Консультация" {
		t.Fatalf("check-in screen: %+v", v)
	}
	var paper virtual.Ticket
	select {
	case paper = <-tickets:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing came out of the virtual printer")
	}
	queue, err := admin.ListQueue(ctx, "demo", domain.QueueFilter{ServiceID: "consultation"})
	if err != nil {
		t.Fatal(err)
	}
	if len(queue) != 1 || queue[0].AppointmentID != ap.ID || queue[0].Number != v.Number {
		t.Fatalf("the server's consultation queue %+v, the screen shows %s for appointment %s", queue, v.Number, ap.ID)
	}
	txt, err := os.ReadFile(strings.TrimSuffix(paper.Path, ".png") + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	if !containsLine(string(txt), v.Number) {
		t.Errorf("the paper does not carry %s:\n%s", v.Number, txt)
	}

	// The same slip again, from the start screen: the server says which
	// ticket it already gave, and the kiosk offers both ways on.
	press(t, k.DoneButton())
	if err := sc.Scan(ap.Code); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the used code refused", func() bool {
		v = k.View()
		return v.Screen == ui.ScreenRefused
	})
	if want := "по этому коду уже выдан талон " + queue[0].Number + ":"; !strings.HasPrefix(v.Error, want) {
		t.Errorf("refusal %q, want it to start %q", v.Error, want)
	}
}

func containsLine(text, want string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
