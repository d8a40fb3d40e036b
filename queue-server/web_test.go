package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/region/regiontest"
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
	p.screenshot("office-page-calls.png")
	p.noTroubles()
}

// inZone sets the browser's clock to a time zone, as the computer's own
// zone would.
func inZone(zone string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone})
		return err
	})
}

// TestOfficePageLogin: the login page names the demo accounts and their
// password only while the server runs the demo; its clock is the office's
// whatever the browser's zone; the page has its icon.
func TestOfficePageLogin(t *testing.T) {
	dir := t.TempDir()
	url, stop := startServer(t, dir, "--demo")
	p := openOfficePage(t)
	// The browser lives in New York; the office in Moscow.
	p.do(inZone("America/New_York"), chromedp.Navigate(url+"/"), chromedp.WaitVisible("#demo-hint"))
	if hint := p.text("#demo-hint"); !strings.Contains(hint, "hall") || !strings.Contains(hint, "пароль demo") {
		t.Fatalf("the demo hint says %q", hint)
	}
	stop()

	// The same office without --demo: its accounts are real ones now.
	url, _ = startServer(t, dir)
	p.do(chromedp.Navigate(url+"/"), chromedp.WaitVisible("#login"))
	if n := p.count("#demo-hint"); n != 0 {
		t.Fatal("the login page shows the demo accounts without --demo")
	}
	if page := p.text("#login"); strings.Contains(page, "demo") || strings.Contains(page, "демо") {
		t.Fatalf("the login page without --demo says %q", page)
	}
	// 12:00 UTC is 15:00 in Moscow and 07:00 in New York.
	noon, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`clock(new Date("2026-01-15T12:00:00Z"))`))
	if err != nil || noon != "15:00:00" {
		t.Fatalf("the login page's clock shows 12:00 UTC as %q (%v), want the office's 15:00:00", noon, err)
	}
	if shown := p.text("#clock"); shown == "" {
		t.Fatal("the login page shows no clock")
	}

	icon, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.querySelector('link[rel="icon"]').href`))
	if err != nil || !strings.HasSuffix(icon, "/static/favicon.svg") {
		t.Fatalf("the page links the icon %q (%v)", icon, err)
	}
	resp, err := http.Get(icon)
	if err != nil {
		t.Fatal(err)
	}
	svg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(string(svg), "<svg") {
		t.Fatalf("the icon answers %d %q: %.80s", resp.StatusCode, resp.Header.Get("Content-Type"), svg)
	}
	p.noTroubles()
}

// TestOfficePageHallTools: the hall administrator issues a priority ticket
// from the page with the checked document, cancels one ticket (two clicks)
// and moves another to a window; each step is what the server then holds.
// The waits read as minutes, a wait over the norm is an alert, and a lost
// connection keeps the time it was lost.
func TestOfficePageHallTools(t *testing.T) {
	url, stop := startServer(t, t.TempDir(), "--demo")
	ctx := context.Background()
	hall, kiosk := login(t, url, "hall"), login(t, url, "kiosk1")
	p := openOfficePage(t)
	p.do(chromedp.EmulateViewport(1366, 768), chromedp.Navigate(url+"/"))
	p.login("hall")
	p.do(chromedp.WaitVisible("#hall"), chromedp.WaitReady(`#priority-category option[value="wwii"]`))
	if place := p.text("#queue-place"); place != "Место в очереди услуги" {
		t.Fatalf("the place column is titled %q", place)
	}

	// Nothing is preselected: the browser asks for a category first.
	p.do(chromedp.SetValue("#priority-service", "passport"),
		chromedp.SetValue("#priority-document", "Удостоверение ветерана ВОВ"),
		chromedp.Click("#priority-submit"))
	if invalid, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`document.getElementById("priority-category").matches(":invalid")`)); err != nil || !invalid {
		t.Fatalf("no category chosen, the form is valid (%v)", err)
	}

	// A blank document is refused in the server's words; nothing is issued.
	p.do(chromedp.SetValue("#priority-service", "passport"),
		chromedp.SetValue("#priority-category", "wwii"),
		chromedp.SetValue("#priority-document", "   "),
		chromedp.Click("#priority-submit"),
		chromedp.WaitVisible("#hall-error"))
	if e := p.text("#hall-error"); !strings.Contains(e, "укажите, какой документ проверен") {
		t.Fatalf("a blank document shows %q", e)
	}
	if q := must[[]domain.Ticket](t)(hall.ListQueue(ctx, demo.OfficeID, domain.QueueFilter{})); len(q) != 0 {
		t.Fatalf("a refused priority ticket is in the queue: %+v", q)
	}

	// Two plain tickets first; the priority ticket goes before them.
	cancelMe := must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	moveMe := must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	p.do(chromedp.WaitVisible(`#queue tr[data-number="`+moveMe.Number+`"]`),
		chromedp.SendKeys("#priority-document", "Удостоверение ветерана ВОВ"),
		chromedp.Click("#priority-submit"),
		chromedp.WaitVisible("#issued"),
		chromedp.WaitNotVisible("#hall-error"))
	number := p.text("#issued-number")
	var prio domain.Ticket
	for _, tk := range must[[]domain.Ticket](t)(hall.ListQueue(ctx, demo.OfficeID, domain.QueueFilter{})) {
		if tk.Number == number {
			prio = tk
		}
	}
	if prio.ID == "" || prio.PriorityCategoryID != "wwii" || prio.PriorityDocument != "Удостоверение ветерана ВОВ" || prio.VerifiedBy != "hall" ||
		prio.ServiceID != "passport" || prio.Position != 1 {
		t.Fatalf("the page shows %q, the server holds %+v", number, prio)
	}
	if detail := p.text("#issued-detail"); !strings.Contains(detail, "Паспорт гражданина РФ") || !strings.Contains(detail, "Участники и инвалиды Великой Отечественной войны") ||
		!strings.Contains(detail, "место в очереди услуги: 1") {
		t.Fatalf("the issued ticket is described as %q", detail)
	}
	if v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.getElementById("priority-document").value`)); err != nil || v != "" {
		t.Fatalf("the document stays in the form: %q (%v)", v, err)
	}
	row := func(tk domain.Ticket) string { return `#queue tr[data-number="` + tk.Number + `"]` }
	p.do(chromedp.WaitVisible(row(prio)))
	if text := p.text(row(prio)); !strings.Contains(text, "льготный: Удостоверение ветерана ВОВ") || !strings.Contains(text, "0 мин") {
		t.Fatalf("the priority row shows %q", text)
	}
	if kioskView := must[domain.Ticket](t)(kiosk.GetTicket(ctx, demo.OfficeID, prio.ID)); kioskView.PriorityDocument != "" {
		t.Fatalf("the kiosk learns the document: %+v", kioskView)
	}

	// At 1366 px the tiles stay in one row and a long window name is cut
	// with its whole name in the title, inside its card.
	admin, op := login(t, url, "admin"), login(t, url, "operator1")
	for _, w := range must[[]domain.WindowState](t)(admin.ListWindows(ctx, demo.OfficeID)) {
		if w.Window.ID == "w6" {
			w.Window.Name = "Окно 6 — выдача готовых документов, консультации и пособия на детей"
			must[domain.Window](t)(admin.PutWindow(ctx, w.Window))
		}
	}
	must[domain.WindowState](t)(op.OpenWindowSession(ctx, demo.OfficeID, "w1"))
	p.do(chromedp.WaitVisible(`#windows tr[data-window="w6"]`))
	p.waitText(`#windows tr[data-window="w6"]`, "пособия на детей")
	p.waitText(`#windows tr[data-window="w1"]`, "Иванова Мария Петровна")
	p.fits()
	p.screenshot("office-page.png")

	// Cancel takes two clicks.
	cancel := row(cancelMe) + ` button[data-action="cancel"]`
	p.click(cancel)
	p.do(chromedp.WaitVisible(cancel + ".danger"))
	if st := must[domain.Ticket](t)(hall.GetTicket(ctx, demo.OfficeID, cancelMe.ID)).Status; st != domain.StatusWaiting {
		t.Fatalf("the first click on «Отменить» left the ticket %s", st)
	}
	p.click(cancel + ".danger")
	p.do(chromedp.WaitNotPresent(row(cancelMe)))
	if st := must[domain.Ticket](t)(hall.GetTicket(ctx, demo.OfficeID, cancelMe.ID)).Status; st != domain.StatusCancelled {
		t.Fatalf("cancelled on the page, the server holds %s", st)
	}

	// Move to window 2 and, in another step, to another service.
	p.click(row(moveMe) + ` button[data-action="move"]`)
	p.do(chromedp.WaitVisible("#move-form"), chromedp.Click("#move-submit"), chromedp.WaitVisible("#queue-error"))
	if e := p.text("#queue-error"); !strings.Contains(e, "Выберите другую услугу или окно") {
		t.Fatalf("a move nowhere shows %q", e)
	}
	p.do(chromedp.SetValue("#move-window", "w2"), chromedp.Click("#move-submit"), chromedp.WaitNotVisible("#move-form"))
	moved := must[domain.Ticket](t)(hall.GetTicket(ctx, demo.OfficeID, moveMe.ID))
	if moved.TargetWindowID != "w2" || moved.ServiceID != "passport" || moved.Status != domain.StatusWaiting {
		t.Fatalf("moved to window 2 on the page, the server holds %+v", moved)
	}
	p.do(chromedp.WaitVisible(row(moveMe)))
	p.waitText(row(moveMe), "→ Окно 2")
	p.click(row(moveMe) + ` button[data-action="move"]`)
	p.do(chromedp.WaitVisible("#move-form"), chromedp.SetValue("#move-service", "egrn"), chromedp.SetValue("#move-window", ""),
		chromedp.Click("#move-submit"), chromedp.WaitNotVisible("#move-form"))
	if moved := must[domain.Ticket](t)(hall.GetTicket(ctx, demo.OfficeID, moveMe.ID)); moved.ServiceID != "egrn" || !moved.Redirected {
		t.Fatalf("redirected to «Выписка из ЕГРН» on the page, the server holds %+v", moved)
	}
	p.waitText(row(moveMe), "Выписка из ЕГРН")

	// Waits read as minutes and hours, never as 0:48.
	for sec, want := range map[int]string{0: "0 мин", 59: "0 мин", 12*60 + 30: "12 мин", 48 * 60: "48 мин", 3600: "1 ч 00 мин", 3900: "1 ч 05 мин", 11*3600 + 59*60: "11 ч 59 мин"} {
		got, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](fmt.Sprintf("waitWords(%d)", sec)))
		if err != nil || got != want {
			t.Errorf("a wait of %d s reads %q (%v), want %q", sec, got, err, want)
		}
	}
	// A ticket that has waited 20 minutes of passport's 15 is highlighted
	// and raises an alert (its queue time is moved back in the page: the
	// test does not wait 15 minutes).
	p.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const t = snapshot.queue.find((x) => x.number === %q);
		t.queued_at = new Date(Date.now() - 20 * 60000).toISOString(); renderQueue(); })()`, prio.Number)),
		chromedp.WaitVisible(row(prio)+`[data-over="true"]`))
	alert := `#alerts li[data-over-norm="` + prio.Number + `"]`
	p.do(chromedp.WaitVisible(alert))
	if text := p.text(alert); !strings.Contains(text, "Талон "+prio.Number+" («Паспорт гражданина РФ») ждёт 20 мин — дольше нормы в 15 мин") {
		t.Fatalf("the over-norm alert says %q", text)
	}
	if n := p.count(`#alerts li[data-over-norm]`); n != 1 {
		t.Fatalf("%d over-norm alerts for one late ticket", n)
	}

	// The server goes away: the page says since when, and the time does
	// not move while it retries (backoff doubles from 0.5 s on each failure).
	stop()
	p.do(chromedp.WaitVisible(`#conn[data-state="offline"]`))
	lost := p.text("#conn")
	p.do(chromedp.Poll[chromedp.Void](`backoff >= 8000`))
	if again := p.text("#conn"); again != lost || !strings.HasPrefix(lost, "Нет связи с ") {
		t.Fatalf("after retries the page says %q, at first %q", again, lost)
	}
}

