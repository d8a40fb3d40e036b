package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// browser starts headless Chromium (Debian's chromium package, installed by
// make setup) for one test.
func browser(t *testing.T) context.Context {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: run `make setup` (installs Debian's chromium) before the web page tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

// officePage is the office page in headless Chromium, with the troubles it
// reported: exceptions, console.error calls and refused device requests.
type officePage struct {
	t        *testing.T
	ctx      context.Context
	mu       sync.Mutex
	troubles []string
}

func openOfficePage(t *testing.T) *officePage {
	t.Helper()
	p := &officePage{t: t, ctx: browser(t)}
	err := chromedp.Listen(p.ctx, func(ev any) {
		var trouble string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			trouble = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				trouble += " " + e.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				trouble = "console.error"
			}
		case *log.EventEntryAdded:
			// A wrong password is refused on purpose; roles without devices
			// must not even ask for them; nothing may break the CSP.
			if e.Entry.Level == log.EntryLevelError && (strings.Contains(e.Entry.URL, "/devices") || e.Entry.Source == log.EntrySourceSecurity) {
				trouble = e.Entry.Text + " " + e.Entry.URL
			}
		}
		if trouble != "" {
			p.mu.Lock()
			p.troubles = append(p.troubles, trouble)
			p.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *officePage) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatal(err)
	}
}

// click clicks sel from the page's own script: a list the stream redraws
// may replace the node between chromedp's query and its click, which then
// fails with "Could not find node with given id".
func (p *officePage) click(sel string) {
	p.t.Helper()
	script := fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (e) e.click(); return !!e })()`, sel)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		found, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](script))
		if err != nil {
			p.t.Fatalf("click %s: %v", sel, err)
		}
		if found {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("nothing to click at %s", sel)
		}
	}
}

func (p *officePage) text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(sel))
	if err != nil {
		p.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (p *officePage) count(sel string) int {
	p.t.Helper()
	n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
	if err != nil {
		p.t.Fatalf("count of %s: %v", sel, err)
	}
	return n
}

// login signs in with the demo password and waits for the live board.
func (p *officePage) login(who string) {
	p.t.Helper()
	p.do(chromedp.WaitVisible("#login"),
		chromedp.SetValue("#login-name", who),
		chromedp.SetValue("#login-password", "demo"),
		chromedp.Click("#login-submit"),
		chromedp.WaitVisible("#board"),
		chromedp.WaitVisible(`#conn[data-state="online"]`))
}

// screenshot saves the whole page into $TALON_SCREENSHOTS, when it is set.
func (p *officePage) screenshot(name string) {
	p.t.Helper()
	dir := os.Getenv("TALON_SCREENSHOTS")
	if dir == "" {
		return
	}
	shot, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), shot, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *officePage) noTroubles() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.troubles) > 0 {
		p.t.Fatalf("the page reported: %v", p.troubles)
	}
}

// TestOfficePage logs in to the office page as the hall administrator and
// watches a ticket go from the queue to a window.
func TestOfficePage(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	p := openOfficePage(t)

	p.do(chromedp.Navigate(url+"/"),
		chromedp.WaitVisible("#login"),
		chromedp.SendKeys("#login-name", "hall"),
		chromedp.SendKeys("#login-password", "wrong"),
		chromedp.Click("#login-submit"),
		chromedp.WaitVisible("#error"))
	if e := p.text("#error"); !strings.Contains(e, "неверный логин или пароль") {
		t.Fatalf("wrong password shows %q", e)
	}

	p.do(chromedp.SetValue("#login-password", "demo"),
		chromedp.Click("#login-submit"),
		chromedp.WaitVisible("#board"),
		chromedp.WaitNotVisible("#login"),
		chromedp.WaitVisible(`#conn[data-state="online"]`),
		chromedp.WaitVisible("#queue-empty"))
	if title, conn := p.text("#title"), p.text("#conn"); !strings.Contains(title, "Мои документы") || conn != "В сети" {
		t.Fatalf("board title %q, connection %q", title, conn)
	}

	// A kiosk issues a ticket: it appears in the queue without a reload.
	kiosk, op := login(t, url, "kiosk1"), login(t, url, "operator1")
	bg := context.Background()
	tk, err := kiosk.IssueTicket(bg, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.WaitVisible(`#queue tr[data-number="` + tk.Number + `"]`))
	if queue := p.text("#queue"); !strings.Contains(queue, "Паспорт гражданина РФ") || !strings.Contains(queue, "ожидает") {
		t.Fatalf("queue shows %q", queue)
	}

	// Window 1 calls it: it leaves the queue and shows in the calls and the window.
	if _, err := op.OpenWindowSession(bg, demo.OfficeID, "w1"); err != nil {
		t.Fatal(err)
	}
	if _, err := op.CallNext(bg, demo.OfficeID, "w1", false); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.WaitVisible("#calls li"), chromedp.WaitVisible("#queue-empty"))
	if calls, windows := p.text("#calls"), p.text("#windows"); !strings.Contains(calls, tk.Number+" → окно 1") ||
		!strings.Contains(windows, "Иванова Мария Петровна") || !strings.Contains(windows, tk.Number) {
		t.Fatalf("calls %q, windows %q", calls, windows)
	}
	p.screenshot("office-page.png")
	p.noTroubles()
}

