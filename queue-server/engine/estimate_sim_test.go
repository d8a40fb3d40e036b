package engine

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The estimate simulation drives the real engine through office days with a
// simulated clock: applicants arrive at random, operators open windows, take
// breaks, call, serve, postpone, redirect and miss no-shows, and every
// ticket's estimate at issue is set against the wait it really had. The seed
// is fixed, so the figures only move when the engine does.

// simSeed is the one seed every scenario starts from.
const simSeed = 20261124

// simService is a service of the simulated office and how long it takes.
type simService struct {
	id, prefix string
	meanMin    float64 // mean service time, minutes
	sigma      float64 // spread of the lognormal service time
	share      float64 // of the live arrivals
	slot       int     // appointment slot minutes, 0: no booking
}

var simServices = []simService{
	{"passport", "А", 15, 0.4, 0.25, 20},
	{"realty", "Г", 20, 0.5, 0.15, 30},
	{"results", "П", 5, 0.5, 0.30, 0},
	{"benefits", "Е", 12, 0.5, 0.20, 0},
	{"consult", "К", 8, 0.7, 0.10, 0},
}

// simWindow is a window and the operator who works there for the day.
type simWindow struct {
	skills []domain.Skill // the window serves exactly these services
	open   int            // minute of the day the operator logs in
	speed  float64        // service time multiplier, 0 means 1
	breaks [][2]int       // start minute and length in minutes
}

// simScenario is an office day.
type simScenario struct {
	name         string
	windows      []simWindow
	rate         func(minute int) float64 // live arrivals an hour at a minute of the day
	appointments int                      // bookings a day
}

func skills(kv ...any) []domain.Skill {
	var out []domain.Skill
	for i := 0; i < len(kv); i += 2 {
		out = append(out, domain.Skill{ServiceID: kv[i].(string), Weight: kv[i+1].(int)})
	}
	return out
}

const (
	simOpen      = 9 * 60       // office opens
	simLastIssue = 18*60 + 30   // the last live arrival
	simClose     = 19 * 60      // office closes
	simGiveUp    = 23*60 + 30   // the day is cut here whatever is left
	simShort     = 15           // a short break, minutes
	simLunch     = 45           // lunch, minutes
	simDayOne    = "2026-11-23" // a Monday: the warm-up day
	simDayCount  = 2            // days run; the last one is measured
)

// sixWindows is a demo-like office: six windows with overlapping skills.
func sixWindows() []simWindow {
	return []simWindow{
		{skills: skills("passport", 3, "results", 1), open: simOpen},
		{skills: skills("passport", 1, "results", 2, "benefits", 1), open: simOpen},
		{skills: skills("realty", 3, "consult", 1), open: simOpen},
		{skills: skills("realty", 1, "results", 1, "consult", 2), open: simOpen},
		{skills: skills("benefits", 2, "consult", 1), open: simOpen},
		{skills: skills("results", 2, "benefits", 1, "passport", 1), open: simOpen},
	}
}

func flat(perHour float64) func(int) float64 { return func(int) float64 { return perHour } }

// simScenarios are the days the estimator is judged on.
func simScenarios() []simScenario {
	withBreaks := sixWindows()
	for i := range withBreaks {
		withBreaks[i].breaks = [][2]int{{10*60 + 30 + 20*i, simShort}, {13*60 + 15*i, simLunch}, {16*60 + 20*i, simShort}}
	}
	withBreaks[2].open = 11 * 60 // one operator comes late
	withBreaks[5].speed = 1.3    // and one is slow
	return []simScenario{
		{name: "steady", windows: sixWindows(), rate: flat(24), appointments: 12},
		{name: "morning_rush", windows: sixWindows(), rate: func(m int) float64 {
			if m < 11*60 {
				return 45
			}
			return 16
		}, appointments: 12},
		{name: "few_windows", windows: []simWindow{
			{skills: skills("passport", 2, "results", 1), open: simOpen},
			{skills: skills("realty", 2, "consult", 1, "benefits", 1), open: simOpen},
			{skills: skills("results", 2, "benefits", 2, "passport", 1, "consult", 1), open: simOpen},
		}, rate: flat(10), appointments: 4},
		{name: "breaks", windows: withBreaks, rate: flat(18), appointments: 12},
	}
}