// fits checks the layout at the browser's width: nothing scrolls sideways,
// the tiles are one row, no table is wider than its card, and a window
// name cut short has its whole name in its title.
func (p *officePage) fits() {
	p.t.Helper()
	bad, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`(() => {
		const bad = [];
		const page = document.documentElement;
		if (page.scrollWidth > page.clientWidth) bad.push("the page scrolls sideways");
		const rows = new Set([...document.querySelectorAll("#load .tile")].map((t) => t.offsetTop));
		if (rows.size !== 1) bad.push("the tiles take " + rows.size + " rows");
		for (const t of document.querySelectorAll("main table")) {
			const card = t.closest(".card");
			if (t.offsetParent && t.getBoundingClientRect().right > card.getBoundingClientRect().right - 1) bad.push("#" + t.id + " is wider than its card");
		}
		for (const td of document.querySelectorAll("#windows td.name")) {
			if (td.scrollWidth > td.clientWidth && td.title !== td.textContent) bad.push("«" + td.textContent + "» is cut without its title");
		}
		return bad.join("; ");
	})()`))
	if err != nil || bad != "" {
		p.t.Fatalf("the layout at this width: %s (%v)", bad, err)
	}
}

// waitText waits until sel's text contains want.
func (p *officePage) waitText(sel, want string) {
	p.t.Helper()
	p.do(chromedp.Poll[chromedp.Void](fmt.Sprintf(`(document.querySelector(%q) || {}).textContent?.includes(%q)`, sel, want)))
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
	p.do(chromedp.WaitVisible("#windows tbody tr"), chromedp.WaitNotVisible("#announcements"), chromedp.WaitNotVisible("#hall"))
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

// TestOfficePagePadAndLinkAlerts: operator1's panel reports window 3's
// call-button pad silent and the hall administrator's page says so, until
// it reports the pad answering; the hall display's stream drops and, past
// the server's grace, the page says since when it is not connected, until
// it connects again. The demo's terminals that never connected raise
// nothing.
func TestOfficePagePadAndLinkAlerts(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo", "--device-offline-after", "2s")
	ctx := context.Background()
	p := openOfficePage(t)
	p.do(chromedp.EmulateViewport(1366, 768), chromedp.Navigate(url+"/"))
	p.login("hall")
	p.do(chromedp.WaitVisible(`#devices-list tr[data-device="display1"]`))

	op := login(t, url, "operator1")
	if _, err := op.OpenWindowSession(ctx, demo.OfficeID, "w3"); err != nil {
		t.Fatal(err)
	}
	if _, err := op.ReportPadState(ctx, demo.OfficeID, "w3", domain.PadState{Address: 5, Detail: "нет эха за 200 мс"}); err != nil {
		t.Fatal(err)
	}
	pad := `#alerts li[data-pad="w3"]`
	p.do(chromedp.WaitVisible(pad))
	if text := p.text(pad); !strings.Contains(text, "Пульт окна 3 не отвечает — проверьте кабель") || !strings.Contains(text, "адрес 5, с ") ||
		!strings.Contains(text, "нет эха за 200 мс") {
		t.Fatalf("the pad alert says %q", text)
	}
	if _, err := op.ReportPadState(ctx, demo.OfficeID, "w3", domain.PadState{Address: 5, OK: true}); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.WaitNotPresent(pad))

	// The hall display follows the office, then its stream drops.
	hall := login(t, url, "hall")
	link := func(id string) *domain.DeviceLink {
		ds, err := hall.ListDevices(ctx, demo.OfficeID)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.ID == id {
				return d.Link
			}
		}
		t.Fatalf("no device %s", id)
		return nil
	}
	display := login(t, url, "display1")
	follow := func() *client.Subscription {
		snap := make(chan struct{}, 1)
		sub := display.Subscribe(ctx, demo.OfficeID, client.Funcs{Snapshot: func(domain.OfficeSnapshot) {
			select {
			case snap <- struct{}{}:
			default:
			}
		}})
		<-snap
		return sub
	}
	sub := follow()
	if l := link("display1"); l == nil || !l.Online || l.Alert {
		t.Fatalf("the connected display's link: %+v", l)
	}
	if l := link("kiosk1"); l != nil {
		t.Fatalf("the kiosk never connected, yet has link %+v", l)
	}
	sub.Close()
	offline := `#alerts li[data-device="display1"][data-link="offline"]`
	p.do(chromedp.WaitVisible(offline))
	l := link("display1")
	if l == nil || l.Online || !l.Alert {
		t.Fatalf("the display's link once the page alerts: %+v", l)
	}
	if text := p.text(offline); !strings.Contains(text, "Табло display1 не на связи с ") {
		t.Fatalf("the connection alert says %q", text)
	}
	if n := p.count(`#alerts li[data-link]`); n != 1 {
		t.Fatalf("%d connection alerts, want the display's alone: the rating terminals never connected", n)
	}
	p.screenshot("office-page-link-alert.png")

	sub = follow()
	defer sub.Close()
	p.do(chromedp.WaitNotPresent(offline))
	p.noTroubles()
}

