package metrics

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/outbox"
	"github.com/talonqueue/talon/queue-server/push"
)

// Offices is what the State collector asks the engine (the queue service).
// It asks as domain.System, who sees every office.
type Offices interface {
	ListOffices(ctx context.Context) ([]domain.Office, error)
	GetLiveLoad(ctx context.Context, officeID string) (domain.LiveLoad, error)
	ListDevices(ctx context.Context, officeID string) ([]domain.Device, error)
	ListWindows(ctx context.Context, officeID string) ([]domain.WindowState, error)
}

// State names the sources read at each scrape.
type State struct {
	Offices Offices
	// Streams lists the open streams (push.Hub.Subscribers); nil: none.
	Streams func() []push.Subscriber
	// Outbox counts the outbox's backlog (outbox.Outbox.Backlog); nil: none.
	Outbox func(ctx context.Context) ([]outbox.Backlog, error)
	// Timeout bounds one scrape's reads; 10 s when 0.
	Timeout time.Duration
}

// Watch adds the offices' state to the registry.
func (m *Metrics) Watch(s State) {
	if s.Timeout <= 0 {
		s.Timeout = 10 * time.Second
	}
	m.reg.MustRegister(newStateCollector(s))
}

type stateCollector struct {
	src State

	waiting, waitMean, waitLongest, waitEstimate, available *prometheus.Desc
	tickets, issued, calledByNorm, windows                  *prometheus.Desc
	printer, board, pad, connected, alerts, streams         *prometheus.Desc
	outboxMessages                                          *prometheus.Desc
}

func newStateCollector(s State) *stateCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &stateCollector{
		src:          s,
		waiting:      d("talon_queue_waiting", "Tickets waiting in the service's live queue now (appointments not yet due and postponed tickets left out).", "office", "service"),
		waitMean:     d("talon_queue_wait_mean_seconds", "Mean wait so far of the service's tickets still waiting; 0 with none.", "office", "service"),
		waitLongest:  d("talon_queue_wait_longest_seconds", "Longest wait so far of the service's tickets still waiting; 0 with none.", "office", "service"),
		waitEstimate: d("talon_queue_estimated_wait_seconds", "Wait the kiosk would print on a ticket of the service issued now.", "office", "service"),
		available:    d("talon_service_available", "1 if the kiosk offers the service now, 0 if not (outside hours, no window open for it, today's tickets over).", "office", "service"),
		tickets:      d("talon_tickets_today", "Today's tickets by where they stand now: waiting, postponed, in_service (called or serving), done.", "office", "status"),
		issued:       d("talon_tickets_issued_today", "Tickets issued today.", "office"),
		calledByNorm: d("talon_tickets_called_today", "Today's called tickets whose wait was within or over their service's norm.", "office", "norm"),
		windows:      d("talon_windows", "Windows by state: open (an operator in, nobody at the window), serving, paused (on a break), closed.", "office", "state"),
		printer:      d("talon_printer_state", "1 for the state a kiosk's printer last reported (ok, paper_near_end, paper_out, cover_open, offline, error), 0 for the others; absent until it reports after a server start.", "office", "device", "state"),
		board:        d("talon_board_up", "1 if a window's LED board answers its hall display, 0 if not, as the display last reported.", "office", "device", "window", "address"),
		pad:          d("talon_pad_up", "1 if a window's call-button pad answers its operator panel, 0 if not, as the panel last reported; only while the window is open.", "office", "window", "address"),
		connected:    d("talon_device_connected", "1 if a paired device has its live stream open now, 0 if not.", "office", "device", "kind"),
		alerts:       d("talon_device_alerts", "Hardware needing a person now, as the office page shows them: printers not ok, boards and pads not answering (terminals not connected are talon_device_connected).", "office"),
		streams:      d("talon_stream_clients", "Open live streams by who listens: a device kind (kiosk, display, rating, panel) or a staff role.", "office", "client"),
		outboxMessages: d("talon_outbox_messages", "Messages to other systems (МКГУ packets) waiting for delivery (pending) or refused for good (dead).",
			"channel", "state"),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.waiting, c.waitMean, c.waitLongest, c.waitEstimate, c.available, c.tickets, c.issued,
		c.calledByNorm, c.windows, c.printer, c.board, c.pad, c.connected, c.alerts, c.streams, c.outboxMessages} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(domain.WithActor(context.Background(), domain.System), c.src.Timeout)
	defer cancel()
	var subs []push.Subscriber
	if c.src.Streams != nil {
		subs = c.src.Streams()
	}
	offices, err := c.src.Offices.ListOffices(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.waiting, fmt.Errorf("list offices: %w", err))
	}
	for _, o := range offices {
		c.collectLoad(ctx, ch, o.ID)
		c.collectDevices(ctx, ch, o.ID, subs)
	}
	streams := map[[2]string]int{}
	for _, s := range subs {
		streams[[2]string{s.OfficeID, listener(s.Actor)}]++
	}
	for k, n := range streams {
		ch <- gauge(c.streams, n, k[0], k[1])
	}
	if c.src.Outbox != nil {
		backlog, err := c.src.Outbox(ctx)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(c.outboxMessages, fmt.Errorf("outbox backlog: %w", err))
		}
		for _, b := range backlog {
			ch <- gauge(c.outboxMessages, b.Pending, b.Channel, outbox.StatePending)
			ch <- gauge(c.outboxMessages, b.Dead, b.Channel, outbox.StateDead)
		}
	}
}

