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

// Counters of a cell, in the order of their encoding. A new counter goes
// at the end: cells on disk name theirs by position.
const (
	cIssued = iota
	cServed
	cNoShow
	cCancelled
	cRedirected
	cPostponed
	cWaited
	cWaitSum
	cWaitMax // merges by maximum
	cWithinNorm
	cOverNorm
	cServiceCount
	cServiceSum
	cServiceMax // merges by maximum
	cOpenSec
	cServingSec
	cPausedSec
	cEstimateCount
	cEstimateAbsErrSum
	cEstimateWithin5
	cRatingCount // ratings with at least one answer
	cScoreCount  // their answers
	cScoreSum
	nCounters
)

// Cell holds the figures of one Key: integer counters, histograms of waits
// and service times, and the scores per rating indicator. Only integers,
// so cells merge exactly in any order and a rebuild writes the same bytes.
// Reports read them through Report.
type Cell struct {
	n             [nCounters]int64
	wait, service hist
	indicators    map[string]score
}

type score struct{ count, sum int64 }

// Add merges d into c.
func (c *Cell) Add(d *Cell) {
	c.addCounters(&d.n)
	c.wait.add(d.wait)
	c.service.add(d.service)
	for id, s := range d.indicators {
		c.addScore(id, s)
	}
}

func (c *Cell) addCounters(n *[nCounters]int64) {
	wm, sm := max(c.n[cWaitMax], n[cWaitMax]), max(c.n[cServiceMax], n[cServiceMax])
	for i := range c.n {
		c.n[i] += n[i]
	}
	c.n[cWaitMax], c.n[cServiceMax] = wm, sm
}

func (c *Cell) addScore(id string, s score) {
	if c.indicators == nil {
		c.indicators = map[string]score{}
	}
	old := c.indicators[id]
	c.indicators[id] = score{count: old.count + s.count, sum: old.sum + s.sum}
}

// indicatorIDs returns the indicator ids in order, for a stable encoding.
func (c *Cell) indicatorIDs() []string {
	ids := make([]string, 0, len(c.indicators))
	for id := range c.indicators {
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

// hist counts durations by bucket, sparse: the non-empty buckets in
// order. A commit's deltas hold one bucket and a stored cell a few dozen.
type hist []bin

type bin struct {
	b int32
	n int64
}

func (h *hist) observe(s int64) { h.addBin(bucket(s), 1) }

// addBin adds n to bucket b; buckets mostly arrive in order, so the
// search usually ends at the tail.
func (h *hist) addBin(b int, n int64) {
	bins := *h
	i := len(bins)
	if i > 0 && int(bins[i-1].b) >= b {
		i = sort.Search(len(bins), func(j int) bool { return int(bins[j].b) >= b })
		if int(bins[i].b) == b {
			bins[i].n += n
			return
		}
	}
	bins = append(bins, bin{})
	copy(bins[i+1:], bins[i:])
	bins[i] = bin{b: int32(b), n: n}
	*h = bins
}

func (h *hist) add(d hist) {
	for _, x := range d {
		h.addBin(int(x.b), x.n)
	}
}

// dense counts durations by bucket, all of them: a report adds thousands
// of cells into one row.
type dense [histLen]int64

// quantile is the q-quantile (0 ≤ q ≤ 1; 0 is the minimum) by nearest rank, ceil(q·n), as the
// lower edge of the bucket holding it, never above the exact maximum.
func (h *dense) quantile(q float64, maxSeen int64) int64 {
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
