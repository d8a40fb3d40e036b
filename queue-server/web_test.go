package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

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

// TestOfficePage logs in to the office page as the hall administrator and
// watches a ticket go from the queue to a window.
func TestOfficePage(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	ctx := browser(t)
	var mu sync.Mutex
	var jsErrors []string
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			jsErrors = append(jsErrors, e.ExceptionDetails.Text)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	steps := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	steps(chromedp.Navigate(url+"/"),
		chromedp.WaitVisible("#login"),
		chromedp.SendKeys("#login-name", "hall"),
		chromedp.SendKeys("#login-password", "wrong"),
		chromedp.Click("#login-submit"),
		chromedp.WaitVisible("#error"))
	if e := text("#error"); !strings.Contains(e, "неверный логин или пароль") {
		t.Fatalf("wrong password shows %q", e)
	}

	steps(chromedp.SetValue("#login-password", "demo"),
		chromedp.Click("#login-submit"),
		chromedp.WaitVisible("#board"),
		chromedp.WaitNotVisible("#login"),
		chromedp.WaitVisible(`#conn[data-state="online"]`),
		chromedp.WaitVisible("#queue-empty"))
	if title, conn := text("#title"), text("#conn"); !strings.Contains(title, "Мои документы") || conn != "В сети" {
		t.Fatalf("board title %q, connection %q", title, conn)
	}

	// A kiosk issues a ticket: it appears in the queue without a reload.
	kiosk, op := login(t, url, "kiosk1"), login(t, url, "operator1")
	bg := context.Background()
	var tk domain.Ticket
	tk, err = kiosk.IssueTicket(bg, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	steps(chromedp.WaitVisible(`#queue tr[data-number="` + tk.Number + `"]`))
	if queue := text("#queue"); !strings.Contains(queue, "Паспорт гражданина РФ") || !strings.Contains(queue, "ожидает") {
		t.Fatalf("queue shows %q", queue)
	}

	// Window 1 calls it: it leaves the queue and shows in the calls and the window.
	if _, err := op.OpenWindowSession(bg, demo.OfficeID, "w1"); err != nil {
		t.Fatal(err)
	}
	if _, err := op.CallNext(bg, demo.OfficeID, "w1", false); err != nil {
		t.Fatal(err)
	}
	steps(chromedp.WaitVisible("#calls li"), chromedp.WaitVisible("#queue-empty"))
	if calls, windows := text("#calls"), text("#windows"); !strings.Contains(calls, tk.Number+" → окно 1") ||
		!strings.Contains(windows, "Иванова Мария Петровна") || !strings.Contains(windows, tk.Number) {
		t.Fatalf("calls %q, windows %q", calls, windows)
	}
	if dir := os.Getenv("TALON_SCREENSHOTS"); dir != "" {
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "office-page.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(jsErrors) > 0 {
		t.Fatalf("the page threw: %v", jsErrors)
	}
}
