package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// statsDay runs a short day at window 1 of the demo office: four passports
// issued, two served, one no-show, one left waiting, and the window closed.
func statsDay(t *testing.T, url string) {
	t.Helper()
	statsDayAt(t, login(t, url, "kiosk1"), login(t, url, "operator1"), demo.OfficeID)
}

// statsDayAt is statsDay at any office with the demo's services and windows,
// through its kiosk and an operator.
func statsDayAt(t *testing.T, kiosk, op *client.Client, office string) {
	t.Helper()
	bg := context.Background()
	for range 4 {
		must[domain.Ticket](t)(kiosk.IssueTicket(bg, office, domain.IssueRequest{ServiceID: "passport"}))
	}
	must[domain.WindowState](t)(op.OpenWindowSession(bg, office, "w1"))
	for range 2 {
		tk := must[domain.Ticket](t)(op.CallNext(bg, office, "w1", false))
		must[domain.Ticket](t)(op.StartService(bg, office, tk.ID))
		must[domain.Ticket](t)(op.FinishTicket(bg, office, tk.ID))
	}
	tk := must[domain.Ticket](t)(op.CallNext(bg, office, "w1", false))
	must[domain.Ticket](t)(op.MarkNoShow(bg, office, tk.ID))
	must[domain.WindowState](t)(op.CloseWindowSession(bg, office, "w1"))
}

// download fetches a report file as c's caller would.
func download(t *testing.T, c *client.Client, url, query string) (string, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url+"/api/v1/stats?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET stats?%s: %d %s", query, resp.StatusCode, body)
	}
	return resp.Header.Get("Content-Disposition"), body
}

// csvRows reads a CSV download: BOM, semicolons, decimal comma.
func csvRows(t *testing.T, body []byte) [][]string {
	t.Helper()
	text, ok := strings.CutPrefix(string(body), "\uFEFF")
	if !ok {
		t.Fatal("the CSV has no byte order mark")
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func xlsxRows(t *testing.T, body []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// column finds a column by its Russian header.
func column(t *testing.T, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q in %q", name, header)
	return -1
}

func number(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil {
		t.Fatalf("%q is not a number: %v", s, err)
	}
	return v
}

// TestStatsOverHTTP: a day's report answers the counts the day made, its
// CSV and XLSX files carry the same numbers under Russian headers, and
// only managers and administrators read it.
func TestStatsOverHTTP(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	statsDay(t, url)
	bg := context.Background()
	manager := login(t, url, "manager")

	rep := must[domain.StatsReport](t)(manager.GetStats(bg, domain.StatsQuery{By: domain.StatsByService}))
	m := rep.Total
	if m.Issued != 4 || m.Served != 2 || m.NoShow != 1 || m.Waited != 3 || m.ServiceCount != 2 {
		t.Fatalf("the day's totals: %+v", m)
	}
	if len(rep.Rows) != 1 || rep.Rows[0].Key != "passport" || rep.Rows[0].Label != "Паспорт гражданина РФ" || rep.Rows[0].Metrics.Issued != 4 {
		t.Fatalf("rows by service: %+v", rep.Rows)
	}
	ops := must[domain.StatsReport](t)(manager.GetStats(bg, domain.StatsQuery{OfficeIDs: []string{demo.OfficeID}, By: domain.StatsByOperator}))
	if len(ops.Rows) != 1 || ops.Rows[0].Label != "Иванова Мария Петровна" || ops.Rows[0].Metrics.Served != 2 {
		t.Fatalf("rows by operator: %+v", ops.Rows)
	}

	q := "office=" + demo.OfficeID + "&from=" + rep.Query.From + "&to=" + rep.Query.To + "&by=service"
	disposition, body := download(t, manager, url, q+"&format=csv")
	if !strings.Contains(disposition, `filename="talon-stats-service-`) || !strings.HasSuffix(disposition, `.csv"`) {
		t.Errorf("CSV disposition %q", disposition)
	}
	_, xbody := download(t, manager, url, q+"&format=xlsx")
	for name, rows := range map[string][][]string{"CSV": csvRows(t, body), "XLSX": xlsxRows(t, xbody)} {
		if len(rows) != 3 || rows[0][0] != "Услуга" || rows[1][0] != "Паспорт гражданина РФ" || rows[2][0] != "Итого" {
			t.Fatalf("%s rows: %q", name, rows)
		}
		for _, c := range []struct {
			header string
			want   float64
		}{
			{"Выдано талонов", float64(m.Issued)},
			{"Обслужено", float64(m.Served)},
			{"Не явились", float64(m.NoShow)},
			{"Дождались вызова", float64(m.Waited)},
			{"Ожидание среднее, мин", m.WaitMeanSeconds / 60},
			{"Доля сверх нормы, %", m.OverNormShare * 100},
		} {
			got := number(t, rows[2][column(t, rows[0], c.header)])
			if diff := got - c.want; diff > 0.005 || diff < -0.005 {
				t.Errorf("%s «%s»: %v, the API says %v", name, c.header, got, c.want)
			}
		}
	}

	// Refusals: the hall administrator, a bad format, an unknown breakdown.
	hall := login(t, url, "hall")
	if _, err := hall.GetStats(bg, domain.StatsQuery{}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("hall administrator reads statistics: %v", err)
	}
	for query, want := range map[string]string{
		"format=pdf":      "формат",
		"by=moon":         "moon",
		"from=2026-13-01": "2026-13-01",
		"office=" + demo.OfficeID + "&from=2026-12-02&to=2026-12-01": "",
	} {
		status, out := call(t, "GET", url+"/api/v1/stats?"+query, manager.Token(), "", nil)
		if status != http.StatusBadRequest || !strings.Contains(errorMessage(out), want) {
			t.Errorf("stats?%s: %d %q, want 400 mentioning %q", query, status, errorMessage(out), want)
		}
	}
}

// waitFile waits for the browser to finish a download with the suffix.
func waitFile(t *testing.T, dir, suffix string) []byte {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		files, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f.Name(), suffix) {
				body, err := os.ReadFile(filepath.Join(dir, f.Name()))
				if err != nil {
					t.Fatal(err)
				}
				return body
			}
		}
	}
	t.Fatalf("no %s file was downloaded", suffix)
	return nil
}