// listener names who holds a stream: the device's kind, or the person's role.
func listener(a domain.Actor) string {
	if a.DeviceKind != "" {
		return string(a.DeviceKind)
	}
	return string(a.Role)
}

func gauge(d *prometheus.Desc, v int, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
}

func (c *stateCollector) collectLoad(ctx context.Context, ch chan<- prometheus.Metric, office string) {
	l, err := c.src.Offices.GetLiveLoad(ctx, office)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.waiting, fmt.Errorf("live load of %s: %w", office, err))
		return
	}
	for _, s := range l.Services {
		ch <- gauge(c.waiting, s.Waiting, office, s.ServiceID)
		ch <- gauge(c.waitMean, s.AvgWaitSeconds, office, s.ServiceID)
		ch <- gauge(c.waitLongest, s.MaxWaitSeconds, office, s.ServiceID)
		ch <- gauge(c.waitEstimate, s.EstimatedWaitSeconds, office, s.ServiceID)
		ch <- gauge(c.available, b2i(s.Available), office, s.ServiceID)
	}
	for status, n := range map[string]int{"waiting": l.TicketsWaiting, "postponed": l.TicketsPostponed, "in_service": l.TicketsInService, "done": l.TicketsDone} {
		ch <- gauge(c.tickets, n, office, status)
	}
	ch <- gauge(c.issued, l.TicketsTotal, office)
	ch <- gauge(c.calledByNorm, l.WithinNorm, office, "within")
	ch <- gauge(c.calledByNorm, l.OverNorm, office, "over")
	// The load counts serving windows among the active (open) ones; the
	// states here split the windows so that they add up to the total.
	for state, n := range map[string]int{
		"open": l.WindowsActive - l.WindowsServing, "serving": l.WindowsServing, "paused": l.WindowsStopped,
		"closed": l.WindowsTotal - l.WindowsActive - l.WindowsStopped,
	} {
		ch <- gauge(c.windows, n, office, state)
	}
}

func (c *stateCollector) collectDevices(ctx context.Context, ch chan<- prometheus.Metric, office string, subs []push.Subscriber) {
	devices, err := c.src.Offices.ListDevices(ctx, office)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.connected, fmt.Errorf("devices of %s: %w", office, err))
		return
	}
	online := map[string]bool{}
	for _, s := range subs {
		if s.OfficeID == office && s.Actor.DeviceID != "" {
			online[s.Actor.DeviceID] = true
		}
	}
	alerts := 0
	for _, d := range devices {
		if d.PairedAt != nil && d.RevokedAt == nil {
			ch <- gauge(c.connected, b2i(online[d.ID]), office, d.ID, string(d.Kind))
		}
		st := d.State
		if st == nil {
			continue
		}
		if st.Printer != "" {
			for _, p := range domain.PrinterStates {
				ch <- gauge(c.printer, b2i(p == st.Printer), office, d.ID, string(p))
			}
			if st.Printer != domain.PrinterOK {
				alerts++
			}
		}
		for _, b := range st.Boards {
			ch <- gauge(c.board, b2i(b.OK), office, d.ID, b.WindowID, strconv.Itoa(b.Address))
			if !b.OK {
				alerts++
			}
		}
	}
	alerts += c.collectPads(ctx, ch, office)
	ch <- gauge(c.alerts, alerts, office)
}

// collectPads reports the windows' call-button pads and returns how many
// do not answer.
func (c *stateCollector) collectPads(ctx context.Context, ch chan<- prometheus.Metric, office string) int {
	windows, err := c.src.Offices.ListWindows(ctx, office)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.pad, fmt.Errorf("windows of %s: %w", office, err))
		return 0
	}
	silent := 0
	for _, w := range windows {
		if p := w.Pad; p != nil {
			ch <- gauge(c.pad, b2i(p.OK), office, w.Window.ID, strconv.Itoa(p.Address))
			if !p.OK {
				silent++
			}
		}
	}
	return silent
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
