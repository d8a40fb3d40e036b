package ui_test

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/talonqueue/talon/kiosk/ui"
	"github.com/talonqueue/talon/printer/virtual"
)

// A ticket taken at the kiosk of an office with a public address carries
// its live status link as a QR on the paper: zbarimg reads it from the
// printed image, and the page it opens in headless Chromium shows the
// ticket, then the call to its window.
func TestPrintedQROpensTheStatusPage(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg not found: run `make setup` (installs Debian's zbar-tools)")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: run `make setup` (installs Debian's chromium)")
	}
	url := startServer(t)
	admin, cfg := pairKiosk(t, url)
	ctx := context.Background()
	office, err := admin.GetOffice(ctx, cfg.OfficeID)
	if err != nil {
		t.Fatal(err)
	}
	office.PublicURL = url
	if _, err := admin.PutOffice(ctx, office); err != nil {
		t.Fatal(err)
	}
	op := openWindow(t, url, cfg.OfficeID)

	cl, err := cfg.NewClient("talon-kiosk-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	drv, tickets := virtualPrinter(t)
	k := liveKiosk(t, cl, ui.Config{OfficeID: cfg.OfficeID, Printer: drv})
	waitFor(t, "results open", func() bool { _, enabled := k.ItemInfo("results"); return enabled })
	press(t, k.Item("results").Button)
	var v ui.View
	waitFor(t, "the ticket printed", func() bool { v = k.View(); return v.Screen == ui.ScreenTicket && !v.Busy })

	var paper virtual.Ticket
	select {
	case paper = <-tickets:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing came out of the virtual printer")
	}
	out, err := exec.Command(zbar, "--raw", "-q", paper.Path).Output()
	if err != nil {
		t.Fatalf("zbarimg %s: %v", paper.Path, err)
	}
	link := strings.TrimSpace(string(out))
	if !strings.HasPrefix(link, url+"/t/") || len(link) < len(url)+3+20 {
		t.Fatalf("the printed QR reads %q, want the ticket's status link under %s/t/", link, url)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(390, 844))
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	bctx, cancelTimeout := context.WithTimeout(bctx, 60*time.Second)
	defer cancelTimeout()
	if _, err := chromedp.Run(bctx, chromedp.Navigate(link)); err != nil {
		t.Fatalf("open %s: %v", link, err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.body.innerText.includes(`+strconv.Quote(v.Number)+`)`)); err != nil {
		text, _ := chromedp.Run(bctx, chromedp.Text("body"))
		t.Fatalf("the status page does not show %s: %v\n%s", v.Number, err, text)
	}
	if _, err := op.CallNext(ctx, cfg.OfficeID, "w2", false); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.body.innerText.includes("окну 2")`)); err != nil {
		text, _ := chromedp.Run(bctx, chromedp.Text("body"))
		t.Fatalf("the status page never showed the call: %v\n%s", err, text)
	}
}
