package region

import (
	"cmp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// liveCalls is how many of an office's latest calls the dashboard shows.
const liveCalls = 10

// OfficeLive is an office as the regional dashboard shows it now: how far
// the region has its events and whether its link answers, its queue and
// windows at this moment, and its day so far. Figures of today are of the
// office-local Day; they follow the statistics' rules (issued and served
// under the day they happen, waits at a ticket's first call under the day
// it was issued), so they equal /region/stats for that day.
type OfficeLive struct {
	ID string `json:"id"`
	// Name is the office's name from its catalogue (region join, region
	// config set); empty when the region has none.
	Name     string `json:"name,omitempty"`
	TimeZone string `json:"time_zone"`
	Day      string `json:"day"`

	AppliedSeq  uint64     `json:"applied_seq"`
	LastEventAt *time.Time `json:"last_event_at,omitempty"`
	Link        LinkState  `json:"link"`

	Waiting int `json:"waiting"`
	// OldestWaitingSince is when the longest-waiting ticket entered its
	// queue: the page counts its wait on from there.
	OldestWaitingSince *time.Time `json:"oldest_waiting_since,omitempty"`
	Called             int        `json:"called"`
	Serving            int        `json:"serving"`
	Postponed          int        `json:"postponed"`
	WindowsOpen        int        `json:"windows_open"`
	WindowsPaused      int        `json:"windows_paused"`

	Issued          int     `json:"issued"`
	Served          int     `json:"served"`
	NoShow          int     `json:"no_show"`
	Waited          int     `json:"waited"`
	WaitMeanSeconds float64 `json:"wait_mean_seconds"`
	WaitMaxSeconds  int64   `json:"wait_max_seconds"`

	// Calls are the latest calls, newest first.
	Calls []LiveCall `json:"calls"`
}

// LiveCall is one call of a ticket to a window.
type LiveCall struct {
	At       time.Time `json:"at"`
	TicketID string    `json:"ticket_id"`
	Number   string    `json:"number"`
	// Window is the window's number, or its id while no call told it.
	Window    string `json:"window"`
	ServiceID string `json:"service_id"`
	Recall    bool   `json:"recall,omitempty"`
}

// LinkState is what the region last learned of an office's own stream:
// whether its domain answered across the leaf link, its last event, and
// how many of its events the region has not applied yet.
type LinkState struct {
	Checked   bool   `json:"checked"`
	Linked    bool   `json:"linked"`
	StreamSeq uint64 `json:"stream_seq"`
	Behind    uint64 `json:"behind"`
	// LastLinkedAt is when its domain last answered (as of the last
	// change of the link: a page shows it while the link is down).
	LastLinkedAt *time.Time `json:"last_linked_at,omitempty"`
}

// openTicket is a ticket not yet finished, as the live figures need it.
type openTicket struct {
	status   domain.Status
	day      string
	queuedAt time.Time
}

// officeFold is an office's live state, folded from its events in order.
type officeFold struct {
	id      string
	name    string
	zone    *time.Location
	lastSeq uint64
	lastAt  time.Time
	open    map[string]openTicket
	windows map[string]domain.WindowStatus
	numbers map[string]int // window id -> number, as calls tell it
	// The day's counters; day is the office-local day they are of.
	day                    string
	issued, served, noShow int
	waited                 int
	waitSum, waitMax       int64
	calls                  []LiveCall // oldest first, at most liveCalls
	link                   LinkState
}

func newOfficeFold(id string, zone *time.Location) *officeFold {
	return &officeFold{id: id, zone: zone, open: map[string]openTicket{}, windows: map[string]domain.WindowStatus{}, numbers: map[string]int{}}
}

func (f *officeFold) dayOf(t time.Time) string { return t.In(f.zone).Format(time.DateOnly) }

// ticketDay is the office-local day a ticket was issued.
func (f *officeFold) ticketDay(t *domain.Ticket) string {
	if t.Day != "" {
		return t.Day
	}
	return f.dayOf(t.CreatedAt)
}

// roll makes day the counters' day if it is later; it reports whether
// what happens on day counts (an event of an earlier day, arriving late,
// belongs to a day the dashboard no longer shows).
func (f *officeFold) roll(day string) bool {
	if day > f.day {
		f.day = day
		f.issued, f.served, f.noShow, f.waited, f.waitSum, f.waitMax = 0, 0, 0, 0, 0, 0
	}
	return day == f.day
}

// apply folds one event; it reports false for an event already folded.
func (f *officeFold) apply(e domain.Event) bool {
	if e.Seq <= f.lastSeq {
		return false
	}
	f.lastSeq, f.lastAt = e.Seq, e.At
	if s := e.Session; s != nil {
		f.windows[s.WindowID] = s.Status
	}
	t := e.Ticket
	if t == nil {
		return true
	}
	if t.WindowID != "" && t.WindowNumber > 0 {
		f.numbers[t.WindowID] = t.WindowNumber
	}
	if t.Status.Terminal() {
		delete(f.open, t.ID)
	} else {
		f.open[t.ID] = openTicket{status: t.Status, day: f.ticketDay(t), queuedAt: t.QueuedAt}
	}
	counts := f.roll(f.dayOf(e.At))
	switch e.Type {
	case domain.EventTicketIssued:
		if counts {
			f.issued++
		}
	case domain.EventTicketFinished, domain.EventTicketReturnedToOrigin:
		if counts {
			f.served++
		}
	case domain.EventTicketNoShow:
		if counts {
			f.noShow++
		}
	case domain.EventTicketCalled, domain.EventTicketRecalled:
		// A wait counts once, at the first call, under the day of issue.
		if e.Type == domain.EventTicketCalled && t.FirstCalledAt != nil && t.FirstCalledAt.Equal(e.At) && f.roll(f.ticketDay(t)) {
			w := int64(max(t.WaitSeconds, 0))
			f.waited++
			f.waitSum += w
			f.waitMax = max(f.waitMax, w)
		}
		window := t.WindowID
		if n := f.numbers[t.WindowID]; n > 0 {
			window = strconv.Itoa(n)
		}
		f.calls = append(f.calls, LiveCall{At: e.At, TicketID: t.ID, Number: t.Number, Window: window, ServiceID: t.ServiceID, Recall: e.Type == domain.EventTicketRecalled})
		if len(f.calls) > liveCalls {
			f.calls = slices.Delete(f.calls, 0, len(f.calls)-liveCalls)
		}
	}
	return true
}

// view is the office at now.
func (f *officeFold) view(now time.Time) OfficeLive {
	today := f.dayOf(now)
	v := OfficeLive{ID: f.id, Name: f.name, TimeZone: f.zone.String(), Day: today, AppliedSeq: f.lastSeq, Link: f.link}
	if !f.lastAt.IsZero() {
		at := f.lastAt
		v.LastEventAt = &at
	}
	if v.Link.StreamSeq > f.lastSeq {
		v.Link.Behind = v.Link.StreamSeq - f.lastSeq
	}
	for _, t := range f.open {
		if t.day != today {
			continue // left from an earlier day: the office's day change closes it
		}
		switch t.status {
		case domain.StatusWaiting:
			v.Waiting++
			if v.OldestWaitingSince == nil || t.queuedAt.Before(*v.OldestWaitingSince) {
				q := t.queuedAt
				v.OldestWaitingSince = &q
			}
		case domain.StatusCalled:
			v.Called++
		case domain.StatusServing:
			v.Serving++
		case domain.StatusPostponed:
			v.Postponed++
		}
	}
	for _, st := range f.windows {
		switch st {
		case domain.WindowOpen:
			v.WindowsOpen++
		case domain.WindowPaused:
			v.WindowsPaused++
		}
	}
	if f.day == today {
		v.Issued, v.Served, v.NoShow, v.Waited, v.WaitMaxSeconds = f.issued, f.served, f.noShow, f.waited, f.waitMax
		if f.waited > 0 {
			v.WaitMeanSeconds = float64(f.waitSum) / float64(f.waited)
		}
	}
	v.Calls = make([]LiveCall, 0, len(f.calls))
	for i := len(f.calls) - 1; i >= 0; i-- {
		v.Calls = append(v.Calls, f.calls[i])
	}
	return v
}

// Live is the regional dashboard's state: every office's live figures,
// folded from the events the regional server applies (Regional.OnApplied)
// after each committed batch, rebuilt at start from the regional stream
// (Rebuild), and pushed to the dashboard's WebSocket clients as they
// change.
type Live struct {
	reg *Regional
	now func() time.Time

	// mu orders every change and its push: a client registered under it
	// gets a snapshot and then exactly the changes after it.
	mu      sync.Mutex
	offices map[string]*officeFold
	ready   bool
	hub     liveHub
}

// NewLive makes the dashboard's state of reg's offices; it shows nothing
// until Rebuild has run.
func NewLive(reg *Regional) *Live {
	l := &Live{reg: reg, now: time.Now, offices: map[string]*officeFold{}}
	l.hub.init()
	return l
}

// office is the fold of id, made on first sight; nil while the office's
// time zone is unknown, and for a test office. Called with l.mu held.
func (l *Live) office(id string) *officeFold {
	f, ok := l.offices[id]
	if !ok {
		zone := l.reg.counted(id)
		if zone == nil {
			return nil
		}
		f = newOfficeFold(id, zone)
		l.offices[id] = f
	}
	f.name = l.reg.officeName(id) // a new configuration may rename it
	return f
}

// Apply folds events the regional server has committed, in each office's
// order, and pushes the offices they changed.
func (l *Live) Apply(events []domain.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var changed []*officeFold
	for _, e := range events {
		f := l.office(e.OfficeID)
		if f == nil || !f.apply(e) {
			continue
		}
		if !slices.Contains(changed, f) {
			changed = append(changed, f)
		}
	}
	if !l.ready {
		return // the rebuild's snapshot will carry them
	}
	now := l.now()
	for _, f := range changed {
		l.hub.office(f.view(now))
	}
}

// Snapshot is every office now, in id order; ready is false until the
// live state has been rebuilt.
func (l *Live) Snapshot() (offices []OfficeLive, ready bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.snapshot(), l.ready
}

func (l *Live) snapshot() []OfficeLive {
	now := l.now()
	out := make([]OfficeLive, 0, len(l.offices))
	for _, f := range l.offices {
		out = append(out, f.view(now))
	}
	slices.SortFunc(out, func(a, b OfficeLive) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
