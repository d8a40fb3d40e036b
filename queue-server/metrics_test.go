package main

import (
	"context"
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// scrape gets url's /metrics as Prometheus would and parses it with
// Prometheus's own text parser.
func scrape(t testing.TB, url, token string) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	req, err := http.NewRequest("GET", url+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return resp.StatusCode, fams
}

// series finds the one series of a family with all the given labels; ok is
// false when there is none.
func series(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (*dto.Metric, bool) {
	f := fams[name]
	if f == nil {
		return nil, false
	}
next:
	for _, m := range f.GetMetric() {
		for k, v := range labels {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		return m, true
	}
	return nil, false
}

// gaugeOf is a gauge's value, failing the test when the series is missing.
func gaugeOf(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) int {
	t.Helper()
	m, ok := series(fams, name, labels)
	if !ok {
		t.Fatalf("/metrics has no %s%v", name, labels)
	}
	return int(m.GetGauge().GetValue())
}

// An office at work, scraped over HTTP: the metrics say what the API says.
func TestMetricsMatchTheAPI(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	ctx := context.Background()
	const office = demo.OfficeID
	kiosk, hall, op1 := login(t, url, "kiosk1"), login(t, url, "hall"), login(t, url, "operator1")
	ticket := must[domain.Ticket](t)

	// A hall board follows the office: its device counts as connected.
	snap := make(chan struct{}, 1)
	sub := login(t, url, "display1").Subscribe(ctx, office, client.Funcs{Snapshot: func(domain.OfficeSnapshot) {
		select {
		case snap <- struct{}{}:
		default:
		}
	}})
	defer sub.Close()
	<-snap

	const passports = 3
	for range passports {
		ticket(kiosk.IssueTicket(ctx, office, domain.IssueRequest{ServiceID: "passport"}))
	}
	ticket(kiosk.IssueTicket(ctx, office, domain.IssueRequest{ServiceID: "realty-rights"}))
	must[domain.WindowState](t)(op1.OpenWindowSession(ctx, office, "w1"))
	ticket(op1.CallNext(ctx, office, "w1", false))
	must[domain.DeviceState](t)(kiosk.ReportDeviceState(ctx, office, "kiosk1", domain.DeviceState{Printer: domain.PrinterPaperOut}))
	must[domain.PadState](t)(op1.ReportPadState(ctx, office, "w1", domain.PadState{Address: 5, OK: false}))

	load := must[domain.LiveLoad](t)(hall.GetLiveLoad(ctx, office))
	status, fams := scrape(t, url, "")
	if status != http.StatusOK {
		t.Fatalf("/metrics answered %d without a token on a server without --metrics-token", status)
	}

	o := map[string]string{"office": office}
	with := func(k, v string) map[string]string { return map[string]string{"office": office, k: v} }
	for _, s := range load.Services {
		svc := with("service", s.ServiceID)
		if got := gaugeOf(t, fams, "talon_queue_waiting", svc); got != s.Waiting {
			t.Errorf("talon_queue_waiting of %s = %d, the API says %d", s.ServiceID, got, s.Waiting)
		}
		// Waits grow between the API's answer and the scrape, never shrink.
		if got := gaugeOf(t, fams, "talon_queue_wait_longest_seconds", svc); got < s.MaxWaitSeconds {
			t.Errorf("longest wait of %s = %d s, the API said %d s before", s.ServiceID, got, s.MaxWaitSeconds)
		}
		if mean, longest := gaugeOf(t, fams, "talon_queue_wait_mean_seconds", svc), gaugeOf(t, fams, "talon_queue_wait_longest_seconds", svc); mean > longest {
			t.Errorf("mean wait of %s %d s above the longest %d s", s.ServiceID, mean, longest)
		}
		if got := gaugeOf(t, fams, "talon_queue_estimated_wait_seconds", svc); got != s.EstimatedWaitSeconds {
			t.Errorf("estimated wait of %s = %d s, the API says %d s", s.ServiceID, got, s.EstimatedWaitSeconds)
		}
	}
	if got := gaugeOf(t, fams, "talon_queue_waiting", with("service", "passport")); got != passports-1 {
		t.Errorf("%d passport tickets waiting after one call, want %d", got, passports-1)
	}
	if got := gaugeOf(t, fams, "talon_tickets_issued_today", o); got != load.TicketsTotal || got != passports+1 {
		t.Errorf("talon_tickets_issued_today = %d, the API says %d, issued %d", got, load.TicketsTotal, passports+1)
	}
	if got := gaugeOf(t, fams, "talon_tickets_today", with("status", "in_service")); got != 1 {
		t.Errorf("%d tickets in service, want the one called", got)
	}
	if got := gaugeOf(t, fams, "talon_tickets_called_today", with("norm", "within")) + gaugeOf(t, fams, "talon_tickets_called_today", with("norm", "over")); got != load.WithinNorm+load.OverNorm || got != 1 {
		t.Errorf("called today within or over the norm: %d, the API says %d+%d", got, load.WithinNorm, load.OverNorm)
	}
	windows := map[string]int{}
	for _, st := range []string{"open", "serving", "paused", "closed"} {
		windows[st] = gaugeOf(t, fams, "talon_windows", with("state", st))
	}
	if windows["serving"] != 1 || windows["open"] != 0 || windows["paused"] != 0 || windows["closed"] != load.WindowsTotal-1 {
		t.Errorf("windows by state %v, want one serving of %d", windows, load.WindowsTotal)
	}

	// Devices: the kiosk's printer is out of paper, the board is connected,
	// the paired kiosk has no stream open.
	if got := gaugeOf(t, fams, "talon_printer_state", map[string]string{"device": "kiosk1", "state": "paper_out"}); got != 1 {
		t.Errorf("talon_printer_state paper_out = %d, want 1", got)
	}
	if got := gaugeOf(t, fams, "talon_printer_state", map[string]string{"device": "kiosk1", "state": "ok"}); got != 0 {
		t.Errorf("talon_printer_state ok = %d, want 0", got)
	}
	if got := gaugeOf(t, fams, "talon_pad_up", map[string]string{"window": "w1", "address": "5"}); got != 0 {
		t.Errorf("talon_pad_up of window 1 = %d, want 0: its operator reported it silent", got)
	}
	if got := gaugeOf(t, fams, "talon_device_alerts", o); got != 2 {
		t.Errorf("talon_device_alerts = %d, want the printer's and the pad's 2", got)
	}
	if got := gaugeOf(t, fams, "talon_device_connected", map[string]string{"device": "display1", "kind": "display"}); got != 1 {
		t.Errorf("display1 connected = %d, want 1", got)
	}
	if got := gaugeOf(t, fams, "talon_device_connected", map[string]string{"device": "kiosk1"}); got != 0 {
		t.Errorf("kiosk1 connected = %d, want 0: it has no stream", got)
	}
	if got := gaugeOf(t, fams, "talon_stream_clients", with("client", "display")); got != 1 {
		t.Errorf("talon_stream_clients of displays = %d, want 1", got)
	}

	// HTTP latency is labelled by the route's pattern, not the path.
	issued, ok := series(fams, "talon_http_request_duration_seconds", map[string]string{"route": "/api/v1/offices/{office}/tickets", "method": "POST", "status": "2xx"})
	if !ok || issued.GetHistogram().GetSampleCount() != passports+1 {
		t.Errorf("issueTicket's latency histogram: %v, want %d requests", issued, passports+1)
	}
	if _, ok := series(fams, "talon_http_request_duration_seconds", map[string]string{"route": "/api/v1/offices/demo/tickets"}); ok {
		t.Error("a raw path is a label of the latency histogram")
	}
	commits, ok := series(fams, "talon_commit_operations", nil)
	if !ok || commits.GetHistogram().GetSampleCount() == 0 || commits.GetHistogram().GetSampleSum() < passports+1 {
		t.Errorf("commit batch sizes: %v, want at least the %d issues", commits, passports+1)
	}
	if fams["talon_commit_duration_seconds"].GetMetric()[0].GetHistogram().GetSampleCount() != commits.GetHistogram().GetSampleCount() {
		t.Error("commit durations and batch sizes count different commits")
	}
	// The commits reach the data file in checkpoints, 50 ms after them or
	// at a read: the demo office's set-up, long before the scrape, wrote at
	// least a changed page and the meta page.
	if pages, ok := series(fams, "talon_store_page_writes_total", nil); !ok || pages.GetCounter().GetValue() < 2 {
		t.Errorf("page writes: %v, want at least a checkpoint's 2", pages)
	}
}

// With --metrics-token only a scrape that carries the token gets an answer.
func TestMetricsToken(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--metrics-token", "s3cret")
	for token, want := range map[string]int{"": http.StatusUnauthorized, "wrong": http.StatusUnauthorized, "s3cret": http.StatusOK} {
		if got, _ := scrape(t, url, token); got != want {
			t.Errorf("token %q: %d, want %d", token, got, want)
		}
	}
	_, fams := scrape(t, url, "s3cret")
	if _, ok := fams["talon_commit_duration_seconds"]; !ok {
		t.Error("the scrape with the token has no talon_commit_duration_seconds")
	}
}