// TestStatsPage: the manager goes from the office page to the statistics;
// the live tiles say what getLiveLoad says, the charts are drawn, and the
// service table's CSV and XLSX downloads carry the API's numbers.
func TestStatsPage(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	statsDay(t, url)
	bg := context.Background()
	manager := login(t, url, "manager")
	load := must[domain.LiveLoad](t)(manager.GetLiveLoad(bg, demo.OfficeID))
	rep := must[domain.StatsReport](t)(manager.GetStats(bg, domain.StatsQuery{By: domain.StatsByService}))

	downloads := t.TempDir()
	p := openOfficePage(t)
	p.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}), chromedp.EmulateViewport(1366, 768), chromedp.Navigate(url+"/"))
	p.login("manager")
	p.click("#stats-link")
	p.do(chromedp.WaitVisible(`body[data-state="ready"]`))

	tiles := p.text("#live")
	if want := fmt.Sprintf("%d\nожидают", load.TicketsWaiting); !strings.Contains(tiles, want) {
		t.Errorf("live tiles %q, want %q as getLiveLoad says", tiles, want)
	}
	if want := fmt.Sprintf("%d / %d\nсегодня в пределах нормы / сверх", load.WithinNorm, load.OverNorm); !strings.Contains(tiles, want) {
		t.Errorf("live tiles %q, want %q", tiles, want)
	}
	if totals := p.text("#totals"); !strings.Contains(totals, fmt.Sprintf("%d\nвыдано талонов", rep.Total.Issued)) {
		t.Errorf("period tiles %q, want %d issued", totals, rep.Total.Issued)
	}
	for _, id := range []string{"chart-hours", "chart-services", "chart-days", "chart-accuracy"} {
		drawn, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](fmt.Sprintf(
			`(() => { const c = Chart.getChart(%q); return !!c && c.data.datasets.length > 0 && c.canvas.width > 0 })()`, id)))
		if err != nil || !drawn {
			t.Errorf("chart %s is not drawn: %v", id, err)
		}
	}
	if row := p.text(`section[data-by="service"] tbody tr`); !strings.Contains(row, "Паспорт гражданина РФ") {
		t.Errorf("the service table's first row: %q", row)
	}
	p.screenshot("stats-page.png")

	p.click(`section[data-by="service"] button[data-format="csv"]`)
	csvFile := waitFile(t, downloads, ".csv")
	p.click(`section[data-by="service"] button[data-format="xlsx"]`)
	xlsxFile := waitFile(t, downloads, ".xlsx")
	for name, rows := range map[string][][]string{"CSV": csvRows(t, csvFile), "XLSX": xlsxRows(t, xlsxFile)} {
		last := rows[len(rows)-1]
		if last[0] != "Итого" {
			t.Fatalf("%s: last row %q", name, last)
		}
		for header, want := range map[string]int64{"Выдано талонов": rep.Total.Issued, "Обслужено": rep.Total.Served, "Не явились": rep.Total.NoShow} {
			if got := number(t, last[column(t, rows[0], header)]); got != float64(want) {
				t.Errorf("%s «%s»: %v, the API says %d", name, header, got, want)
			}
		}
	}
	p.noTroubles()
}
