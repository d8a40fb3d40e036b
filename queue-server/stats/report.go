package stats

import (
	"bytes"
	"fmt"
	"sort"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// MaxReportDays bounds a report's period.
const MaxReportDays = 5*366 + 1

// Validate refuses a query a report cannot answer, in words for people.
func Validate(q domain.StatsQuery) error {
	if len(q.OfficeIDs) == 0 {
		return domain.Errorf(domain.CodeInvalid, "укажите хотя бы один офис")
	}
	seen := make(map[string]bool, len(q.OfficeIDs))
	for _, id := range q.OfficeIDs {
		if seen[id] {
			return domain.Errorf(domain.CodeInvalid, "офис %q указан дважды", id)
		}
		seen[id] = true
	}
	known := false
	for _, d := range domain.StatsDims {
		known = known || d == q.By
	}
	if !known {
		return domain.Errorf(domain.CodeInvalid, "разбивка %q неизвестна: office, service, purpose, operator, window, hour, weekday, day или service_hour", q.By)
	}
	from, err := time.Parse(time.DateOnly, q.From)
	if err != nil {
		return domain.Errorf(domain.CodeInvalid, "начало периода %q — не дата ГГГГ-ММ-ДД", q.From)
	}
	to, err := time.Parse(time.DateOnly, q.To)
	if err != nil {
		return domain.Errorf(domain.CodeInvalid, "конец периода %q — не дата ГГГГ-ММ-ДД", q.To)
	}
	if to.Before(from) {
		return domain.Errorf(domain.CodeInvalid, "период начинается (%s) позже, чем кончается (%s)", q.From, q.To)
	}
	if days := int(to.Sub(from)/(24*time.Hour)) + 1; days > MaxReportDays {
		return domain.Errorf(domain.CodeInvalid, "период отчёта — не больше пяти лет, а запрошено %d дней", days)
	}
	return nil
}

// period is one piece of a report's plan: a whole month or a single day.
type period struct {
	name  string // "2026-12" or "2026-12-02"
	month bool
	day   time.Time // the day's date, for single days
}

// plan covers from..to with whole months and the days at the edges; with
// days set, with days only.
func plan(from, to time.Time, days bool) []period {
	var out []period
	for d := from; !d.After(to); {
		if !days && d.Day() == 1 {
			next := d.AddDate(0, 1, 0)
			if !next.After(to.AddDate(0, 0, 1)) {
				out = append(out, period{name: d.Format("2006-01"), month: true})
				d = next
				continue
			}
		}
		out = append(out, period{name: d.Format(time.DateOnly), day: d})
		d = d.AddDate(0, 0, 1)
	}
	return out
}

// Later gives an office's events after its mark (see Mark), which its
// cells and pending entries do not count yet, and the office's zone (nil:
// a test office, never counted).
type Later func(office string) ([]domain.Event, *time.Location, error)

// Report answers q from the cells in tx, the pending deltas and the events
// later gives (nil: none): months wholly inside the period from month
// cells, the days at its edges from day cells. Rows come in key order,
// their labels empty. An office without cells reports zeros.
func Report(tx *bolt.Tx, q domain.StatsQuery, later Later) (domain.StatsReport, error) {
	if err := Validate(q); err != nil {
		return domain.StatsReport{}, err
	}
	from, _ := time.Parse(time.DateOnly, q.From)
	to, _ := time.Parse(time.DateOnly, q.To)
	root := tx.Bucket(bucketStats)
	if root == nil {
		return domain.StatsReport{}, fmt.Errorf("stats: no stats bucket in the data file")
	}
	var total sum
	rows := map[string]*sum{}
	row := func(key string) *sum {
		s := rows[key]
		if s == nil {
			s = &sum{}
			rows[key] = s
		}
		return s
	}
	periods := plan(from, to, q.By == domain.StatsByDay)
	planned := make(map[string]period, len(periods))
	for _, p := range periods {
		planned[p.name] = p
	}
	for _, office := range q.OfficeIDs {
		// visit adds one cell of a planned period to the total and rows.
		visit := func(p period, dim, value string, raw []byte) error {
			var into *sum
			switch {
			case dim == dimOffice:
				if err := total.add(raw); err != nil {
					return err
				}
				switch {
				case q.By == domain.StatsByOffice:
					into = row(office)
				case q.By == domain.StatsByDay:
					into = row(p.name)
				case q.By == domain.StatsByWeekday && !p.month:
					into = row(isoWeekday(p.day))
				}
			case dim == cellDim(q.By, p.month):
				into = row(value)
			}
			if into == nil {
				return nil
			}
			return into.add(raw)
		}
		if b := root.Bucket([]byte(office)); b != nil {
			for _, p := range periods {
				if err := readPeriod(b, p, cellDim(q.By, p.month), visit); err != nil {
					return domain.StatsReport{}, fmt.Errorf("%w (office %q, %s)", err, office, p.name)
				}
			}
		}
		err := eachPending(root, office, func(_, v []byte) error {
			return eachDelta(v, func(period, dim, value string, raw []byte) error {
				if p, ok := planned[period]; ok {
					return visit(p, dim, value, raw)
				}
				return nil
			})
		})
		if err != nil {
			return domain.StatsReport{}, fmt.Errorf("%w (office %q, pending)", err, office)
		}
		if later == nil {
			continue
		}
		events, loc, err := later(office)
		if err != nil {
			return domain.StatsReport{}, fmt.Errorf("stats: events of office %q after its mark: %w", office, err)
		}
		var d Deltas
		zone := func(string) (*time.Location, error) { return loc, nil }
		for _, e := range events {
			if err := d.Add(e, zone); err != nil {
				return domain.StatsReport{}, err
			}
		}
		for k, c := range d.acc.cells {
			if p, ok := planned[k.Period]; ok {
				if err := visit(p, k.Dim, k.Value, appendCell(nil, c)); err != nil {
					return domain.StatsReport{}, fmt.Errorf("%w (office %q, events after its mark)", err, office)
				}
			}
		}
	}
	rep := domain.StatsReport{Query: q, Total: total.metrics(), Rows: make([]domain.StatsRow, 0, len(rows))}
	for k, s := range rows {
		rep.Rows = append(rep.Rows, domain.StatsRow{Key: k, Metrics: s.metrics()})
	}
	sort.Slice(rep.Rows, func(i, j int) bool { return rep.Rows[i].Key < rep.Rows[j].Key })
	return rep, nil
}

// cellDim is the dim whose cell ranges make the rows of by; "" when the
// office cells already did.
func cellDim(by domain.StatsDim, month bool) string {
	switch by {
	case domain.StatsByOffice, domain.StatsByDay:
		return ""
	case domain.StatsByWeekday:
		if month {
			return dimWeekday
		}
		return ""
	}
	return string(by)
}

// readPeriod visits the office cell of p and, with dim set, the cells of
// dim in p: one contiguous cursor range.
func readPeriod(b *bolt.Bucket, p period, dim string, visit func(p period, dim, value string, raw []byte) error) error {
	if raw := b.Get(cellKey(Key{Period: p.name, Dim: dimOffice})); raw != nil {
		if err := visit(p, dimOffice, "", raw); err != nil {
			return err
		}
	}
	if dim == "" {
		return nil
	}
	prefix := cellKey(Key{Period: p.name, Dim: dim})
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := visit(p, dim, string(k[len(prefix):]), v); err != nil {
			return err
		}
	}
	return nil
}

