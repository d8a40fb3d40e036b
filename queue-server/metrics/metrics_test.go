package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/outbox"
	"github.com/talonqueue/talon/queue-server/push"
)

// fakeOffices answers for two offices; the second one's load fails.
type fakeOffices struct{}

func (fakeOffices) ListOffices(context.Context) ([]domain.Office, error) {
	return []domain.Office{{ID: "a"}, {ID: "broken"}}, nil
}

func (fakeOffices) GetLiveLoad(ctx context.Context, id string) (domain.LiveLoad, error) {
	if a, _ := domain.ActorFrom(ctx); a != domain.System {
		return domain.LiveLoad{}, domain.Errorf(domain.CodeForbidden, "not the system")
	}
	if id == "broken" {
		return domain.LiveLoad{}, errors.New("disk gone")
	}
	return domain.LiveLoad{OfficeID: id, TicketsTotal: 9, WindowsTotal: 6, WindowsActive: 3, WindowsServing: 2, WindowsStopped: 1,
		Services: []domain.ServiceLoad{{ServiceID: "passport", Waiting: 4, AvgWaitSeconds: 60, MaxWaitSeconds: 120, EstimatedWaitSeconds: 300, Available: true}}}, nil
}

func (fakeOffices) ListDevices(_ context.Context, id string) ([]domain.Device, error) {
	now := time.Now()
	return []domain.Device{
		{ID: "k1", OfficeID: id, Kind: domain.DeviceKiosk, PairedAt: &now, State: &domain.DeviceState{Printer: domain.PrinterPaperNearEnd}},
		{ID: "d1", OfficeID: id, Kind: domain.DeviceDisplay, PairedAt: &now, State: &domain.DeviceState{Boards: []domain.BoardState{
			{Address: 2, WindowID: "w1", OK: true}, {Address: 3, WindowID: "w2", OK: false}}}},
		{ID: "gone", OfficeID: id, Kind: domain.DeviceRating, PairedAt: &now, RevokedAt: &now},
	}, nil
}

// ListWindows has window 3's pad silent and window 4's answering.
func (fakeOffices) ListWindows(_ context.Context, id string) ([]domain.WindowState, error) {
	return []domain.WindowState{
		{Window: domain.Window{ID: "w1", OfficeID: id, Number: 1}},
		{Window: domain.Window{ID: "w3", OfficeID: id, Number: 3}, Pad: &domain.PadState{Address: 5, OK: false}},
		{Window: domain.Window{ID: "w4", OfficeID: id, Number: 4}, Pad: &domain.PadState{Address: 6, OK: true}},
	}, nil
}

func newTestMetrics(t *testing.T) *Metrics {
	t.Helper()
	m := New(nil)
	m.Watch(State{
		Offices: fakeOffices{},
		Streams: func() []push.Subscriber {
			return []push.Subscriber{{OfficeID: "a", Actor: domain.Actor{Role: domain.RoleDevice, DeviceID: "d1", DeviceKind: domain.DeviceDisplay}},
				{OfficeID: "a", Actor: domain.Actor{Role: domain.RoleHall}}}
		},
		Outbox: func(context.Context) ([]outbox.Backlog, error) {
			return []outbox.Backlog{{Channel: "mkgu.rates", Pending: 5, Dead: 1}}, nil
		},
	})
	return m
}