// accuracy sums the errors of estimates, in seconds.
type accuracy struct {
	n, within         int
	abs, signed, wait float64
}

// within5 is the tolerance the issue asks about: ±5 minutes.
const within5 = 5 * 60

func (a *accuracy) add(estimate, wait int) {
	d := float64(estimate - wait)
	a.n++
	a.abs += math.Abs(d)
	a.signed += d
	a.wait += float64(wait)
	if math.Abs(d) <= within5 {
		a.within++
	}
}

func (a *accuracy) merge(b accuracy) {
	a.n, a.within, a.abs, a.signed, a.wait = a.n+b.n, a.within+b.within, a.abs+b.abs, a.signed+b.signed, a.wait+b.wait
}

func (a accuracy) mae() float64 { return a.abs / math.Max(1, float64(a.n)) }

func (a accuracy) bias() float64 { return a.signed / math.Max(1, float64(a.n)) }

func (a accuracy) meanWait() float64 { return a.wait / math.Max(1, float64(a.n)) }

func (a accuracy) withinPct() float64 { return 100 * float64(a.within) / math.Max(1, float64(a.n)) }

func (a accuracy) String() string {
	return fmt.Sprintf("n=%4d  MAE %5.0f s  within ±5 min %5.1f %%  bias %+6.0f s  mean wait %5.0f s", a.n, a.mae(), a.withinPct(), a.bias(), a.meanWait())
}

// simRecord is one ticket of the measured day.
type simRecord struct {
	number, service string
	kind            string // live, priority or appointment
	hour            int
	estimate        int // seconds, printed at issue
	naive           int // seconds, the plain formula at issue, for comparison
	wait            int // seconds, from issue (or the appointment time) to the first call
	called          bool
}

// simResult is what a scenario measured.
type simResult struct {
	records []*simRecord
}

// accuracyBy groups the called tickets' accuracy by key ("" for all).
func (r simResult) accuracyBy(key func(*simRecord) string, naive bool) map[string]*accuracy {
	out := map[string]*accuracy{}
	for _, rec := range r.records {
		if !rec.called {
			continue
		}
		k := key(rec)
		if out[k] == nil {
			out[k] = &accuracy{}
		}
		est := rec.estimate
		if naive {
			est = rec.naive
		}
		out[k].add(est, rec.wait)
	}
	return out
}

func (r simResult) overall(naive bool) accuracy {
	a := r.accuracyBy(func(*simRecord) string { return "" }, naive)[""]
	if a == nil {
		return accuracy{}
	}
	return *a
}

// table prints the accuracy overall, by service and by hour of issue.
func (r simResult) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  all       %v\n", r.overall(false))
	fmt.Fprintf(&b, "  naive     %v\n", r.overall(true))
	for _, by := range []struct {
		name string
		key  func(*simRecord) string
	}{
		{"kind", func(rec *simRecord) string { return rec.kind }},
		{"service", func(rec *simRecord) string { return rec.service }},
		{"hour", func(rec *simRecord) string { return fmt.Sprintf("%02d:00", rec.hour) }},
	} {
		groups := r.accuracyBy(by.key, false)
		keys := make([]string, 0, len(groups))
		for k := range groups {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "  %-9s %v\n", k, *groups[k])
		}
	}
	return b.String()
}

// simEvent is something that happens at a moment of the simulated day.
type simEvent struct {
	at  time.Time
	seq int
	do  func()
}