// TestOfficePageDevices registers a kiosk on the office page as the
// administrator, pairs it with the code the page shows, revokes it there and
// sees its credential refused; the hall administrator sees the list only, an
// operator not at all.
func TestOfficePageDevices(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	p := openOfficePage(t)
	row := func(device, state string) string {
		return `#devices-list tr[data-device="` + device + `"][data-state="` + state + `"]`
	}

	p.do(chromedp.EmulateViewport(1366, 768), chromedp.Navigate(url+"/"))
	p.login("admin")
	p.do(chromedp.WaitVisible(row("kiosk1", "paired")), chromedp.WaitVisible(row("rating6", "paired")))
	if n := p.count("#devices-list tbody tr"); n != 2+demo.Windows {
		t.Fatalf("the page lists %d demo devices, want %d", n, 2+demo.Windows)
	}
	if list := p.text("#devices-list"); !strings.Contains(list, "Киоск у входа") || !strings.Contains(list, "Табло") ||
		!strings.Contains(list, "Терминал оценки — Окно 3") || !strings.Contains(list, "привязано с ") {
		t.Fatalf("device list shows %q", list)
	}

	// Register a kiosk through the form; an id already taken is refused first.
	p.do(chromedp.SendKeys("#device-id", "kiosk1"),
		chromedp.SendKeys("#device-name", "Киоск у окна 3"),
		chromedp.Click("#device-submit"),
		chromedp.WaitVisible("#devices-error"))
	if e := p.text("#devices-error"); !strings.Contains(e, "«kiosk1» уже есть") {
		t.Fatalf("a taken id shows %q", e)
	}
	p.do(chromedp.SetValue("#device-id", "kiosk2"),
		chromedp.Click("#device-submit"),
		chromedp.WaitVisible(row("kiosk2", "unpaired")),
		chromedp.WaitNotVisible("#devices-error"))

	// Its pairing code is shown once, large, with what to do with it.
	p.click(`#devices-list tr[data-device="kiosk2"] button[data-action="code"]`)
	p.do(chromedp.WaitVisible("#pairing"),
		chromedp.WaitVisible(row("kiosk2", "waiting")))
	code, hint := p.text("#pairing-code"), p.text("#pairing-hint")
	if len(code) != 9 || !strings.Contains(hint, "15 минут") || !strings.Contains(hint, "один раз") {
		t.Fatalf("pairing code %q, hint %q", code, hint)
	}
	if state := p.text(`#devices-list tr[data-device="kiosk2"]`); !strings.Contains(state, "ожидает привязки до ") {
		t.Fatalf("a device waiting for its code shows %q", state)
	}
	p.screenshot("office-page-devices.png")

	// The device pairs with that code; the stream tells the page.
	anon, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	paired, err := anon.PairDevice(context.Background(), code)
	if err != nil {
		t.Fatalf("pair with the code from the page: %v", err)
	}
	p.do(chromedp.WaitVisible(row("kiosk2", "paired")))
	if status := meStatus(t, url, paired.Credential); status != http.StatusOK {
		t.Fatalf("a paired device's credential answers %d", status)
	}

	// Revoking takes two clicks, and the credential is refused at once.
	revoke := `#devices-list tr[data-device="kiosk2"] button[data-action="revoke"]`
	p.do(chromedp.Click("#pairing-done"), chromedp.WaitNotVisible("#pairing"))
	p.click(revoke)
	p.do(chromedp.WaitVisible(revoke + ".danger"))
	if state := p.count(row("kiosk2", "paired")); state != 1 {
		t.Fatal("the first click on «Отозвать» revoked the device")
	}
	p.click(revoke + ".danger")
	p.do(chromedp.WaitVisible(row("kiosk2", "revoked")))
	if state := p.text(`#devices-list tr[data-device="kiosk2"]`); !strings.Contains(state, "отозвано ") {
		t.Fatalf("a revoked device shows %q", state)
	}
	if status := meStatus(t, url, paired.Credential); status != http.StatusUnauthorized {
		t.Fatalf("a revoked device's credential answers %d, want 401", status)
	}

	// The hall administrator sees the same list without the admin's controls.
	p.do(chromedp.Click("#logout"))
	p.login("hall")
	p.do(chromedp.WaitVisible(row("kiosk2", "revoked")), chromedp.WaitNotVisible("#device-form"))
	if n := p.count("#devices-list button"); n != 0 {
		t.Fatalf("the hall administrator has %d device buttons", n)
	}

	// An operator may not list devices: no section, no refused request.
	p.do(chromedp.Click("#logout"))
	p.login("operator1")
	p.do(chromedp.WaitVisible("#windows tbody tr"), chromedp.WaitNotVisible("#devices"))
	p.noTroubles()
}