// TestOfficePageBackupAlert: a scheduled backup that fails (the backup disk
// is not there) raises an alert on the office page with the reason, and it
// goes once a backup succeeds; the folder, on the data's disk here, is
// warned of as long as it is.
func TestOfficePageBackupAlert(t *testing.T) {
	media := filepath.Join(t.TempDir(), "usb")
	url, _ := startServer(t, t.TempDir(), "--demo", "--backup-dir", media, "--backup-every", "1s")
	p := openOfficePage(t)
	p.do(chromedp.EmulateViewport(1366, 768), chromedp.Navigate(url+"/"))
	p.login("hall")
	alert := `#alerts li[data-backup="failing"]`
	p.do(chromedp.WaitVisible(alert))
	if text := p.text(alert); !strings.Contains(text, "Резервная копия базы не сделана: папки резервных копий "+media+" нет: подключите носитель") ||
		!strings.Contains(text, "проверенных копий ещё нет") {
		t.Fatalf("the backup alert says %q", text)
	}
	p.screenshot("office-page-backup-alert.png")
	if err := os.Mkdir(media, 0o750); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.WaitNotPresent(alert))
	sameDisk := `#alerts li[data-backup="same-disk"]`
	if text := p.text(sameDisk); !strings.Contains(text, "Резервные копии пишутся на тот же диск, что и база") || !strings.Contains(text, media) {
		t.Fatalf("the same-disk warning says %q", text)
	}
	p.noTroubles()
}