// sum adds up the cells of a report row, its histograms dense.
type sum struct {
	c             Cell
	wait, service dense
}

func (s *sum) add(raw []byte) error { return addDecoded(&s.c, raw, &s.wait, &s.service) }

// metrics computes a row's figures from its summed counters.
func (s *sum) metrics() domain.StatsMetrics {
	n := &s.c.n
	m := domain.StatsMetrics{
		Issued: n[cIssued], Served: n[cServed], NoShow: n[cNoShow], Cancelled: n[cCancelled], Redirected: n[cRedirected], Postponed: n[cPostponed],
		Waited: n[cWaited], WaitMaxSeconds: n[cWaitMax], WithinNorm: n[cWithinNorm], OverNorm: n[cOverNorm],
		ServiceCount:   n[cServiceCount],
		OpenSeconds:    n[cOpenSec],
		ServingSeconds: n[cServingSec],
		PausedSeconds:  n[cPausedSec],
		IdleSeconds:    max(n[cOpenSec]-n[cServingSec]-n[cPausedSec], 0),
		EstimateCount:  n[cEstimateCount],
		RatingCount:    n[cRatingCount],
	}
	if w := n[cWaited]; w > 0 {
		m.WaitMeanSeconds = ratio(n[cWaitSum], w)
		m.WaitMinSeconds = s.wait.quantile(0, n[cWaitMax])
		m.WaitMedianSeconds = s.wait.quantile(0.5, n[cWaitMax])
		m.WaitP90Seconds = s.wait.quantile(0.9, n[cWaitMax])
		m.OverNormShare = ratio(n[cOverNorm], w)
	}
	if k := n[cServiceCount]; k > 0 {
		m.ServiceMeanSeconds = ratio(n[cServiceSum], k)
		m.ServiceP90Seconds = s.service.quantile(0.9, n[cServiceMax])
	}
	if n[cOpenSec] > 0 {
		m.TicketsPerOperatorHour = ratio(n[cServed]*3600, n[cOpenSec])
	}
	if k := n[cEstimateCount]; k > 0 {
		m.EstimateMAESeconds = ratio(n[cEstimateAbsErrSum], k)
		m.EstimateWithin5Share = ratio(n[cEstimateWithin5], k)
	}
	if n[cScoreCount] > 0 {
		m.RatingMean = ratio(n[cScoreSum], n[cScoreCount])
	}
	for _, id := range s.c.indicatorIDs() {
		sc := s.c.indicators[id]
		if sc.count > 0 {
			m.Indicators = append(m.Indicators, domain.StatsIndicatorMean{IndicatorID: id, Count: sc.count, Mean: ratio(sc.sum, sc.count)})
		}
	}
	return m
}

func ratio(a, b int64) float64 { return float64(a) / float64(b) }