// meStatus is the status GET /api/v1/me answers a bearer credential with.
func meStatus(t *testing.T, url, credential string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/api/v1/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+credential)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestOfficePageDeviceAlert: a kiosk reports its printer out of paper with
// its own credential; the hall administrator's page raises an alert in
// words at once, and drops it when the kiosk reports ok. Staff cannot
// report for the kiosk.
func TestOfficePageDeviceAlert(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	ctx := context.Background()
	p := openOfficePage(t)
	p.do(chromedp.EmulateViewport(1366, 768), chromedp.Navigate(url+"/"))
	p.login("hall")
	p.do(chromedp.WaitVisible(`#devices-list tr[data-device="kiosk1"]`))
	if n := p.count("#alerts li"); n != 0 {
		t.Fatalf("%d alerts before any report", n)
	}

	kiosk := login(t, url, "kiosk1")
	st, err := kiosk.ReportDeviceState(ctx, demo.OfficeID, "kiosk1", domain.DeviceState{Printer: domain.PrinterPaperOut, Detail: "датчик бумаги"})
	if err != nil || st.Printer != domain.PrinterPaperOut || st.At.IsZero() {
		t.Fatalf("report paper out: %+v, %v", st, err)
	}
	alert := `#alerts li[data-device="kiosk1"][data-printer="paper_out"]`
	p.do(chromedp.WaitVisible(alert))
	if text := p.text(alert); !strings.Contains(text, "Киоск у входа: закончилась бумага — замените рулон") || !strings.Contains(text, "с ") {
		t.Fatalf("the alert says %q", text)
	}

	if _, err := login(t, url, "hall").ReportDeviceState(ctx, demo.OfficeID, "kiosk1", domain.DeviceState{Printer: domain.PrinterOK}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("the hall administrator reported for the kiosk: %v", err)
	}
	if _, err := kiosk.ReportDeviceState(ctx, demo.OfficeID, "display1", domain.DeviceState{Printer: domain.PrinterOK}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("the kiosk reported for the display: %v", err)
	}

	if _, err := kiosk.ReportDeviceState(ctx, demo.OfficeID, "kiosk1", domain.DeviceState{Printer: domain.PrinterOK}); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.WaitNotVisible("#alerts"))

	// The hall display cannot reach window 3's board: the alert names the
	// window by its number, the address, and the driver's words.
	display := login(t, url, "display1")
	boards := func(ok3 bool) domain.DeviceState {
		return domain.DeviceState{Boards: []domain.BoardState{
			{Address: 12, WindowID: "w3", OK: ok3, Detail: "нет ответа на /dev/ttyUSB0"},
			{Address: 14, WindowID: "w4", OK: true},
		}}
	}
	if _, err := display.ReportDeviceState(ctx, demo.OfficeID, "display1", boards(false)); err != nil {
		t.Fatal(err)
	}
	board := `#alerts li[data-device="display1"][data-board="12"]`
	p.do(chromedp.WaitVisible(board))
	if text := p.text(board); !strings.Contains(text, "Табло окна 3 (адрес 12) не отвечает") || !strings.Contains(text, "Табло в зале, с ") ||
		!strings.Contains(text, "/dev/ttyUSB0") {
		t.Fatalf("the board alert says %q", text)
	}
	if n := p.count("#alerts li"); n != 1 {
		t.Fatalf("%d alerts for one silent board", n)
	}
	p.screenshot("office-page-board-alert.png")
	if _, err := display.ReportDeviceState(ctx, demo.OfficeID, "display1", boards(true)); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.WaitNotVisible("#alerts"))
	p.noTroubles()
}