// TestOfficePageRegionAlert: on an office node the office page says when the
// region does not read the office yet, when the link has been down longer
// than allowed (with the events waiting on the office), and clears each
// once it is over; /metrics exports the same.
func TestOfficePageRegionAlert(t *testing.T) {
	hub := regiontest.Start(t)
	url, _ := startServer(t, t.TempDir(), "--demo", "--office-node", "--region-url", hub.LeafURL(), "--region-max-store", "64MiB", "--region-link-alert-after", "1s")
	p := openOfficePage(t)
	p.do(chromedp.EmulateViewport(1366, 768), chromedp.Navigate(url+"/"))
	p.login("hall")
	notJoined := `#alerts li[data-region="not-joined"]`
	p.do(chromedp.WaitVisible(notJoined))
	if text := p.text(notJoined); !strings.Contains(text, "queue-server region join --office "+demo.OfficeID) {
		t.Fatalf("the not-joined alert says %q", text)
	}
	hub.Source(demo.OfficeID)
	p.do(chromedp.WaitNotPresent(notJoined))

	hub.Cut()
	kiosk := login(t, url, "kiosk1")
	for range 3 {
		if _, err := kiosk.IssueTicket(context.Background(), demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
			t.Fatal(err)
		}
	}
	down := `#alerts li[data-region="down"]`
	p.do(chromedp.WaitVisible(down))
	if text := p.text(down); !strings.Contains(text, "Нет связи с регионом с ") || !strings.Contains(text, "ждут на этом сервере и уйдут в регион сами") {
		t.Fatalf("the link alert says %q", text)
	}
	_, fams := scrape(t, url, "")
	if v := fams["talon_region_linked"].GetMetric()[0].GetGauge().GetValue(); v != 0 {
		t.Fatalf("talon_region_linked = %v with the link cut", v)
	}
	if v := fams["talon_region_unsent_events"].GetMetric()[0].GetGauge().GetValue(); v < 3 {
		t.Fatalf("talon_region_unsent_events = %v after three tickets issued while cut off", v)
	}
	p.screenshot("office-page-region-alert.png")

	hub.Link()
	p.do(chromedp.WaitNotPresent(down))
	p.noTroubles()
}