type simQueue []*simEvent

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(*simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// simWin is a window's state during the day.
type simWin struct {
	id       string
	cfg      simWindow
	op       domain.Actor
	open     bool
	paused   bool
	ticket   string // the ticket at the window
	breakDue int    // minutes of a break waiting for the ticket to finish
}

type sim struct {
	sc          simScenario
	rng         *rand.Rand
	e           *Engine
	now         time.Time
	ids         int
	seq         int
	events      simQueue
	kiosk, hall domain.Actor
	wins        []*simWin
	recs        map[string]*simRecord
	measured    bool // the measured day is running
	err         error
}

// runSim runs a scenario's days and returns the last day's records.
func runSim(sc simScenario) (simResult, error) {
	s := &sim{sc: sc, rng: rand.New(rand.NewPCG(simSeed, uint64(len(sc.name)))), recs: map[string]*simRecord{}}
	s.now = time.Date(2026, 11, 23, 7, 0, 0, 0, moscow)
	s.e = New(Config{
		Now:            func() time.Time { return s.now },
		NewID:          func() string { s.ids++; return fmt.Sprintf("id%d", s.ids) },
		NewCode:        func() string { s.ids++; return fmt.Sprintf("%06d", 100000+s.ids) },
		TZ:             func(string) (*time.Location, error) { return moscow, nil },
		NewStatusToken: func() string { s.ids++; return fmt.Sprintf("token%032d", s.ids) },
	})
	if err := s.setUp(); err != nil {
		return simResult{}, err
	}
	for day := range simDayCount {
		s.measured = day == simDayCount-1
		s.now = time.Date(2026, 11, 23+day, 7, 0, 0, 0, moscow)
		s.runDay()
		if s.err != nil {
			return simResult{}, s.err
		}
	}
	res := simResult{}
	for _, r := range s.recs {
		res.records = append(res.records, r)
	}
	sort.Slice(res.records, func(i, j int) bool { return res.records[i].number < res.records[j].number })
	return res, nil
}

func (s *sim) setUp() error {
	sys := domain.System
	var ch domain.Changes
	open := domain.DayHours{Open: "09:00", Close: "19:00"}
	if _, err := s.e.PutOffice(sys, domain.Office{ID: "o1", Name: "Офис", TimeZone: "Europe/Moscow", DefaultServiceMinutes: 10,
		Hours: domain.Week{{}, open, open, open, open, open, open}}, &ch); err != nil {
		return err
	}
	for _, sv := range simServices {
		svc := domain.Service{ID: sv.id, OfficeID: "o1", Name: sv.id, Prefix: sv.prefix, SlotMinutes: sv.slot}
		if sv.slot > 0 {
			svc.SlotCapacity = 1
		}
		if _, err := s.e.PutService(sys, svc, &ch); err != nil {
			return err
		}
	}
	if _, err := s.e.PutPriorityCategory(sys, domain.PriorityCategory{ID: "vet", OfficeID: "o1", Name: "Ветераны", Level: 2}, &ch); err != nil {
		return err
	}
	for i, w := range s.sc.windows {
		id, opID := fmt.Sprintf("w%d", i+1), fmt.Sprintf("op%d", i+1)
		var services []string
		for _, sk := range w.skills {
			services = append(services, sk.ServiceID)
		}
		if _, err := s.e.PutWindow(sys, domain.Window{ID: id, OfficeID: "o1", Number: i + 1, ServiceIDs: services}, &ch); err != nil {
			return err
		}
		if _, err := s.e.PutOperator(sys, domain.Operator{ID: opID, OfficeID: "o1", Login: opID, FullName: opID, Skills: w.skills}, &ch); err != nil {
			return err
		}
		if w.speed == 0 {
			w.speed = 1
		}
		s.wins = append(s.wins, &simWin{id: id, cfg: w, op: domain.Actor{Login: opID, Role: domain.RoleOperator, OfficeID: "o1", OperatorID: opID}})
	}
	s.kiosk = domain.Actor{Login: "k1", Role: domain.RoleDevice, OfficeID: "o1", DeviceID: "k1", DeviceKind: domain.DeviceKiosk}
	s.hall = domain.Actor{Login: "hall", Role: domain.RoleHall, OfficeID: "o1"}
	return nil
}

// at schedules do at t.
func (s *sim) at(t time.Time, do func()) {
	s.seq++
	heap.Push(&s.events, &simEvent{at: t, seq: s.seq, do: do})
}

// clock is a minute of the current day.
func (s *sim) clock(minute float64) time.Time {
	y, m, d := s.now.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, moscow).Add(time.Duration(minute * float64(time.Minute)))
}

