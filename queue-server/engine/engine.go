// Package engine is the queue's brain: the in-memory state of every office
// and the rules that change it. Each mutating method checks everything first,
// then changes state and appends to a domain.Changes the records and events
// to commit, so a failed call leaves the state untouched. The engine does no
// I/O and reads time, ids and time zones through Config; the caller
// serialises writers and makes the changes durable.
package engine

import (
	"sort"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Config injects everything that would otherwise be I/O or global state.
type Config struct {
	Now     func() time.Time
	NewID   func() string // unique random ids for tickets and appointments
	NewCode func() string // appointment PINs, e.g. six digits
	// NewPairingCode makes device pairing codes (domain.PairingCodeFrom),
	// NewSecret the secrets of device credentials (at least 32 characters).
	NewPairingCode func() string
	NewSecret      func() string
	// NewStatusToken makes tickets' status tokens: at least 128 random
	// bits, for the public status page anyone holding the ticket may open.
	NewStatusToken func() string
	TZ             func(name string) (*time.Location, error)
	// MDM makes the ИС МДМ feed's outbox messages of an event
	// (integrations/mdm.Messages), committed with the event; nil while the
	// feed is off. Offices in sandbox or without an МДМ UID feed nothing.
	MDM func(o domain.Office, zone *time.Location, service func(id string) (domain.Service, bool), ev domain.Event) []domain.OutboxMessage
}

// Engine holds the state of all offices. It is not safe for concurrent use.
type Engine struct {
	cfg      Config
	offices  map[string]*office
	accounts map[string]*domain.Account
	// integrations are other systems' access, by id.
	integrations map[string]*domain.Integration
	settings     map[string]string
	// forms are the stored МКГУ rating forms, one of them current.
	forms []domain.RatingForm
	hooks webhooks
	// power is the server's power while a UPS is watched (SetPower).
	power *domain.PowerState
}

type office struct {
	info       domain.Office
	loc        *time.Location
	seq        uint64
	mdm        func(o domain.Office, zone *time.Location, service func(id string) (domain.Service, bool), ev domain.Event) []domain.OutboxMessage
	services   map[string]*domain.Service
	windows    map[string]*domain.Window
	operators  map[string]*domain.Operator
	devices    map[string]*domain.Device
	categories map[string]*domain.PriorityCategory
	sessions   map[string]*domain.WindowSession // by window id
	// announcements are the running line's texts of the hall boards.
	announcements map[string]*domain.Announcement

	tickets *ticketTable              // recent days and every active one
	live    map[string]*domain.Ticket // the not yet terminal ones, which routing scans
	// byService holds the live tickets of each service, for positions and
	// queue lengths, and liveIn the service each is filed under.
	byService map[string]map[string]*domain.Ticket
	liveIn    map[string]string
	counters  map[string]int // day+"/"+prefix → last number
	idem      idemKeys
	refusals  idemRefusals
	// otherRequests and names are what idem's entries name (idemEntry);
	// names is the packed tickets' dictionary too.
	otherRequests dayKeys[string]
	names         names
	appts         map[string]*domain.Appointment
	codes         map[string]string // code of a booked appointment → id
	// spent maps the code of a checked-in or cancelled booking to its id, so
	// a second check-in hears why, not "not found"; see spentAppointment.
	spent map[string]string
	// serviceTimes keeps recent service durations per service for the wait
	// estimate: from the call to the finish, the time the window is taken,
	// walk to the window included.
	serviceTimes map[string][]time.Duration
	// states are the devices' last hardware reports, by device id: live
	// facts, not stored, unknown after a restart until each reports again.
	states map[string]domain.DeviceState
	// pads are the windows' call-button pads as their operators' panels
	// last reported them, by window id: live like states, and dropped when
	// the window closes, as nobody reports them then.
	pads  map[string]domain.PadState
	swept string // the day memory was last trimmed on
	// rated holds the day of each rated ticket of recent days, by ticket id:
	// all a second rating needs to be refused. ratings keeps the whole
	// record only of those still holding a phone, which the purge rewrites
	// without it; a day of a large region rates a hundred thousand tickets,
	// and their records are the store's to keep.
	rated   map[string]string
	ratings map[string]*domain.RatingRecord
	// contacts are the phones left for the phone centre, by Contact.Key:
	// every one, until the purge removes it.
	contacts map[string]*domain.Contact
	// hooks and integrations are the engine's maps of webhook
	// subscriptions and of the integrations that hold them.
	hooks        webhooks
	integrations map[string]*domain.Integration
}

// recentServiceTimes is how many finished tickets the wait estimate averages.
const recentServiceTimes = 20

// New returns an empty engine.
func New(cfg Config) *Engine {
	return &Engine{cfg: cfg, offices: map[string]*office{}, accounts: map[string]*domain.Account{}, integrations: map[string]*domain.Integration{}, settings: map[string]string{}, hooks: webhooks{}}
}

// Load replaces the engine's state with one read from the store.
func Load(cfg Config, st domain.State) (*Engine, error) {
	e := New(cfg)
	for _, o := range st.Offices {
		if _, err := e.addOffice(o); err != nil {
			return nil, err
		}
	}
	for _, a := range st.Accounts {
		a := a
		e.accounts[a.Login] = &a
	}
	for _, in := range st.Integrations {
		in := in
		e.integrations[in.ID] = &in
	}
	for k, v := range st.Settings {
		e.settings[k] = v
	}
	for _, w := range st.Webhooks {
		w := w
		e.hooks[w.ID] = &w
	}
	get := func(id string) *office { return e.offices[id] }
	for _, s := range st.Services {
		if o := get(s.OfficeID); o != nil {
			s := s
			o.services[s.ID] = &s
		}
	}
	for _, w := range st.Windows {
		if o := get(w.OfficeID); o != nil {
			w := w
			o.windows[w.ID] = &w
		}
	}
	for _, op := range st.Operators {
		if o := get(op.OfficeID); o != nil {
			op := op
			o.operators[op.ID] = &op
		}
	}
	for _, d := range st.Devices {
		if o := get(d.OfficeID); o != nil {
			d := d
			o.devices[d.ID] = &d
		}
	}
	for _, c := range st.Categories {
		if o := get(c.OfficeID); o != nil {
			c := c
			o.categories[c.ID] = &c
		}
	}
	for _, x := range st.Announcements {
		if o := get(x.OfficeID); o != nil {
			x := x
			o.announcements[x.ID] = &x
		}
	}
	for _, c := range st.Contacts {
		if o := get(c.OfficeID); o != nil {
			c := c
			o.contacts[c.Key()] = &c
		}
	}
	for _, s := range st.Sessions {
		if o := get(s.OfficeID); o != nil {
			s := s
			o.sessions[s.WindowID] = &s
		}
	}
	served := recentSpans{}
	if err := each(st.Tickets, func(t domain.Ticket) error {
		if o := get(t.OfficeID); o != nil {
			o.putTicket(&t)
			for _, sp := range servedSpans(&t) {
				served.keep(sp)
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	// Recorded in the order they happened, as they were live, so the same
	// recent service times are kept.
	for _, spans := range served {
		sort.Slice(spans, func(i, j int) bool { return spans[i].end.Before(spans[j].end) })
		for _, sp := range spans {
			e.offices[sp.officeID].recordServiceTime(sp.serviceID, sp.end.Sub(sp.start))
		}
	}
	for _, a := range st.Appointments {
		if o := get(a.OfficeID); o != nil {
			a := a
			o.putAppointment(&a)
		}
	}
	for _, c := range st.Counters {
		if o := get(c.OfficeID); o != nil && c.Last > o.counters[c.Day+"/"+c.Prefix] {
			o.counters[c.Day+"/"+c.Prefix] = c.Last
		}
	}
	// Request keys and ratings name their tickets, so they come after them.
	if err := each(st.Idempotency, func(k domain.IdempotencyKey) error {
		if o := get(k.OfficeID); o != nil {
			if k.Request != "" {
				o.putAction(k.Day, k.Key, k.TicketID, k.Request)
			} else if t := o.tickets.brief(k.TicketID); t != nil {
				o.idem.put(k.Day, k.Key, o.issueEntry(k.TicketID, t.OriginalServiceID))
			} else {
				o.idem.put(k.Day, k.Key, o.issueEntry(k.TicketID, ""))
			}
			if k.Refusal != "" {
				o.refusals.put(k.Day, k.Key, k.Refusal)
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	e.forms = append(e.forms, st.RatingForms...)
	if err := each(st.Ratings, func(r domain.RatingRecord) error {
		if o := get(r.Rating.OfficeID); o != nil {
			o.rate(&r)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for id, seq := range st.OfficeSeq {
		if o := get(id); o != nil {
			o.seq = seq
		}
	}
	return e, nil
}

func (e *Engine) addOffice(info domain.Office) (*office, error) {
	loc, err := info.Location(e.cfg.TZ)
	if err != nil {
		return nil, err
	}
	o := e.offices[info.ID]
	if o == nil {
		o = &office{
			services: map[string]*domain.Service{}, windows: map[string]*domain.Window{},
			operators: map[string]*domain.Operator{}, devices: map[string]*domain.Device{},
			categories: map[string]*domain.PriorityCategory{}, sessions: map[string]*domain.WindowSession{},
			live:      map[string]*domain.Ticket{},
			byService: map[string]map[string]*domain.Ticket{}, liveIn: map[string]string{}, counters: map[string]int{},
			idem: idemKeys{}, refusals: idemRefusals{}, otherRequests: dayKeys[string]{}, names: newNames(), appts: map[string]*domain.Appointment{}, codes: map[string]string{}, spent: map[string]string{},
			serviceTimes: map[string][]time.Duration{}, states: map[string]domain.DeviceState{}, pads: map[string]domain.PadState{},
			announcements: map[string]*domain.Announcement{}, rated: map[string]string{}, ratings: map[string]*domain.RatingRecord{}, contacts: map[string]*domain.Contact{},
			hooks: e.hooks, integrations: e.integrations,
		}
		o.tickets = newTicketTable(&o.names)
		e.offices[info.ID] = o
	}
	o.info, o.loc, o.mdm = info, loc, e.cfg.MDM
	return o, nil
}

// Setting returns a stored server setting, e.g. the token secret.
func (e *Engine) Setting(key string) string { return e.settings[key] }

// PutSetting stores a server setting; an empty value removes it.
func (e *Engine) PutSetting(key, value string, ch *domain.Changes) {
	if value == "" {
		delete(e.settings, key)
	} else {
		e.settings[key] = value
	}
	if ch.Settings == nil {
		ch.Settings = map[string]string{}
	}
	ch.Settings[key] = value
}

// Account returns the account with the login, for password checks done
// outside the engine (bcrypt is too slow to run while holding the writer).
func (e *Engine) Account(login string) (domain.Account, bool) {
	a, ok := e.accounts[login]
	if !ok {
		return domain.Account{}, false
	}
	return *a, true
}

// HasAccounts reports whether anyone can log in at all.
func (e *Engine) HasAccounts() bool { return len(e.accounts) > 0 }

// ActorFor describes an account as the actor its requests act as.
func (e *Engine) ActorFor(a domain.Account) domain.Actor {
	return domain.Actor{Login: a.Login, Role: a.Role, OfficeID: a.OfficeID, OperatorID: a.OperatorID, Version: a.Version}
}

// Actors returns the actor of every account that may log in, by login, for
// token checks that must not wait for the writer. Accounts of the retired
// device role may not: devices pair instead.
func (e *Engine) Actors() map[string]domain.Actor {
	out := make(map[string]domain.Actor, len(e.accounts))
	for login, a := range e.accounts {
		if !a.Disabled && a.Role != domain.RoleDevice {
			out[login] = e.ActorFor(*a)
		}
	}
	return out
}

// officeAs authorizes the actor for p in the office and returns it.
func (e *Engine) officeAs(a domain.Actor, officeID string, p perm) (*office, error) {
	if err := authorize(a, officeID, p); err != nil {
		return nil, err
	}
	o, err := e.office(officeID)
	if err != nil {
		return nil, err
	}
	if a.Sandbox && !o.info.Sandbox {
		return nil, errSandbox(officeID)
	}
	return o, nil
}

func (e *Engine) office(id string) (*office, error) {
	o := e.offices[id]
	if o == nil {
		return nil, domain.Errorf(domain.CodeNotFound, "офис %q не найден", id)
	}
	return o, nil
}

// day is the office-local date of t, the unit of numbering and statistics.
func (o *office) day(t time.Time) string { return t.In(o.loc).Format(time.DateOnly) }

func (o *office) putTicket(t *domain.Ticket) {
	o.tickets.put(t)
	o.track(t)
}

// serving returns the ticket a window's session is at work on: its current
// ticket while that is not terminal. Live tickets are held unpacked, so
// routing and estimates ask this many times a second at the cost of a map
// lookup, where a finished current ticket would be unpacked to be refused.
func (o *office) serving(s *domain.WindowSession) *domain.Ticket { return o.live[s.CurrentTicketID] }

// track keeps the live indexes in step with a ticket's status and service.
func (o *office) track(t *domain.Ticket) {
	if was, ok := o.liveIn[t.ID]; ok && (was != t.ServiceID || t.Status.Terminal()) {
		delete(o.byService[was], t.ID)
		delete(o.liveIn, t.ID)
	}
	if t.Status.Terminal() {
		delete(o.live, t.ID)
		return
	}
	o.live[t.ID] = t
	if o.byService[t.ServiceID] == nil {
		o.byService[t.ServiceID] = map[string]*domain.Ticket{}
	}
	o.byService[t.ServiceID][t.ID] = t
	o.liveIn[t.ID] = t.ServiceID
}

func (o *office) putAppointment(a *domain.Appointment) {
	o.appts[a.ID] = a
	if a.Status == domain.AppointmentBooked {
		o.codes[a.Code] = a.ID
		return
	}
	if o.codes[a.Code] == a.ID {
		delete(o.codes, a.Code)
	}
	o.spent[a.Code] = a.ID
}

// servedSpan is one service given to a ticket, from its history.
type servedSpan struct {
	officeID, serviceID string
	start, end          time.Time
}

// servedSpans replays a ticket's history the way finish records service
// times: from the call to the finish, for the service being given then.
func servedSpans(t *domain.Ticket) []servedSpan {
	var out []servedSpan
	var from *domain.Step
	for i := range t.History {
		st := &t.History[i]
		switch st.Action {
		case domain.ActionCall:
			from = st
		case domain.ActionFinish:
			if from != nil {
				out = append(out, servedSpan{officeID: t.OfficeID, serviceID: from.ServiceID, start: from.At, end: st.At})
			}
			from = nil
		case domain.ActionRecall, domain.ActionStart:
		default:
			from = nil
		}
	}
	return out
}

// recentSpans keeps, per office and service, the recentServiceTimes spans
// that ended last: all of a day's that recordServiceTime would keep, without
// holding every ticket's.
type recentSpans map[[2]string][]servedSpan

func (r recentSpans) keep(sp servedSpan) {
	if sp.end.Before(sp.start) {
		return // recordServiceTime skips it; it must not push out one it keeps
	}
	k := [2]string{sp.officeID, sp.serviceID}
	spans := r[k]
	if len(spans) < recentServiceTimes {
		r[k] = append(spans, sp)
		return
	}
	oldest := 0
	for i := range spans {
		if spans[i].end.Before(spans[oldest].end) {
			oldest = i
		}
	}
	if spans[oldest].end.Before(sp.end) {
		spans[oldest] = sp
	}
}

// each walks records that may be absent, as in a state built by hand.
func each[T any](records domain.Each[T], fn func(T) error) error {
	if records == nil {
		return nil
	}
	return records(fn)
}

func (o *office) recordServiceTime(serviceID string, d time.Duration) {
	if d < 0 {
		return
	}
	ts := append(o.serviceTimes[serviceID], d)
	if len(ts) > recentServiceTimes {
		ts = ts[len(ts)-recentServiceTimes:]
	}
	o.serviceTimes[serviceID] = ts
}

// emit appends an event with the office's next sequence number, and the
// messages it makes for the feeds that are on and the webhook subscriptions,
// so that they are committed with it: a feed gets an event if and only if it
// happened.
func (o *office) emit(ch *domain.Changes, a domain.Actor, ev domain.Event) {
	o.seq++
	ev.Seq, ev.OfficeID, ev.Actor, ev.Role = o.seq, o.info.ID, a.Login, a.Role
	ch.Events = append(ch.Events, ev)
	o.deliver(ch, ev)
	if o.mdm != nil && o.info.MDMUID != "" && !o.info.Sandbox {
		ch.Outbox = append(ch.Outbox, o.mdm(o.info, o.loc, o.service, ev)...)
	}
}

// serviceName is the name of a service of the catalogue, "" for one gone.
func (o *office) serviceName(id string) string {
	if s := o.services[id]; s != nil {
		return s.Name
	}
	return ""
}

// service finds a service of the catalogue, as a copy.
func (o *office) service(id string) (domain.Service, bool) {
	s := o.services[id]
	if s == nil {
		return domain.Service{}, false
	}
	return *s, true
}

// ticketEvent records a ticket change: the record, a history step and the event.
func (o *office) ticketEvent(ch *domain.Changes, a domain.Actor, t *domain.Ticket, typ domain.EventType, act domain.Action, now time.Time) {
	o.track(t)
	var from domain.Step
	if n := len(t.History); n > 0 {
		from = t.History[n-1]
	}
	t.History = append(t.History, domain.Step{At: now, Action: act, Status: t.Status, By: a.Login, WindowID: t.WindowID, OperatorID: t.OperatorID, ServiceID: t.ServiceID})
	ch.Tickets = append(ch.Tickets, *t)
	o.tickets.put(t)
	snap := *t
	snap.History = nil // the events are the history; the ticket record keeps it whole
	o.emit(ch, a, domain.Event{Type: typ, At: now, WindowID: t.WindowID, OperatorID: t.OperatorID, TicketID: t.ID, ServiceID: t.ServiceID,
		FromStatus: from.Status, FromServiceID: from.ServiceID, Ticket: &snap})
}

// sessionEvent records a session change; endedPause is when the break this
// change ends began (resume, or a close during a break), nil otherwise.
func (o *office) sessionEvent(ch *domain.Changes, a domain.Actor, s *domain.WindowSession, typ domain.EventType, endedPause *time.Time, now time.Time) {
	ch.Sessions = append(ch.Sessions, *s)
	snap := *s
	snap.EndedPauseFrom = endedPause
	if typ == domain.EventWindowClosed {
		delete(o.pads, s.WindowID)
	}
	o.emit(ch, a, domain.Event{Type: typ, At: now, WindowID: s.WindowID, OperatorID: s.OperatorID, Session: &snap})
}

func ptr(t time.Time) *time.Time { return &t }

// sortedValues returns map values ordered by less, for stable listings.
func sortedValues[T any](m map[string]*T, less func(a, b *T) bool) []T {
	vs := make([]*T, 0, len(m))
	for _, v := range m {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return less(vs[i], vs[j]) })
	out := make([]T, len(vs))
	for i, v := range vs {
		out[i] = *v
	}
	return out
}
