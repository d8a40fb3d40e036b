package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/talonqueue/talon/internal/natstest"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/auth"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/region"
	"github.com/talonqueue/talon/queue-server/region/regiontest"
)

// cell waits until the dashboard's cell field of office's row reads want.
func (p *officePage) cell(office, field, want string) {
	p.t.Helper()
	sel := fmt.Sprintf(`#offices tr[data-office=%q] td[data-f=%q]`, office, field)
	p.do(chromedp.Poll[chromedp.Void](fmt.Sprintf(`(document.querySelector(%q) || {}).textContent === %q`, sel, want)))
}

// row is the text of office's row on the dashboard but for the longest
// wait, which runs on with the clock.
func (p *officePage) row(office string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`[...document.querySelectorAll('#offices tr[data-office=%q] td:not([data-f="oldest"])')].map((td) => td.textContent).join(" | ")`, office)))
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// TestRegionDashboard opens the regional dashboard in headless Chromium
// beside a real office node joined to a three-node cluster: a call at the
// office's window reaches the page by itself; with the office's link cut
// the page says so while the office works on, and the backlog shows once
// the link returns; the regional server restarted shows the same figures,
// which are the regional statistics' of the day; the period view shows
// those statistics.
func TestRegionDashboard(t *testing.T) {
	bg := context.Background()
	c := natstest.Start(t, region.RegionDomain)
	o := startNodeProcess(t, c, demo.OfficeID, t.TempDir(), true)
	join(t, c.URLs(), o.id)
	dir := t.TempDir()
	args := []string{"--region", c.URLs(), "--addr", "127.0.0.1:0", "--data", dir}
	regional, regionalURL := testserver.StartArgs(t, args...)

	p := openOfficePage(t)
	// The manager's computer keeps the region's time: the period view's
	// day is the browser's, which in UTC is not the office's from 21:00.
	p.do(inZone(mustLoc(t).String()), chromedp.Navigate(regionalURL+"/"),
		chromedp.WaitVisible(`#conn[data-state="online"]`),
		chromedp.WaitNotVisible("#loading"))
	p.cell(o.id, "link", "на связи")

	kiosk, op := o.kiosk(t), o.operator(t)
	var tickets []domain.Ticket
	for range 3 {
		tickets = append(tickets, must[domain.Ticket](t)(kiosk.IssueTicket(bg, o.id, domain.IssueRequest{ServiceID: "passport"})))
	}
	must[domain.WindowState](t)(op.OpenWindowSession(bg, o.id, "w1"))
	first := must[domain.Ticket](t)(op.CallNext(bg, o.id, "w1", false))
	if first.ID != tickets[0].ID {
		t.Fatalf("called %s, the first issued is %s", first.Number, tickets[0].Number)
	}
	p.cell(o.id, "waiting", "2")
	p.cell(o.id, "serving", "1")
	p.cell(o.id, "windows", "1")
	p.cell(o.id, "issued", "3")
	p.waitText(fmt.Sprintf(`#offices tr[data-office=%q] td[data-f="call"]`, o.id), first.Number+" → окно 1")
	p.waitText(fmt.Sprintf(`#calls li[data-ticket=%q]`, first.ID), first.Number)
	p.waitText("#t-waiting", "2")
	// The totals agree in number with their counts: one office, one window.
	p.do(chromedp.Poll[chromedp.Void](`document.querySelector("#t-offices span")?.textContent === "офис"`))
	p.waitText("#t-windows", "1окно открыто")

	// The link is cut: the page says so, and the office serves on.
	o.proxy.Stop()
	p.waitText(fmt.Sprintf(`#offices tr[data-office=%q] td[data-f="link"]`, o.id), "нет связи")
	must[domain.Ticket](t)(kiosk.IssueTicket(bg, o.id, domain.IssueRequest{ServiceID: "passport"}))
	second := must[domain.Ticket](t)(op.CallNext(bg, o.id, "w1", true))
	if second.ID != tickets[1].ID {
		t.Fatalf("called %s, the second issued is %s", second.Number, tickets[1].Number)
	}
	p.cell(o.id, "issued", "3")
	p.screenshot("region-dashboard-cut.png")

	// The link returns and the backlog arrives by itself.
	if err := o.proxy.Start(); err != nil {
		t.Fatal(err)
	}
	p.cell(o.id, "link", "на связи")
	p.cell(o.id, "issued", "4")
	p.cell(o.id, "served", "1")
	p.cell(o.id, "waiting", "2")
	p.cell(o.id, "serving", "1")
	p.waitText(fmt.Sprintf(`#offices tr[data-office=%q] td[data-f="call"]`, o.id), second.Number+" → окно 1")
	p.screenshot("region-dashboard.png")
	before := p.row(o.id)

	// The regional server stops: the page says it lost the connection.
	// Started again on its file, it shows the same figures.
	if err := regional.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := regional.Wait(); err != nil {
		t.Fatalf("the regional server did not stop cleanly: %v", err)
	}
	p.do(chromedp.WaitVisible(`#conn[data-state="offline"]`))
	_, regionalURL = testserver.StartArgs(t, args...)
	p.do(chromedp.Navigate(regionalURL+"/"),
		chromedp.WaitVisible(`#conn[data-state="online"]`),
		chromedp.WaitNotVisible("#loading"))
	p.cell(o.id, "link", "на связи")
	p.cell(o.id, "issued", "4")
	if after := p.row(o.id); after != before {
		t.Errorf("after a restart the office's row reads\n%s\nbefore it read\n%s", after, before)
	}

	// The day's figures are the regional statistics' of the day.
	day := time.Now().In(mustLoc(t)).Format(time.DateOnly)
	var rep domain.StatsReport
	getJSON(t, regionalURL+"/region/stats?"+url.Values{"from": {day}, "to": {day}, "office": {o.id}}.Encode(), &rep)
	if rep.Total.Issued != 4 || rep.Total.Served != 1 || rep.Total.Waited != 2 {
		t.Fatalf("the region's statistics of the day: %+v", rep.Total)
	}
	for field, want := range map[string]int64{"issued": rep.Total.Issued, "served": rep.Total.Served, "no-show": rep.Total.NoShow} {
		p.cell(o.id, field, strconv.FormatInt(want, 10))
	}

	// The period view shows the statistics, by office and by service.
	p.click("#tab-period")
	p.waitText(`#report tr.total`, "Итого")
	p.waitText(fmt.Sprintf(`#report tr[data-key=%q] td:nth-child(2)`, o.id), "4")
	p.do(chromedp.SetValue("#by", "service"), chromedp.Click("#show"))
	p.waitText(`#report tr[data-key="passport"] td:nth-child(3)`, "1")
	p.screenshot("region-dashboard-period.png")
	p.noTroubles()
}