func (s *sim) fail(err error) {
	if err != nil && s.err == nil {
		s.err = fmt.Errorf("%s at %s: %w", s.sc.name, s.now.Format("2006-01-02 15:04:05"), err)
	}
}

func (s *sim) runDay() {
	s.book()
	// Live arrivals: a Poisson process whose rate changes with the hour.
	for m := float64(simOpen); ; {
		m += s.rng.ExpFloat64() * 60 / s.sc.rate(int(m))
		if m >= simLastIssue {
			break
		}
		s.at(s.clock(m), s.arrive)
	}
	for _, w := range s.wins {
		s.at(s.clock(float64(w.cfg.open)), func() { s.openWindow(w) })
		for _, br := range w.cfg.breaks {
			s.at(s.clock(float64(br[0])), func() { s.startBreak(w, br[1]) })
		}
	}
	s.at(s.clock(simOpen), s.tick)
	for s.events.Len() > 0 && s.err == nil {
		ev := heap.Pop(&s.events).(*simEvent)
		s.now = ev.at
		ev.do()
		for _, w := range s.wins {
			s.callNext(w)
		}
	}
	for _, w := range s.wins {
		if w.open {
			_, err := s.e.CloseWindowSession(w.op, "o1", w.id, &domain.Changes{})
			s.fail(err)
			w.open, w.paused, w.breakDue = false, false, 0
		}
	}
}

// tick runs the engine's clock once a minute until the day is done.
func (s *sim) tick() {
	s.e.Tick(&domain.Changes{})
	minute := s.now.Hour()*60 + s.now.Minute()
	if minute < simLastIssue || len(s.e.offices["o1"].live) > 0 && minute < simGiveUp {
		s.at(s.now.Add(time.Minute), s.tick)
	}
}

// book makes the day's appointments early in the morning, each checked in
// up to 20 minutes before its slot.
func (s *sim) book() {
	var bookable []simService
	for _, sv := range simServices {
		if sv.slot > 0 {
			bookable = append(bookable, sv)
		}
	}
	for range s.sc.appointments {
		sv := bookable[s.rng.IntN(len(bookable))]
		slots := (simLastIssue - 60 - simOpen) / sv.slot
		start := s.clock(float64(simOpen + 60 + s.rng.IntN(slots)*sv.slot))
		ap, err := s.e.CreateAppointment(s.hall, "o1", domain.NewAppointment{ServiceID: sv.id, Start: start}, &domain.Changes{})
		if domain.ErrorCode(err) == domain.CodeConflict {
			continue // the slot is taken
		}
		s.fail(err)
		arrive := start.Add(-time.Duration(s.rng.Float64() * float64(20*time.Minute)))
		s.at(arrive, func() {
			t, err := s.e.CheckInAppointment(s.kiosk, "o1", ap.Code, &domain.Changes{})
			s.fail(err)
			s.record(t)
		})
	}
}

// arrive issues a live ticket; one applicant in twenty is of a priority
// category, issued by the hall administrator.
func (s *sim) arrive() {
	u, sv := s.rng.Float64(), simServices[len(simServices)-1]
	for _, c := range simServices {
		if u < c.share {
			sv = c
			break
		}
		u -= c.share
	}
	a, req := s.kiosk, domain.IssueRequest{ServiceID: sv.id}
	if s.rng.Float64() < 0.05 {
		a, req.PriorityCategoryID, req.PriorityDocument = s.hall, "vet", "Удостоверение ветерана"
	}
	t, err := s.e.IssueTicket(a, "o1", req, &domain.Changes{})
	s.fail(err)
	s.record(t)
}

func (s *sim) record(t domain.Ticket) {
	if !s.measured || t.ID == "" {
		return
	}
	o := s.e.offices["o1"]
	kind := "live"
	switch {
	case t.AppointmentAt != nil:
		kind = "appointment"
	case t.Priority:
		kind = "priority"
	}
	s.recs[t.ID] = &simRecord{number: t.Number, service: t.ServiceID, kind: kind, hour: s.now.Hour(), estimate: t.EstimatedWaitSeconds,
		naive: int(naiveEstimate(o, t.ServiceID, t.Position) / time.Second)}
}

