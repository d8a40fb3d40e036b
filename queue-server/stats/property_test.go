package stats_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/store"
)

// TestRollupsEqualBruteForce runs random days through the engine and store
// and compares reports for random queries with figures recomputed from the
// event log by a replay written apart from Fold; then again after a rebuild.
func TestRollupsEqualBruteForce(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			o := newOffice(t)
			rng := rand.New(rand.NewPCG(seed, 42))
			randomDays(o, rng, 1500)
			facts := replay(t, o.events())
			whole := o.report(domain.StatsQuery{From: "2026-11-01", To: "2026-12-31", By: domain.StatsByDay})
			m := whole.Total
			if m.Served == 0 || m.NoShow == 0 || m.Cancelled == 0 || m.Redirected == 0 || m.Postponed == 0 || m.Waited == 0 ||
				m.PausedSeconds == 0 || m.ServingSeconds == 0 || m.OpenSeconds == 0 || m.RatingCount == 0 || len(whole.Rows) < 3 ||
				whole.Rows[0].Key > "2026-11-30" || whole.Rows[len(whole.Rows)-1].Key < "2026-12-01" {
				t.Fatalf("the random days miss something to check: %+v over days %v", m, keysOf(whole))
			}
			queries := randomQueries(rng, 60)
			before := make([]domain.StatsReport, len(queries))
			for i, q := range queries {
				before[i] = o.report(q)
				same(t, fmt.Sprintf("%+v", q), before[i], facts.report(q))
			}
			if err := o.st.RebuildStats(context.Background()); err != nil {
				t.Fatal(err)
			}
			for i, q := range queries {
				same(t, fmt.Sprintf("after the rebuild, %+v", q), o.report(q), before[i])
			}
		})
	}
}

// randomDays makes steps random operations from 2026-11-29 on, the clock
// moving a second to five minutes between them (now and then three hours),
// so the days cross the end of November. Operations the engine refuses
// (a call with nobody waiting, an issue at night) change nothing.
func randomDays(o *office, rng *rand.Rand, steps int) {
	e := o.e
	o.now = time.Date(2026, 11, 29, 7, 30, 0, 0, msk)
	ops := []domain.Actor{o.op1, o.op2}
	windows := []string{"w1", "w2"}
	raters := []domain.Actor{o.r1, o.r2}
	current := map[string]string{} // window → the ticket called there
	var waiting []string           // tickets issued, some long gone
	for range steps {
		o.now = o.now.Add(time.Duration(1+rng.IntN(300)) * time.Second)
		if rng.IntN(100) == 0 {
			o.now = o.now.Add(3 * time.Hour)
		}
		try(o, func(ch *domain.Changes) (struct{}, error) { e.Tick(ch); return struct{}{}, nil })
		i := rng.IntN(2)
		op, w := ops[i], windows[i]
		switch r := rng.IntN(20); {
		case r < 6:
			svc := []string{"pass", "realty"}[rng.IntN(2)]
			if t, err := try(o, func(ch *domain.Changes) (domain.Ticket, error) {
				return e.IssueTicket(o.kiosk, officeID, domain.IssueRequest{ServiceID: svc}, ch)
			}); err == nil {
				waiting = append(waiting, t.ID)
			}
		case r < 7:
			try(o, func(ch *domain.Changes) (domain.WindowState, error) { return e.OpenWindowSession(op, officeID, w, ch) })
		case r < 8:
			try(o, func(ch *domain.Changes) (domain.WindowState, error) { return e.CloseWindowSession(op, officeID, w, ch) })
		case r < 9:
			paused := rng.IntN(2) == 0
			try(o, func(ch *domain.Changes) (domain.WindowState, error) {
				return e.PauseWindow(op, officeID, w, paused, "", ch)
			})
		case r < 12:
			if t, err := try(o, func(ch *domain.Changes) (domain.Ticket, error) {
				return e.CallNext(op, officeID, w, rng.IntN(3) == 0, ch)
			}); err == nil {
				current[w] = t.ID
			}
		case r < 17:
			id := current[w]
			if id == "" {
				continue
			}
			var act func() (domain.Ticket, error)
			switch k := rng.IntN(10); {
			case k < 2:
				act = func() (domain.Ticket, error) {
					return try(o, func(ch *domain.Changes) (domain.Ticket, error) { return e.StartService(op, officeID, id, ch) })
				}
			case k < 6:
				act = func() (domain.Ticket, error) {
					t, err := try(o, func(ch *domain.Changes) (domain.Ticket, error) { return e.FinishTicket(op, officeID, id, ch) })
					if err == nil && rng.IntN(3) == 0 {
						rateRandom(o, rng, raters[i], id)
					}
					return t, err
				}
			case k < 7:
				act = func() (domain.Ticket, error) {
					return try(o, func(ch *domain.Changes) (domain.Ticket, error) { return e.MarkNoShow(op, officeID, id, ch) })
				}
			case k < 8:
				act = func() (domain.Ticket, error) {
					d := time.Duration(1+rng.IntN(20)) * time.Minute
					return try(o, func(ch *domain.Changes) (domain.Ticket, error) { return e.PostponeTicket(op, officeID, id, d, ch) })
				}
			case k < 9:
				act = func() (domain.Ticket, error) {
					r := domain.Redirect{ServiceID: []string{"pass", "realty"}[rng.IntN(2)], Return: rng.IntN(2) == 0}
					return try(o, func(ch *domain.Changes) (domain.Ticket, error) { return e.RedirectTicket(op, officeID, id, r, ch) })
				}
			default:
				act = func() (domain.Ticket, error) {
					return try(o, func(ch *domain.Changes) (domain.Ticket, error) { return e.CancelTicket(o.hall, officeID, id, ch) })
				}
			}
			if t, err := act(); err == nil && t.Status != domain.StatusServing && t.Status != domain.StatusCalled {
				delete(current, w)
			}
		default:
			if len(waiting) == 0 {
				continue
			}
			id := waiting[rng.IntN(len(waiting))]
			if rng.IntN(2) == 0 {
				try(o, func(ch *domain.Changes) (domain.Ticket, error) { return e.CancelTicket(o.hall, officeID, id, ch) })
			} else {
				svc := []string{"pass", "realty"}[rng.IntN(2)]
				try(o, func(ch *domain.Changes) (domain.Ticket, error) {
					return e.RedirectTicket(o.hall, officeID, id, domain.Redirect{ServiceID: svc}, ch)
				})
			}
		}
	}
}