// status is the status code of a GET of u with the token, if any.
func status(t *testing.T, hc *http.Client, u, token string) int {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// addRegionAccount runs `queue-server region account` on a stopped regional
// server's data.
func addRegionAccount(t *testing.T, dir, login, password string) {
	t.Helper()
	err := run(context.Background(), []string{"region", "account", "--data", dir, "--login", login, "--password", password, "--bcrypt-cost", "4"},
		func(string) string { return "" }, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
}

// TestRegionDashboardLogin: a regional server with an account opens its
// pages and data only after a login: the page asks for it, refuses a wrong
// password, and with the right one shows the region; a new password ends
// the old sign-in. With an account it may serve HTTPS.
func TestRegionDashboardLogin(t *testing.T) {
	c := natstest.Start(t, region.RegionDomain)
	dir := t.TempDir()
	addRegionAccount(t, dir, "region", "secret1")
	args := []string{"--region", c.URLs(), "--addr", "127.0.0.1:0", "--data", dir}
	regional, url := testserver.StartArgs(t, args...)

	hc := http.DefaultClient
	for _, path := range []string{"/region/offices", "/region/stats", "/region/live"} {
		if got := status(t, hc, url+path, ""); got != http.StatusUnauthorized {
			t.Errorf("GET %s without a login: %d", path, got)
		}
	}
	if got := status(t, hc, url+"/", ""); got != http.StatusOK {
		t.Errorf("the page itself: %d", got)
	}

	p := openOfficePage(t)
	p.do(chromedp.Navigate(url+"/"),
		chromedp.WaitVisible("#login"),
		chromedp.SetValue("#login-name", "region"),
		chromedp.SetValue("#login-password", "wrong"),
		chromedp.Click("#login-submit"),
		chromedp.WaitVisible("#login-error"))
	p.waitText("#login-error", "неверный логин или пароль")
	p.do(chromedp.SetValue("#login-password", "secret1"),
		chromedp.Click("#login-submit"),
		chromedp.WaitNotVisible("#login"),
		chromedp.WaitVisible(`#conn[data-state="online"]`),
		chromedp.WaitNotVisible("#loading"))
	p.waitText("#who", "region")
	p.click("#tab-period")
	p.do(chromedp.WaitVisible("#report-empty"))
	token, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`sessionStorage.getItem("talon.region.token")`))
	if err != nil || token == "" {
		t.Fatalf("the page keeps no token: %q %v", token, err)
	}
	for _, path := range []string{"/region/offices", "/region/stats?from=2026-12-01&to=2026-12-01"} {
		if got := status(t, hc, url+path, token); got != http.StatusOK {
			t.Errorf("GET %s with the page's token: %d", path, got)
		}
	}

	// A new password: the old sign-in no longer opens anything, and the
	// page asks again.
	if err := regional.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = regional.Wait()
	addRegionAccount(t, dir, "region", "secret2")
	args = append(args, "--tls-self-signed")
	cmd, out := testserver.Launch(t, args...)
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	url = ""
	for url == "" && sc.Scan() {
		if _, u, ok := strings.Cut(sc.Text(), "слушает "); ok {
			url, _, _ = strings.Cut(u, " ")
		}
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("with --tls-self-signed the regional server listens on %q", url)
	}
	tlsClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // its own certificate
	regiontest.WaitFor(t, "the regional server answers over HTTPS", func() bool {
		resp, err := tlsClient.Get(url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if got := status(t, tlsClient, url+"/region/offices", token); got != http.StatusUnauthorized {
		t.Errorf("the old password's token after a new one: %d", got)
	}

	// Guessing is limited: after five wrong passwords even the right one
	// is refused, for a while.
	signIn := func(password string) (int, string) {
		resp, err := tlsClient.Post(url+"/region/login", "application/json", strings.NewReader(`{"login":"region","password":"`+password+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, _ := signIn("secret2"); code != http.StatusOK {
		t.Fatalf("the new password: %d", code)
	}
	for range auth.MaxLoginFailures {
		if code, _ := signIn("guess"); code != http.StatusUnauthorized {
			t.Fatalf("a wrong password: %d", code)
		}
	}
	if code, body := signIn("secret2"); code != http.StatusUnauthorized || !strings.Contains(body, "слишком много неудачных попыток") {
		t.Errorf("after %d wrong passwords the right one: %d %s", auth.MaxLoginFailures, code, body)
	}
	p.noTroubles()
}