func (s *sim) openWindow(w *simWin) {
	_, err := s.e.OpenWindowSession(w.op, "o1", w.id, &domain.Changes{})
	s.fail(err)
	w.open = true
}

// startBreak pauses the window now, or after its ticket if it is serving.
func (s *sim) startBreak(w *simWin, minutes int) {
	if w.ticket != "" {
		w.breakDue = minutes
		return
	}
	_, err := s.e.PauseWindow(w.op, "o1", w.id, true, "перерыв", &domain.Changes{})
	s.fail(err)
	w.paused = true
	s.at(s.now.Add(time.Duration(minutes)*time.Minute), func() {
		_, err := s.e.PauseWindow(w.op, "o1", w.id, false, "", &domain.Changes{})
		s.fail(err)
		w.paused = false
	})
}

// callNext calls the next ticket to a free window and plays out its visit:
// most are served; some do not come, some are set aside to fill in a form,
// some are sent to another service.
func (s *sim) callNext(w *simWin) {
	if !w.open || w.paused || w.ticket != "" || s.err != nil {
		return
	}
	t, err := s.e.CallNext(w.op, "o1", w.id, false, &domain.Changes{})
	if domain.ErrorCode(err) == domain.CodeEmpty {
		return
	}
	s.fail(err)
	if r := s.recs[t.ID]; r != nil && !r.called {
		r.called, r.wait = true, t.WaitSeconds
	}
	w.ticket = t.ID
	var sv simService
	for _, c := range simServices {
		if c.id == t.ServiceID {
			sv = c
		}
	}
	walk := time.Duration(15+s.rng.IntN(45)) * time.Second
	service := time.Duration(math.Exp(math.Log(sv.meanMin)-sv.sigma*sv.sigma/2+sv.sigma*s.rng.NormFloat64()) * w.cfg.speed * float64(time.Minute))
	done := func(act func() (domain.Ticket, error)) func() {
		return func() {
			_, err := act()
			s.fail(err)
			w.ticket = ""
			if w.breakDue > 0 {
				m := w.breakDue
				w.breakDue = 0
				s.startBreak(w, m)
			}
		}
	}
	ch := &domain.Changes{}
	switch u := s.rng.Float64(); {
	case u < 0.03:
		s.at(s.now.Add(2*time.Minute), done(func() (domain.Ticket, error) { return s.e.MarkNoShow(w.op, "o1", t.ID, ch) }))
	case u < 0.06 && !t.Postponed:
		s.at(s.now.Add(walk+time.Minute), done(func() (domain.Ticket, error) {
			return s.e.PostponeTicket(w.op, "o1", t.ID, 10*time.Minute, ch)
		}))
	case u < 0.10 && !t.Redirected:
		to := simServices[s.rng.IntN(len(simServices))].id
		if to == t.ServiceID {
			to = "results"
		}
		if to == t.ServiceID {
			to = "consult"
		}
		s.at(s.now.Add(walk+service/2), done(func() (domain.Ticket, error) {
			return s.e.RedirectTicket(w.op, "o1", t.ID, domain.Redirect{ServiceID: to}, ch)
		}))
	default:
		s.at(s.now.Add(walk), func() {
			_, err := s.e.StartService(w.op, "o1", t.ID, ch)
			s.fail(err)
		})
		s.at(s.now.Add(walk+service), done(func() (domain.Ticket, error) { return s.e.FinishTicket(w.op, "o1", t.ID, ch) }))
	}
}

// naiveEstimate is the formula the estimate began with, kept as the
// yardstick the simulation measures the estimator against: the tickets
// ahead times the service's mean time, shared by the windows at work.
func naiveEstimate(o *office, serviceID string, position int) time.Duration {
	if position <= 1 {
		return 0
	}
	return time.Duration(position-1) * o.avgServiceTime(serviceID) / time.Duration(o.servers(serviceID))
}
