package stats_test

import (
	"context"
	"encoding/json"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// scriptedDay runs a morning of two windows through the engine: 17
// tickets, an appointment, no-shows, cancels, a postpone, a redirect with
// return and one without, a break across the hour and two ratings. Every
// wait and service time lies on a histogram edge, so quantiles are exact.
// It returns the tickets that were called, whose estimates the report checks.
func scriptedDay(o *office) []domain.Ticket {
	e := o.e
	o.clock("08:30:00")
	ap := do(o, func(ch *domain.Changes) (domain.Appointment, error) {
		return e.CreateAppointment(o.hall, officeID, domain.NewAppointment{ServiceID: "pass", Start: time.Date(2026, 12, 1, 10, 0, 0, 0, msk), Name: "Иванов"}, ch)
	})
	o.clock("09:00:00")
	o.window(o.op1, "w1", e.OpenWindowSession)
	o.window(o.op2, "w2", e.OpenWindowSession)
	p1, r1 := o.issue("pass"), o.issue("realty")
	o.clock("09:00:10")
	p2 := o.issue("pass")
	o.clock("09:00:20")
	p3 := o.issue("pass")
	o.clock("09:00:30")
	p4 := o.issue("pass")
	o.clock("09:01:00")
	o.call(o.op1, "w1", p1)
	r2 := o.issue("realty")
	o.clock("09:01:30")
	o.act(o.op1, p1, e.StartService)
	o.clock("09:02:00")
	o.call(o.op2, "w2", r1)
	o.act(o.op2, r1, e.StartService)
	r3 := o.issue("realty")
	o.clock("09:03:00")
	r4 := o.issue("realty")
	o.clock("09:05:00")
	p5 := o.issue("pass")
	o.clock("09:06:30")
	o.act(o.op1, p1, e.FinishTicket)
	o.clock("09:06:40")
	o.call(o.op1, "w1", p2)
	o.clock("09:07:00")
	o.rate(o.r1, p1, 3)
	o.clock("09:10:00")
	p6 := o.issue("pass")
	o.clock("09:12:00")
	o.act(o.op2, r1, e.FinishTicket)
	o.clock("09:12:30")
	o.call(o.op2, "w2", r2)
	o.clock("09:13:00")
	o.rate(o.r2, r1, 5, 4)
	o.clock("09:16:40")
	o.act(o.op1, p2, e.FinishTicket)
	o.clock("09:16:50")
	o.call(o.op1, "w1", p3)
	o.clock("09:18:50")
	o.act(o.op1, p3, e.MarkNoShow)
	o.clock("09:19:00")
	o.call(o.op1, "w1", p4)
	o.clock("09:20:00")
	do(o, func(ch *domain.Changes) (domain.Ticket, error) {
		return e.PostponeTicket(o.op1, officeID, p4.ID, 10*time.Minute, ch)
	})
	o.act(o.hall, p6, e.CancelTicket)
	o.clock("09:25:00")
	o.call(o.op1, "w1", p4)
	o.clock("09:30:00")
	o.act(o.op1, p4, e.FinishTicket)
	o.clock("09:30:30")
	o.call(o.op1, "w1", p5)
	o.clock("09:31:00")
	o.act(o.op1, p5, e.StartService)
	o.clock("09:32:30")
	o.act(o.op2, r2, e.FinishTicket)
	o.clock("09:33:00")
	o.call(o.op2, "w2", r3)
	o.clock("09:35:00")
	do(o, func(ch *domain.Changes) (domain.Ticket, error) {
		return e.RedirectTicket(o.op1, officeID, p5.ID, domain.Redirect{ServiceID: "realty", Return: true}, ch)
	})
	o.clock("09:38:00")
	o.act(o.op2, r3, e.FinishTicket)
	o.clock("09:40:00")
	o.call(o.op2, "w2", p5)
	o.clock("09:50:00")
	o.act(o.op2, p5, e.FinishTicket) // back to passport, for window 1
	a := do(o, func(ch *domain.Changes) (domain.Ticket, error) {
		return e.CheckInAppointment(o.kiosk, officeID, ap.Code, ch)
	})
	o.clock("09:50:30")
	o.call(o.op2, "w2", r4)
	o.call(o.op1, "w1", p5)
	o.clock("09:55:30")
	o.act(o.op1, p5, e.FinishTicket)
	o.pause(o.op1, "w1", true)
	o.clock("10:00:00")
	p7, r5 := o.issue("pass"), o.issue("realty")
	o.clock("10:00:30")
	o.act(o.op2, r4, e.FinishTicket)
	o.clock("10:01:00")
	o.call(o.op2, "w2", r5)
	r6 := o.issue("realty")
	o.clock("10:02:00")
	r7 := o.issue("realty")
	o.clock("10:03:00")
	o.act(o.op2, r5, e.MarkNoShow)
	o.clock("10:03:30")
	o.call(o.op2, "w2", r6)
	o.clock("10:05:00")
	r8 := o.issue("realty")
	o.clock("10:05:30")
	o.pause(o.op1, "w1", false)
	o.clock("10:06:00")
	o.call(o.op1, "w1", a)
	o.act(o.hall, r8, e.CancelTicket)
	o.clock("10:10:00")
	p8 := o.issue("pass")
	o.clock("10:12:00")
	do(o, func(ch *domain.Changes) (domain.Ticket, error) {
		return e.RedirectTicket(o.hall, officeID, p8.ID, domain.Redirect{ServiceID: "realty"}, ch)
	})
	o.clock("10:13:30")
	o.act(o.op2, r6, e.FinishTicket)
	o.clock("10:14:00")
	o.call(o.op2, "w2", r7)
	o.clock("10:16:00")
	o.act(o.op1, a, e.FinishTicket)
	o.clock("10:16:30")
	o.call(o.op1, "w1", p7)
	o.clock("10:19:00")
	o.act(o.op2, r7, e.FinishTicket)
	o.clock("10:20:00")
	o.call(o.op2, "w2", p8)
	o.clock("10:21:30")
	o.act(o.op1, p7, e.FinishTicket)
	o.clock("10:25:00")
	o.act(o.op2, p8, e.FinishTicket)
	o.clock("10:30:00")
	o.window(o.op1, "w1", e.CloseWindowSession)
	o.window(o.op2, "w2", e.CloseWindowSession)
	return []domain.Ticket{p1, p2, p3, p4, p5, a, p7, p8, r1, r2, r3, r4, r5, r6, r7}
}

// TestScriptedDay checks the report of scriptedDay against figures worked
// out by hand (in the comments: the waits, service times and sessions).
func TestScriptedDay(t *testing.T) {
	o := newOffice(t)
	called := scriptedDay(o)
	ind := o.form.Indicators
	scores := func(s ...domain.StatsIndicatorMean) []domain.StatsIndicatorMean {
		sort.Slice(s, func(i, j int) bool { return s[i].IndicatorID < s[j].IndicatorID })
		return s
	}
	day := domain.StatsQuery{From: "2026-12-01", To: "2026-12-01"}

	// Waits at the first call, seconds: passport 60 390 990 1110 1530, the
	// appointment 360 from its 10:00, 990; realty 120 690 1860 2850 60 150
	// 720 and the ticket redirected there 600. Norms 900, 600 for the
	// appointment, 1200 for realty (the redirected one keeps passport's).
	// Service times: 300 600 300 300 600 300 at passport, 600 1200 300 600
	// 600 600 300 300 at realty (the fourth is the redirect with return).
	// Window 1: open 5400, serving 330+600+120+60+300+270+300+600+300 =
	// 2880, break 600 (270 before ten); window 2: open 5400, serving
	// 600+1200+300+600+600+120+600+300+300 = 4620.
	total := domain.StatsMetrics{
		Issued: 17, Served: 14, NoShow: 2, Cancelled: 2, Redirected: 2, Postponed: 1,
		Waited: 15, WaitMeanSeconds: 832, WaitMinSeconds: 60, WaitMedianSeconds: 690, WaitP90Seconds: 1860, WaitMaxSeconds: 2850,
		WithinNorm: 9, OverNorm: 6, OverNormShare: 0.4,
		ServiceCount: 14, ServiceMeanSeconds: 6900.0 / 14, ServiceP90Seconds: 600,
		OpenSeconds: 10800, ServingSeconds: 7500, PausedSeconds: 600, IdleSeconds: 2700, TicketsPerOperatorHour: 14.0 / 3,
		RatingCount: 2, RatingMean: 4,
		Indicators: scores(domain.StatsIndicatorMean{IndicatorID: ind[0].ID, Count: 2, Mean: 4}, domain.StatsIndicatorMean{IndicatorID: ind[1].ID, Count: 1, Mean: 4}),
	}
	rep := o.report(with(day, domain.StatsByOffice))
	checkEstimates(t, o, rep.Total, called)
	same(t, "total", noEstimates(rep.Total), total)
	if len(rep.Rows) != 1 || rep.Rows[0].Key != officeID {
		t.Errorf("rows by office: %+v", rep.Rows)
	}

	rows(t, o.report(with(day, domain.StatsByService)), map[string]domain.StatsMetrics{
		"pass": {Issued: 9, Served: 6, NoShow: 1, Cancelled: 1, Redirected: 2, Postponed: 1,
			Waited: 7, WaitMeanSeconds: 5430.0 / 7, WaitMinSeconds: 60, WaitMedianSeconds: 990, WaitP90Seconds: 1530, WaitMaxSeconds: 1530,
			WithinNorm: 3, OverNorm: 4, OverNormShare: 4.0 / 7,
			ServiceCount: 6, ServiceMeanSeconds: 400, ServiceP90Seconds: 600,
			RatingCount: 1, RatingMean: 3, Indicators: scores(domain.StatsIndicatorMean{IndicatorID: ind[0].ID, Count: 1, Mean: 3})},
		"realty": {Issued: 8, Served: 8, NoShow: 1, Cancelled: 1,
			Waited: 8, WaitMeanSeconds: 881.25, WaitMinSeconds: 60, WaitMedianSeconds: 600, WaitP90Seconds: 2850, WaitMaxSeconds: 2850,
			WithinNorm: 6, OverNorm: 2, OverNormShare: 0.25,
			ServiceCount: 8, ServiceMeanSeconds: 562.5, ServiceP90Seconds: 1200,
			RatingCount: 1, RatingMean: 4.5,
			Indicators: scores(domain.StatsIndicatorMean{IndicatorID: ind[0].ID, Count: 1, Mean: 5}, domain.StatsIndicatorMean{IndicatorID: ind[1].ID, Count: 1, Mean: 4})},
	})
	op1 := domain.StatsMetrics{Served: 6, NoShow: 1, Redirected: 1, Postponed: 1,
		ServiceCount: 6, ServiceMeanSeconds: 400, ServiceP90Seconds: 600,
		OpenSeconds: 5400, ServingSeconds: 2880, PausedSeconds: 600, IdleSeconds: 1920, TicketsPerOperatorHour: 4,
		RatingCount: 1, RatingMean: 3, Indicators: scores(domain.StatsIndicatorMean{IndicatorID: ind[0].ID, Count: 1, Mean: 3})}
	op2 := domain.StatsMetrics{Served: 8, NoShow: 1,
		ServiceCount: 8, ServiceMeanSeconds: 562.5, ServiceP90Seconds: 1200,
		OpenSeconds: 5400, ServingSeconds: 4620, IdleSeconds: 780, TicketsPerOperatorHour: 8.0 * 3600 / 5400,
		RatingCount: 1, RatingMean: 4.5,
		Indicators: scores(domain.StatsIndicatorMean{IndicatorID: ind[0].ID, Count: 1, Mean: 5}, domain.StatsIndicatorMean{IndicatorID: ind[1].ID, Count: 1, Mean: 4})}
	rows(t, o.report(with(day, domain.StatsByOperator)), map[string]domain.StatsMetrics{"op1": op1, "op2": op2})
	rows(t, o.report(with(day, domain.StatsByWindow)), map[string]domain.StatsMetrics{"w1": op1, "w2": op2})

	// By hour, waits count under the hour of issue (the appointment was
	// checked in at 09:50), the rest under the hour it happened in.
	rows(t, o.report(with(day, domain.StatsByHour)), map[string]domain.StatsMetrics{
		"09": {Issued: 11, Served: 8, NoShow: 1, Cancelled: 1, Redirected: 1, Postponed: 1,
			Waited: 10, WaitMeanSeconds: 996, WaitMinSeconds: 60, WaitMedianSeconds: 690, WaitP90Seconds: 1860, WaitMaxSeconds: 2850,
			WithinNorm: 5, OverNorm: 5, OverNormShare: 0.5,
			ServiceCount: 8, ServiceMeanSeconds: 525, ServiceP90Seconds: 1200,
			OpenSeconds: 7200, ServingSeconds: 5250, PausedSeconds: 270, IdleSeconds: 1680, TicketsPerOperatorHour: 4,
			RatingCount: 2, RatingMean: 4, Indicators: total.Indicators},
		"10": {Issued: 6, Served: 6, NoShow: 1, Cancelled: 1, Redirected: 1,
			Waited: 5, WaitMeanSeconds: 504, WaitMinSeconds: 60, WaitMedianSeconds: 600, WaitP90Seconds: 990, WaitMaxSeconds: 990,
			WithinNorm: 4, OverNorm: 1, OverNormShare: 0.2,
			ServiceCount: 6, ServiceMeanSeconds: 450, ServiceP90Seconds: 600,
			OpenSeconds: 3600, ServingSeconds: 2250, PausedSeconds: 330, IdleSeconds: 1020, TicketsPerOperatorHour: 6},
	})
	// The purpose is the one the ticket was issued with: the passport
	// ticket redirected to realty waited and was served there as "submit".
	rows(t, o.report(with(day, domain.StatsByPurpose)), map[string]domain.StatsMetrics{
		"submit": {Issued: 9, Served: 8, NoShow: 1, Cancelled: 1, Redirected: 2, Postponed: 1,
			Waited: 8, WaitMeanSeconds: 753.75, WaitMinSeconds: 60, WaitMedianSeconds: 600, WaitP90Seconds: 1530, WaitMaxSeconds: 1530,
			WithinNorm: 4, OverNorm: 4, OverNormShare: 0.5,
			ServiceCount: 8, ServiceMeanSeconds: 412.5, ServiceP90Seconds: 600,
			RatingCount: 1, RatingMean: 3, Indicators: scores(domain.StatsIndicatorMean{IndicatorID: ind[0].ID, Count: 1, Mean: 3})},
		"consultation": {Issued: 8, Served: 6, NoShow: 1, Cancelled: 1,
			Waited: 7, WaitMeanSeconds: 6450.0 / 7, WaitMinSeconds: 60, WaitMedianSeconds: 690, WaitP90Seconds: 2850, WaitMaxSeconds: 2850,
			WithinNorm: 5, OverNorm: 2, OverNormShare: 2.0 / 7,
			ServiceCount: 6, ServiceMeanSeconds: 600, ServiceP90Seconds: 1200,
			RatingCount: 1, RatingMean: 4.5,
			Indicators: scores(domain.StatsIndicatorMean{IndicatorID: ind[0].ID, Count: 1, Mean: 5}, domain.StatsIndicatorMean{IndicatorID: ind[1].ID, Count: 1, Mean: 4})},
	})
	sh := o.report(with(day, domain.StatsByServiceHour))
	if keys := keysOf(sh); !reflect.DeepEqual(keys, []string{"pass|09", "pass|10", "realty|09", "realty|10"}) {
		t.Errorf("service_hour rows %v", keys)
	}

	// A December 2026 Tuesday: the month's weekday cell and the day's
	// office cell agree; the month read whole agrees with the day read alone.
	rows(t, o.report(domain.StatsQuery{From: "2026-11-20", To: "2026-12-31", By: domain.StatsByWeekday}), map[string]domain.StatsMetrics{"2": total})
	rows(t, o.report(domain.StatsQuery{From: "2026-11-01", To: "2026-12-31", By: domain.StatsByDay}), map[string]domain.StatsMetrics{"2026-12-01": total})
	for _, by := range domain.StatsDims {
		whole := o.report(domain.StatsQuery{From: "2026-11-15", To: "2027-01-10", By: by})
		alone := o.report(with(day, by))
		whole.Query, alone.Query = domain.StatsQuery{}, domain.StatsQuery{}
		same(t, "by "+string(by)+" over months and over the day", whole, alone)
	}
	if rep := o.report(domain.StatsQuery{From: "2026-12-02", To: "2026-12-31", By: domain.StatsByService}); rep.Total.Issued != 0 || len(rep.Rows) != 0 {
		t.Errorf("the days after: %+v", rep)
	}
}

func with(q domain.StatsQuery, by domain.StatsDim) domain.StatsQuery {
	q.By = by
	return q
}

// checkEstimates compares the estimate figures with the estimates the
// tickets were stamped with at issue and their waits.
func checkEstimates(t *testing.T, o *office, m domain.StatsMetrics, called []domain.Ticket) {
	t.Helper()
	var sum, within int64
	for _, c := range called {
		tk, err := o.st.Ticket(context.Background(), officeID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		miss := int64(tk.IssueEstimateSeconds - tk.WaitSeconds)
		if miss < 0 {
			miss = -miss
		}
		sum += miss
		if miss <= 300 {
			within++
		}
	}
	n := int64(len(called))
	if m.EstimateCount != n || m.EstimateMAESeconds != float64(sum)/float64(n) || m.EstimateWithin5Share != float64(within)/float64(n) {
		t.Errorf("estimates: %d, MAE %v, within 5 min %v; want %d, %v, %v", m.EstimateCount, m.EstimateMAESeconds, m.EstimateWithin5Share,
			n, float64(sum)/float64(n), float64(within)/float64(n))
	}
}

func noEstimates(m domain.StatsMetrics) domain.StatsMetrics {
	m.EstimateCount, m.EstimateMAESeconds, m.EstimateWithin5Share = 0, 0, 0
	return m
}

// rows checks a report's rows, estimates aside, against want.
func rows(t *testing.T, rep domain.StatsReport, want map[string]domain.StatsMetrics) {
	t.Helper()
	got := map[string]domain.StatsMetrics{}
	for _, r := range rep.Rows {
		got[r.Key] = noEstimates(r.Metrics)
	}
	same(t, "rows by "+string(rep.Query.By), got, want)
}

func keysOf(rep domain.StatsReport) []string {
	var keys []string
	for _, r := range rep.Rows {
		keys = append(keys, r.Key)
	}
	return keys
}

func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	t.Errorf("%s differ:\ngot  %s\nwant %s", what, g, w)
}
