package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// statsDay runs a short day at window 1 of the demo office: four passports
// issued, two served, one no-show, one left waiting, and the window closed.
func statsDay(t *testing.T, url string) {
	t.Helper()
	bg := context.Background()
	kiosk, op := login(t, url, "kiosk1"), login(t, url, "operator1")
	for range 4 {
		must[domain.Ticket](t)(kiosk.IssueTicket(bg, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	}
	must[domain.WindowState](t)(op.OpenWindowSession(bg, demo.OfficeID, "w1"))
	for range 2 {
		tk := must[domain.Ticket](t)(op.CallNext(bg, demo.OfficeID, "w1", false))
		must[domain.Ticket](t)(op.StartService(bg, demo.OfficeID, tk.ID))
		must[domain.Ticket](t)(op.FinishTicket(bg, demo.OfficeID, tk.ID))
	}
	tk := must[domain.Ticket](t)(op.CallNext(bg, demo.OfficeID, "w1", false))
	must[domain.Ticket](t)(op.MarkNoShow(bg, demo.OfficeID, tk.ID))
	must[domain.WindowState](t)(op.CloseWindowSession(bg, demo.OfficeID, "w1"))
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