// TestOfficePageAnnouncements: the hall administrator sees the demo's
// running line, adds a text with a schedule through the form, edits it,
// switches it off and deletes it; each step is what the API then holds.
// A manager does not see the section.
func TestOfficePageAnnouncements(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	ctx := context.Background()
	hall := login(t, url, "hall")
	p := openOfficePage(t)
	row := func(id string) string { return `#announcements-list tr[data-announcement="` + id + `"]` }
	p.do(chromedp.EmulateViewport(1366, 900), chromedp.Navigate(url+"/"))
	p.login("hall")
	p.do(chromedp.WaitVisible(row("results")), chromedp.WaitVisible(row("night")))
	if text := p.text(row("night")); !strings.Contains(text, "каждый день; 22:00–06:00") || !strings.Contains(text, "включено") {
		t.Fatalf("the night announcement shows %q", text)
	}

	// A daily window with only its start is refused with the server's sentence.
	p.do(chromedp.Click("#announcement-new"),
		chromedp.WaitVisible("#announcement-form"),
		chromedp.SendKeys("#announcement-text", "Выдача готовых документов в окнах 2, 4 и 6"),
		chromedp.SetValue("#announcement-daily-from", "09:00"),
		chromedp.Click("#announcement-save"),
		chromedp.WaitVisible("#announcements-error"))
	if e := p.text("#announcements-error"); !strings.Contains(e, "укажите и начало, и конец") {
		t.Fatalf("a half daily window shows %q", e)
	}
	p.do(chromedp.SetValue("#announcement-daily-until", "18:00"),
		chromedp.SetValue("#announcement-from", "2026-12-01T09:30"),
		chromedp.SetValue("#announcement-order", "3"),
		chromedp.Click(`#announcement-weekdays input[value="1"]`),
		chromedp.Click(`#announcement-weekdays input[value="5"]`))
	p.screenshot("office-page-announcement-form.png")
	p.do(chromedp.Click("#announcement-save"),
		chromedp.WaitNotVisible("#announcement-form"),
		chromedp.WaitNotVisible("#announcements-error"))

	var added domain.Announcement
	for _, a := range must[[]domain.Announcement](t)(hall.ListAnnouncements(ctx, demo.OfficeID)) {
		if strings.HasPrefix(a.Text, "Выдача готовых документов") {
			added = a
		}
	}
	// 09:30 in Moscow, whatever the browser's own zone.
	wantFrom := time.Date(2026, 12, 1, 6, 30, 0, 0, time.UTC)
	if added.ID == "" || !added.Enabled || added.Order != 3 || added.DailyFrom != "09:00" || added.DailyUntil != "18:00" ||
		fmt.Sprint(added.Weekdays) != "[1 5]" || added.From == nil || !added.From.Equal(wantFrom) || added.Until != nil {
		t.Fatalf("the API holds %+v (from %v)", added, added.From)
	}
	p.do(chromedp.WaitVisible(row(added.ID)))
	if text := p.text(row(added.ID)); !strings.Contains(text, "пн, пт; 09:00–18:00; с 01.12.2026, 09:30") {
		t.Fatalf("the new row shows %q", text)
	}
	p.screenshot("office-page-announcements.png")

	// Edit: the form comes back filled in as stored.
	p.click(row(added.ID) + ` button[data-action="edit"]`)
	p.do(chromedp.WaitVisible("#announcement-form"))
	from, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.getElementById("announcement-from").value`))
	if err != nil || from != "2026-12-01T09:30" {
		t.Fatalf("the form shows from %q (%v)", from, err)
	}
	p.do(chromedp.SetValue("#announcement-text", "Готовые документы — в окнах 2, 4 и 6"),
		chromedp.Click("#announcement-save"),
		chromedp.WaitNotVisible("#announcement-form"))
	got := must[[]domain.Announcement](t)(hall.ListAnnouncements(ctx, demo.OfficeID))
	if a := findAnnouncement(got, added.ID); a == nil || a.Text != "Готовые документы — в окнах 2, 4 и 6" || a.DailyFrom != "09:00" || !a.From.Equal(wantFrom) {
		t.Fatalf("after the edit the API holds %+v", a)
	}

	// Switch it off, then delete it with two clicks.
	p.click(row(added.ID) + ` button[data-action="toggle"]`)
	p.do(chromedp.WaitVisible(row(added.ID) + `[data-enabled="false"]`))
	if a := findAnnouncement(must[[]domain.Announcement](t)(hall.ListAnnouncements(ctx, demo.OfficeID)), added.ID); a == nil || a.Enabled {
		t.Fatalf("switched off, the API holds %+v", a)
	}
	del := row(added.ID) + ` button[data-action="delete"]`
	p.click(del)
	p.do(chromedp.WaitVisible(del + ".danger"))
	if findAnnouncement(must[[]domain.Announcement](t)(hall.ListAnnouncements(ctx, demo.OfficeID)), added.ID) == nil {
		t.Fatal("the first click on «Удалить» deleted it")
	}
	p.click(del + ".danger")
	p.do(chromedp.WaitNotPresent(row(added.ID)))
	if findAnnouncement(must[[]domain.Announcement](t)(hall.ListAnnouncements(ctx, demo.OfficeID)), added.ID) != nil {
		t.Fatal("deleted on the page, still in the API")
	}

	// A change made elsewhere arrives through the stream.
	must[domain.Announcement](t)(hall.PutAnnouncement(ctx, domain.Announcement{ID: "from-api", OfficeID: demo.OfficeID, Text: "Из API", Enabled: true}))
	p.do(chromedp.WaitVisible(row("from-api")))

	p.do(chromedp.Click("#logout"))
	p.login("manager")
	p.do(chromedp.WaitVisible("#windows tbody tr"), chromedp.WaitNotVisible("#announcements"))
	p.noTroubles()
}

// TestTicketStatusPage opens a ticket's status page as the applicant's phone
// would, sees its number and place, and then, without a reload, the call to
// its window.
func TestTicketStatusPage(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	ctx := context.Background()
	kiosk := login(t, url, "kiosk1")
	ahead := must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	tk := must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	if tk.StatusToken == "" || ahead.StatusToken == tk.StatusToken {
		t.Fatalf("tokens %q and %q", ahead.StatusToken, tk.StatusToken)
	}

	p := openOfficePage(t)
	p.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(url+domain.StatusPath(tk.StatusToken)), chromedp.WaitVisible("#number"))
	if n, head, detail := p.text("#number"), p.text("#headline"), p.text("#detail"); n != tk.Number || head != "Место в очереди: 2" || !strings.HasPrefix(detail, "Ожидание ≈ ") || !strings.HasSuffix(detail, " мин") {
		t.Fatalf("the page shows %q, %q, %q", n, head, detail)
	}
	if svc := p.text("#service"); svc == "" {
		t.Fatal("the page names no service")
	}

	op := login(t, url, "operator1")
	must[domain.WindowState](t)(op.OpenWindowSession(ctx, demo.OfficeID, "w1"))
	must[domain.Ticket](t)(op.CallNext(ctx, demo.OfficeID, "w1", false))
	if got := must[domain.Ticket](t)(op.CallNext(ctx, demo.OfficeID, "w1", true)); got.ID != tk.ID {
		t.Fatalf("called %s, want %s", got.Number, tk.Number)
	}
	p.do(chromedp.WaitVisible(`#ticket[data-status="called"]`))
	if head := p.text("#headline"); head != "Вас вызывают к окну 1" {
		t.Fatalf("when called the page says %q", head)
	}
	p.screenshot("ticket-page.png")

	must[domain.Ticket](t)(op.FinishTicket(ctx, demo.OfficeID, tk.ID))
	p.do(chromedp.WaitVisible(`#ticket[data-status="done"]`))
	if head := p.text("#headline"); head != "Обслужен" {
		t.Fatalf("when done the page says %q", head)
	}
	p.noTroubles()
}