func value(fams []*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// One office that cannot answer leaves its own series out and the gather's
// error names it; everything else is still collected.
func TestStateCollector(t *testing.T) {
	m := newTestMetrics(t)
	fams, err := m.reg.Gather()
	if err == nil || !strings.Contains(err.Error(), "live load of broken") {
		t.Errorf("gather error %v, want the broken office's", err)
	}
	want := []struct {
		name   string
		labels map[string]string
		v      float64
	}{
		{"talon_queue_waiting", map[string]string{"office": "a", "service": "passport"}, 4},
		{"talon_queue_wait_mean_seconds", map[string]string{"office": "a", "service": "passport"}, 60},
		{"talon_queue_wait_longest_seconds", map[string]string{"office": "a", "service": "passport"}, 120},
		{"talon_queue_estimated_wait_seconds", map[string]string{"office": "a", "service": "passport"}, 300},
		{"talon_windows", map[string]string{"office": "a", "state": "open"}, 1},
		{"talon_windows", map[string]string{"office": "a", "state": "serving"}, 2},
		{"talon_windows", map[string]string{"office": "a", "state": "paused"}, 1},
		{"talon_windows", map[string]string{"office": "a", "state": "closed"}, 2},
		{"talon_printer_state", map[string]string{"office": "a", "device": "k1", "state": "paper_near_end"}, 1},
		{"talon_printer_state", map[string]string{"office": "a", "device": "k1", "state": "ok"}, 0},
		{"talon_board_up", map[string]string{"office": "a", "device": "d1", "window": "w2", "address": "3"}, 0},
		{"talon_board_up", map[string]string{"office": "a", "device": "d1", "window": "w1", "address": "2"}, 1},
		{"talon_pad_up", map[string]string{"office": "a", "window": "w3", "address": "5"}, 0},
		{"talon_pad_up", map[string]string{"office": "a", "window": "w4", "address": "6"}, 1},
		{"talon_device_alerts", map[string]string{"office": "a"}, 3},
		{"talon_device_connected", map[string]string{"office": "a", "device": "d1"}, 1},
		{"talon_device_connected", map[string]string{"office": "a", "device": "k1"}, 0},
		{"talon_stream_clients", map[string]string{"office": "a", "client": "display"}, 1},
		{"talon_stream_clients", map[string]string{"office": "a", "client": "hall"}, 1},
		{"talon_outbox_messages", map[string]string{"channel": "mkgu.rates", "state": "pending"}, 5},
		{"talon_outbox_messages", map[string]string{"channel": "mkgu.rates", "state": "dead"}, 1},
		{"talon_device_alerts", map[string]string{"office": "broken"}, 3}, // devices and windows still answer
	}
	for _, w := range want {
		got, ok := value(fams, w.name, w.labels)
		if !ok || got != w.v {
			t.Errorf("%s%v = %v (present %v), want %v", w.name, w.labels, got, ok, w.v)
		}
	}
	if _, ok := value(fams, "talon_device_connected", map[string]string{"device": "gone"}); ok {
		t.Error("a revoked device has a connection series")
	}
	if _, ok := value(fams, "talon_pad_up", map[string]string{"window": "w1"}); ok {
		t.Error("a window without a pad reported has a pad series")
	}
	if _, ok := value(fams, "talon_queue_waiting", map[string]string{"office": "broken"}); ok {
		t.Error("the broken office has queue series")
	}
}

func TestHandlerToken(t *testing.T) {
	m := newTestMetrics(t)
	for _, tc := range []struct {
		token, header string
		want          int
	}{
		{"", "", http.StatusOK},
		{"t0k", "", http.StatusUnauthorized},
		{"t0k", "Bearer nope", http.StatusUnauthorized},
		{"t0k", "Basic t0k", http.StatusUnauthorized},
		{"t0k", "Bearer t0k", http.StatusOK},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/metrics", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		m.Handler(tc.token).ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("token %q, header %q: %d, want %d", tc.token, tc.header, rec.Code, tc.want)
		}
	}
}

func TestObserveRequestLabels(t *testing.T) {
	m := New(nil)
	m.ObserveRequest("GET", "", 404, time.Millisecond)
	m.ObserveRequest("POST", "/api/v1/offices/{office}/tickets", 201, time.Millisecond)
	m.ObserveRequest("POST", "/api/v1/offices/{office}/tickets", 503, time.Millisecond)
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fams {
		if f.GetName() != "talon_http_request_duration_seconds" {
			continue
		}
		for _, s := range f.GetMetric() {
			var ls []string
			for _, l := range s.GetLabel() {
				ls = append(ls, l.GetValue())
			}
			got = append(got, strings.Join(ls, " "))
		}
	}
	want := "GET unmatched 4xx|POST /api/v1/offices/{office}/tickets 2xx|POST /api/v1/offices/{office}/tickets 5xx"
	if strings.Join(got, "|") != want {
		t.Errorf("series %q, want %q", strings.Join(got, "|"), want)
	}
}

// The sample dashboard asks only for metrics the server exports.
func TestDashboardUsesExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/grafana-talon.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("deploy/grafana-talon.json: %v", err)
	}
	m := newTestMetrics(t)
	m.ObserveRequest("GET", "/healthz", 200, time.Millisecond)
	fams, _ := m.reg.Gather()
	exported := map[string]bool{}
	for _, f := range fams {
		exported[f.GetName()] = true
	}
	name := regexp.MustCompile(`talon_[a-z_]+`)
	used := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				used++
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")
				if !exported[n] && !exported[base] {
					t.Errorf("panel %q asks for %s, which the server does not export", p.Title, n)
				}
			}
		}
	}
	if used < 10 {
		t.Errorf("the dashboard names only %d metrics", used)
	}
}
