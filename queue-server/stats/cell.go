package stats

import (
	"math/bits"
	"sort"
)

// Dims of the cells. The report's dimensions map onto them; StatsByDay
// reads the day cells of dimOffice, and weekdays of single days too.
const (
	dimOffice      = "office"
	dimService     = "service"
	dimPurpose     = "purpose"
	dimOperator    = "operator"
	dimWindow      = "window"
	dimHour        = "hour"
	dimServiceHour = "service_hour"
	dimWeekday     = "weekday" // month cells only
)

// Key names a cell: one office, one period (an office-local day
// "2026-12-02" or month "2026-12"), one value of one dimension.
type Key struct {
	Office, Period, Dim, Value string
}

// Cell holds the counters of one Key. Only integers, so that cells merge
// exactly in any order and a rebuild gives the same bytes.
type Cell struct {
	Issued, Served, NoShow, Cancelled, Redirected, Postponed int64

	Waited, WaitSum, WaitMax, WithinNorm, OverNorm int64
	WaitHist                                       Hist

	ServiceCount, ServiceSum, ServiceMax int64
	ServiceHist                          Hist

	OpenSec, ServingSec, PausedSec int64

	EstimateCount, EstimateAbsErrSum, EstimateWithin5 int64

	// RatingCount counts ratings with answers; ScoreCount and ScoreSum
	// their answers, Indicators the same per indicator id.
	RatingCount, ScoreCount, ScoreSum int64
	Indicators                        map[string]Score
}

// Score is the count and sum of one indicator's scores.
type Score struct{ Count, Sum int64 }

// nCounters is the number of int64 counters field reaches.
const nCounters = 23

// field returns counter i of c, in the fixed order of the encoding;
// isMax tells the counters that merge by maximum.
func (c *Cell) field(i int) (v *int64, isMax bool) {
	switch i {
	case 0:
		return &c.Issued, false
	case 1:
		return &c.Served, false
	case 2:
		return &c.NoShow, false
	case 3:
		return &c.Cancelled, false
	case 4:
		return &c.Redirected, false
	case 5:
		return &c.Postponed, false
	case 6:
		return &c.Waited, false
	case 7:
		return &c.WaitSum, false
	case 8:
		return &c.WaitMax, true
	case 9:
		return &c.WithinNorm, false
	case 10:
		return &c.OverNorm, false
	case 11:
		return &c.ServiceCount, false
	case 12:
		return &c.ServiceSum, false
	case 13:
		return &c.ServiceMax, true
	case 14:
		return &c.OpenSec, false
	case 15:
		return &c.ServingSec, false
	case 16:
		return &c.PausedSec, false
	case 17:
		return &c.EstimateCount, false
	case 18:
		return &c.EstimateAbsErrSum, false
	case 19:
		return &c.EstimateWithin5, false
	case 20:
		return &c.RatingCount, false
	case 21:
		return &c.ScoreCount, false
	case 22:
		return &c.ScoreSum, false
	}
	return nil, false
}

// Add merges d into c.
func (c *Cell) Add(d *Cell) {
	for i := range nCounters {
		v, isMax := c.field(i)
		w, _ := d.field(i)
		addCounter(v, *w, isMax)
	}
	c.WaitHist.Add(d.WaitHist)
	c.ServiceHist.Add(d.ServiceHist)
	for id, s := range d.Indicators {
		c.addScore(id, s)
	}
}

func addCounter(v *int64, w int64, isMax bool) {
	if isMax {
		*v = max(*v, w)
	} else {
		*v += w
	}
}

func (c *Cell) addScore(id string, s Score) {
	if c.Indicators == nil {
		c.Indicators = map[string]Score{}
	}
	old := c.Indicators[id]
	c.Indicators[id] = Score{Count: old.Count + s.Count, Sum: old.Sum + s.Sum}
}

// indicatorIDs returns the indicator ids in order, for a stable encoding.
func (c *Cell) indicatorIDs() []string {
	ids := make([]string, 0, len(c.Indicators))
	for id := range c.Indicators {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Histogram buckets of seconds: 5 s wide below 10 minutes, 30 s below an
// hour, 5 minutes below 4 hours, and one bucket for all longer.
const (
	histFine   = 600 / 5            // buckets below 10 minutes
	histMid    = histFine + 3000/30 // … below an hour
	histCoarse = histMid + 10800/300
	histLen    = histCoarse + 1 // with the overflow bucket
)

// Hist counts durations by bucket; nil is empty. Counts are dense in
// memory and sparse on disk.
type Hist []int64

func bucket(s int64) int {
	switch {
	case s < 0:
		return 0
	case s < 600:
		return int(s / 5)
	case s < 3600:
		return histFine + int((s-600)/30)
	case s < 14400:
		return histMid + int((s-3600)/300)
	}
	return histCoarse
}

// lowerEdge is the least duration bucket b counts.
func lowerEdge(b int) int64 {
	switch {
	case b < histFine:
		return int64(b) * 5
	case b < histMid:
		return 600 + int64(b-histFine)*30
	case b < histCoarse:
		return 3600 + int64(b-histMid)*300
	}
	return 14400
}

// Observe counts one duration of s seconds.
func (h *Hist) Observe(s int64) {
	if *h == nil {
		*h = make(Hist, histLen)
	}
	(*h)[bucket(s)]++
}

// Add merges d into h.
func (h *Hist) Add(d Hist) {
	if d == nil {
		return
	}
	if *h == nil {
		*h = make(Hist, histLen)
	}
	for i, n := range d {
		(*h)[i] += n
	}
}

// Quantile is the q-quantile (0 < q ≤ 1) by nearest rank, ceil(q·n), as the
// lower edge of the bucket holding it, never above the exact maximum.
func (h Hist) Quantile(q float64, maxSeen int64) int64 {
	var n int64
	for _, c := range h {
		n += c
	}
	if n == 0 {
		return 0
	}
	rank := nearestRank(q, n)
	var seen int64
	for b, c := range h {
		if seen += c; seen >= rank {
			return min(lowerEdge(b), maxSeen)
		}
	}
	return maxSeen
}

// nearestRank is ceil(q·n), the rank of the q-quantile of n values, at least 1.
func nearestRank(q float64, n int64) int64 {
	// Integer arithmetic on per-mille avoids 0.9·10 = 9.000000000000002.
	pm := int64(q*1000 + 0.5)
	hi, lo := bits.Mul64(uint64(pm), uint64(n))
	r, rem := bits.Div64(hi, lo, 1000)
	if rem > 0 {
		r++
	}
	return max(int64(r), 1)
}