// rateRandom rates the ticket on a random choice of the form's indicators.
func rateRandom(o *office, rng *rand.Rand, a domain.Actor, ticketID string) {
	var answers []domain.RatingAnswer
	for _, in := range o.form.Indicators {
		if rng.IntN(2) == 0 {
			v := in.Values[rng.IntN(len(in.Values))]
			answers = append(answers, domain.RatingAnswer{IndicatorID: in.ID, ValueID: v.ID})
		}
	}
	try(o, func(ch *domain.Changes) (domain.Rating, error) {
		return o.e.SubmitRating(a, officeID, domain.NewRating{TicketID: ticketID, Answers: answers}, ch)
	})
}

func (o *office) events() []domain.Event {
	o.t.Helper()
	var all []domain.Event
	for {
		page, err := o.st.Events(context.Background(), officeID, uint64(len(all)), store.MaxEventsPage)
		if err != nil {
			o.t.Fatal(err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
	}
}

// randomQueries are periods inside and around the random days, each
// broken down by a random dimension.
func randomQueries(rng *rand.Rand, n int) []domain.StatsQuery {
	qs := make([]domain.StatsQuery, 0, n+len(domain.StatsDims))
	first := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for _, by := range domain.StatsDims {
		qs = append(qs, domain.StatsQuery{OfficeIDs: []string{officeID}, From: "2026-11-01", To: "2026-12-31", By: by})
	}
	for range n {
		from := first.AddDate(0, 0, rng.IntN(20))
		to := from.AddDate(0, 0, rng.IntN(45))
		qs = append(qs, domain.StatsQuery{OfficeIDs: []string{officeID}, From: from.Format(time.DateOnly), To: to.Format(time.DateOnly),
			By: domain.StatsDims[rng.IntN(len(domain.StatsDims))]})
	}
	return qs
}

// fact is one thing the brute force counts, at one moment of the office.
type fact struct {
	at                                 time.Time
	service, operator, window          string
	purpose                            domain.Purpose
	issued, served, noShow, cancelled  int64
	redirected, postponed              int64
	wait, norm, estimate, svcTime, sec int64 // wait < 0: no wait; svcTime < 0: no service time
	open, serving, paused              bool  // sec counts as open, serving or paused time
	scores                             []domain.RatingAnswer
}

type facts []fact

// replay reconstructs the facts from the log, keeping each ticket's and
// window's previous state instead of reading the stamps Fold uses.
func replay(t *testing.T, events []domain.Event) facts {
	t.Helper()
	var out facts
	prev := map[string]domain.Ticket{}
	issuedAt := map[string]time.Time{}
	calledOnce := map[string]bool{}
	opened := map[string]domain.WindowSession{}
	pausedAt := map[string]time.Time{}
	span := func(a, b time.Time, f fact) {
		// Split at whole hours: Moscow is UTC+3 all year, so local hours
		// start at multiples of 3600 s of Unix time.
		from, to := a.Unix(), b.Unix()
		for h := from - from%3600; h < to; h += 3600 {
			lo, hi := max(from, h), min(to, h+3600)
			if hi > lo {
				g := f
				g.at, g.sec = time.Unix(lo, 0), hi-lo
				out = append(out, g)
			}
		}
	}
	for _, e := range events {
		switch e.Type {
		case domain.EventWindowOpened:
			opened[e.WindowID] = *e.Session
		case domain.EventWindowPaused:
			pausedAt[e.WindowID] = e.At
		case domain.EventWindowResumed, domain.EventWindowClosed:
			s := opened[e.WindowID]
			where := fact{operator: s.OperatorID, window: e.WindowID, wait: -1, svcTime: -1}
			if p, ok := pausedAt[e.WindowID]; ok {
				g := where
				g.paused = true
				span(p, e.At, g)
				delete(pausedAt, e.WindowID)
			}
			if e.Type == domain.EventWindowClosed {
				g := where
				g.open = true
				span(*s.OpenedAt, e.At, g)
			}
		case domain.EventTicketRated:
			r := e.Rating
			var valid []domain.RatingAnswer
			for _, a := range r.Answers {
				if a.Score >= 1 && a.Score <= 5 {
					valid = append(valid, a)
				}
			}
			if len(valid) > 0 {
				out = append(out, fact{at: r.ServedAt, service: r.ServiceID, purpose: r.Purpose, operator: r.OperatorID, window: r.WindowID,
					wait: -1, svcTime: -1, scores: valid})
			}
		}
		if e.Ticket == nil {
			continue
		}
		tk := *e.Ticket
		before, seen := prev[tk.ID]
		prev[tk.ID] = tk
		if e.Type == domain.EventTicketIssued {
			issuedAt[tk.ID] = e.At
			out = append(out, fact{at: e.At, service: tk.ServiceID, purpose: tk.Purpose, issued: 1, wait: -1, svcTime: -1})
			continue
		}
		if !seen {
			t.Fatalf("event %d about ticket %s before its issue", e.Seq, tk.ID)
		}
		if e.Type == domain.EventTicketCalled {
			if !calledOnce[tk.ID] {
				calledOnce[tk.ID] = true
				// No appointments here: the wait runs from the issue.
				wait := max(int64(e.At.Sub(issuedAt[tk.ID])/time.Second), 0)
				out = append(out, fact{at: issuedAt[tk.ID], service: tk.ServiceID, purpose: tk.Purpose,
					wait: wait, norm: int64(tk.WaitNormSeconds), estimate: int64(tk.IssueEstimateSeconds), svcTime: -1})
			}
			continue
		}
		atWindow := before.Status == domain.StatusCalled || before.Status == domain.StatusServing
		f := fact{at: e.At, service: before.ServiceID, purpose: tk.Purpose, wait: -1, svcTime: -1}
		if atWindow {
			f.operator, f.window = before.OperatorID, before.WindowID
		}
		switch e.Type {
		case domain.EventTicketFinished, domain.EventTicketReturnedToOrigin:
			start := before.CalledAt
			if before.ServiceStartedAt != nil {
				start = before.ServiceStartedAt
			}
			f.served, f.svcTime = 1, int64(e.At.Sub(*start)/time.Second)
		case domain.EventTicketNoShow:
			f.noShow = 1
		case domain.EventTicketPostponed:
			f.postponed = 1
		case domain.EventTicketRedirected:
			f.redirected = 1
		case domain.EventTicketCancelled:
			f.cancelled = 1
		default:
			continue
		}
		out = append(out, f)
		if atWindow {
			span(*before.CalledAt, e.At, fact{operator: before.OperatorID, window: before.WindowID, wait: -1, svcTime: -1, serving: true})
		}
	}
	return out
}

// report computes q's answer from the facts directly.
func (fs facts) report(q domain.StatsQuery) domain.StatsReport {
	rep := domain.StatsReport{Query: q, Rows: []domain.StatsRow{}}
	var in facts
	groups := map[string]facts{}
	for _, f := range fs {
		lt := f.at.In(msk)
		day := lt.Format(time.DateOnly)
		if day < q.From || day > q.To {
			continue
		}
		in = append(in, f)
		hour := fmt.Sprintf("%02d", lt.Hour())
		key := map[domain.StatsDim]string{
			domain.StatsByOffice: officeID, domain.StatsByService: f.service, domain.StatsByPurpose: string(f.purpose),
			domain.StatsByOperator: f.operator, domain.StatsByWindow: f.window, domain.StatsByHour: hour,
			domain.StatsByWeekday: strconv.Itoa((int(lt.Weekday())+6)%7 + 1), domain.StatsByDay: day,
		}[q.By]
		if q.By == domain.StatsByServiceHour && f.service != "" {
			key = f.service + "|" + hour
		}
		if key != "" {
			groups[key] = append(groups[key], f)
		}
	}
	rep.Total = in.metrics()
	for k, g := range groups {
		rep.Rows = append(rep.Rows, domain.StatsRow{Key: k, Metrics: g.metrics()})
	}
	sort.Slice(rep.Rows, func(i, j int) bool { return rep.Rows[i].Key < rep.Rows[j].Key })
	return rep
}

// edge is the lower edge of the histogram bucket of s seconds, as the
// package documents its resolution: 5 s below 10 min, 30 s below an hour,
// 5 min below 4 hours, one bucket beyond.
func edge(s int64) int64 {
	switch {
	case s < 600:
		return s - s%5
	case s < 3600:
		return s - (s-600)%30
	case s < 14400:
		return s - (s-3600)%300
	}
	return 14400
}

func quantile(sorted []int64, q float64) int64 {
	n := float64(len(sorted))
	rank := int(q * n)
	if float64(rank) < q*n-1e-9 {
		rank++
	}
	return edge(sorted[max(rank, 1)-1])
}

func (fs facts) metrics() domain.StatsMetrics {
	var m domain.StatsMetrics
	var waits, services []int64
	var waitSum, serviceSum, absErr, within5, scoreN, scoreSum int64
	ind := map[string][2]int64{}
	for _, f := range fs {
		m.Issued += f.issued
		m.Served += f.served
		m.NoShow += f.noShow
		m.Cancelled += f.cancelled
		m.Redirected += f.redirected
		m.Postponed += f.postponed
		if f.wait >= 0 {
			waits = append(waits, f.wait)
			waitSum += f.wait
			if f.wait <= f.norm {
				m.WithinNorm++
			} else {
				m.OverNorm++
			}
			miss := f.estimate - f.wait
			if miss < 0 {
				miss = -miss
			}
			absErr += miss
			if miss <= 300 {
				within5++
			}
		}
		if f.svcTime >= 0 {
			services = append(services, f.svcTime)
			serviceSum += f.svcTime
		}
		switch {
		case f.open:
			m.OpenSeconds += f.sec
		case f.serving:
			m.ServingSeconds += f.sec
		case f.paused:
			m.PausedSeconds += f.sec
		}
		if len(f.scores) > 0 {
			m.RatingCount++
		}
		for _, a := range f.scores {
			scoreN++
			scoreSum += int64(a.Score)
			s := ind[a.IndicatorID]
			ind[a.IndicatorID] = [2]int64{s[0] + 1, s[1] + int64(a.Score)}
		}
	}
	sort.Slice(waits, func(i, j int) bool { return waits[i] < waits[j] })
	sort.Slice(services, func(i, j int) bool { return services[i] < services[j] })
	if n := int64(len(waits)); n > 0 {
		m.Waited, m.WaitMaxSeconds = n, waits[n-1]
		m.WaitMeanSeconds = float64(waitSum) / float64(n)
		m.WaitMinSeconds, m.WaitMedianSeconds, m.WaitP90Seconds = edge(waits[0]), quantile(waits, 0.5), quantile(waits, 0.9)
		m.OverNormShare = float64(m.OverNorm) / float64(n)
		m.EstimateCount = n
		m.EstimateMAESeconds = float64(absErr) / float64(n)
		m.EstimateWithin5Share = float64(within5) / float64(n)
	}
	if n := int64(len(services)); n > 0 {
		m.ServiceCount = n
		m.ServiceMeanSeconds = float64(serviceSum) / float64(n)
		m.ServiceP90Seconds = quantile(services, 0.9)
	}
	m.IdleSeconds = max(m.OpenSeconds-m.ServingSeconds-m.PausedSeconds, 0)
	if m.OpenSeconds > 0 {
		m.TicketsPerOperatorHour = float64(m.Served*3600) / float64(m.OpenSeconds)
	}
	if scoreN > 0 {
		m.RatingMean = float64(scoreSum) / float64(scoreN)
	}
	ids := make([]string, 0, len(ind))
	for id := range ind {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s := ind[id]
		m.Indicators = append(m.Indicators, domain.StatsIndicatorMean{IndicatorID: id, Count: s[0], Mean: float64(s[1]) / float64(s[0])})
	}
	return m
}
