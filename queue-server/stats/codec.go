package stats

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// cellFormat is the first byte of an encoded cell.
const cellFormat = 1

// A cell on disk (varints, so a day's cell is a few dozen bytes and a year
// report decodes tens of thousands of them in milliseconds):
//
//	format byte
//	uvarint mask of the non-zero counters, bit i for counter i (cIssued…)
//	varint per non-zero counter, in order
//	wait histogram, then service histogram: uvarint n, uvarint length in
//	  bytes, n × (uvarint gap from the previous non-empty bucket, the
//	  first from -1; varint count)
//	uvarint n, n × (uvarint length, indicator id, varint count, varint sum)
//
// The encoding of given figures is always the same bytes.

// merger adds deltas to encoded cells; its scratch is reused from cell to cell.
type merger struct {
	buf []byte
}

// merge returns the encoding of old, an encoded cell, plus d. It streams
// through old: sections d does not change are copied as they are, and a
// histogram d adds to is merged bucket by bucket, so a commit's cost does
// not grow with how full the stored histograms are.
func (m *merger) merge(old []byte, d *Cell) ([]byte, error) {
	if len(old) == 0 || old[0] != cellFormat {
		return nil, fmt.Errorf("stats: cell of unknown format")
	}
	r := reader{b: old[1:]}
	n, err := r.counters()
	if err != nil {
		return nil, err
	}
	c := Cell{n: n}
	c.addCounters(&d.n)
	out := make([]byte, 0, len(old)+16)
	out = append(out, cellFormat)
	out = appendCounters(out, &c.n)
	out = m.mergeHist(&r, out, d.wait)
	out = m.mergeHist(&r, out, d.service)
	if len(d.indicators) == 0 {
		out = append(out, r.b...)
	} else {
		old := Cell{}
		r.indicators(&old)
		for id, sc := range d.indicators {
			old.addScore(id, sc)
		}
		out = appendIndicators(out, &old)
	}
	if r.err != nil {
		return nil, fmt.Errorf("stats: cell %w", r.err)
	}
	return out, nil
}

// appendCell appends the encoding of c.
func appendCell(out []byte, c *Cell) []byte {
	out = append(out, cellFormat)
	out = appendCounters(out, &c.n)
	for _, h := range []hist{c.wait, c.service} {
		var body []byte
		prev := -1
		for _, x := range h {
			body = binary.AppendUvarint(body, uint64(int(x.b)-prev))
			body = binary.AppendVarint(body, x.n)
			prev = int(x.b)
		}
		out = binary.AppendUvarint(out, uint64(len(h)))
		out = binary.AppendUvarint(out, uint64(len(body)))
		out = append(out, body...)
	}
	return appendIndicators(out, c)
}

func appendCounters(out []byte, n *[nCounters]int64) []byte {
	var mask uint64
	for i, v := range n {
		if v != 0 {
			mask |= 1 << i
		}
	}
	out = binary.AppendUvarint(out, mask)
	for _, v := range n {
		if v != 0 {
			out = binary.AppendVarint(out, v)
		}
	}
	return out
}

func appendIndicators(out []byte, c *Cell) []byte {
	out = binary.AppendUvarint(out, uint64(len(c.indicators)))
	for _, id := range c.indicatorIDs() {
		sc := c.indicators[id]
		out = binary.AppendUvarint(out, uint64(len(id)))
		out = append(out, id...)
		out = binary.AppendVarint(out, sc.count)
		out = binary.AppendVarint(out, sc.sum)
	}
	return out
}

// mergeHist reads a histogram from r and appends it plus d. A section d
// does not change is copied whole; otherwise the buckets up to d's last
// are rewritten, and the rest copied after the first of them, whose gap
// may change.
func (m *merger) mergeHist(r *reader, out []byte, d hist) []byte {
	k, body := r.section()
	if r.err != nil || len(d) == 0 {
		out = binary.AppendUvarint(out, k)
		out = binary.AppendUvarint(out, uint64(len(body)))
		return append(out, body...)
	}
	w, prev := m.buf[:0], -1
	put := func(b int, n int64) {
		w = binary.AppendUvarint(w, uint64(b-prev))
		w = binary.AppendVarint(w, n)
		prev = b
	}
	it := pairs{r: reader{b: body}, left: k, last: -1}
	count := k
	for _, x := range d {
		b, ok := it.peek()
		for ok && b < int(x.b) {
			put(it.take())
			b, ok = it.peek()
		}
		if ok && b == int(x.b) {
			_, n := it.take()
			put(b, n+x.n)
		} else {
			put(int(x.b), x.n)
			count++
		}
	}
	if _, ok := it.peek(); ok {
		put(it.take())
		w = append(w, it.r.b...)
	}
	if it.r.err != nil {
		r.err = it.r.err
	}
	m.buf = w
	out = binary.AppendUvarint(out, count)
	out = binary.AppendUvarint(out, uint64(len(w)))
	return append(out, w...)
}

// pairs walks the buckets of a histogram section in order.
type pairs struct {
	r      reader
	left   uint64
	last   int // the bucket taken last
	peeked bool
	b      int
	n      int64
}

func (p *pairs) peek() (int, bool) {
	if p.peeked {
		return p.b, true
	}
	if p.left == 0 || p.r.err != nil {
		return 0, false
	}
	gap := p.r.uvarint()
	n := p.r.varint()
	if p.r.err == nil && (gap == 0 || gap > histLen || p.last+int(gap) >= histLen) {
		p.r.err = errors.New("histogram bucket out of range")
	}
	if p.r.err != nil {
		return 0, false
	}
	p.b, p.n, p.peeked = p.last+int(gap), n, true
	return p.b, true
}

func (p *pairs) take() (int, int64) {
	p.peeked = false
	p.left--
	p.last = p.b
	return p.b, p.n
}

var errShort = errors.New("truncated")

// reader walks an encoded cell; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

// addDecoded merges the encoded cell raw into c and its histograms into w
// and sv, without building a Cell of it: a report adds tens of thousands
// of cells into a few rows.
func addDecoded(c *Cell, raw []byte, w, sv *dense) error {
	if len(raw) == 0 || raw[0] != cellFormat {
		return fmt.Errorf("stats: cell of unknown format")
	}
	r := reader{b: raw[1:]}
	n, err := r.counters()
	if err != nil {
		return err
	}
	c.addCounters(&n)
	r.hist(w)
	r.hist(sv)
	r.indicators(c)
	if r.err != nil {
		return fmt.Errorf("stats: cell %w", r.err)
	}
	return nil
}

// decodeCell reads an encoded cell whole.
func decodeCell(raw []byte) (Cell, error) {
	var c Cell
	if len(raw) == 0 || raw[0] != cellFormat {
		return c, fmt.Errorf("stats: cell of unknown format")
	}
	r := reader{b: raw[1:]}
	n, err := r.counters()
	if err != nil {
		return c, err
	}
	c.n = n
	for _, h := range []*hist{&c.wait, &c.service} {
		k, body := r.section()
		it := pairs{r: reader{b: body}, left: k, last: -1}
		for _, ok := it.peek(); ok; _, ok = it.peek() {
			h.addBin(it.take())
		}
		if it.r.err != nil {
			r.err = it.r.err
		}
	}
	r.indicators(&c)
	if r.err != nil {
		return c, fmt.Errorf("stats: cell %w", r.err)
	}
	return c, nil
}

func (r *reader) counters() (n [nCounters]int64, err error) {
	mask := r.uvarint()
	if mask>>nCounters != 0 {
		return n, fmt.Errorf("stats: cell with counters this program does not know")
	}
	for i := range n {
		if mask&(1<<i) != 0 {
			n[i] = r.varint()
		}
	}
	if r.err != nil {
		return n, fmt.Errorf("stats: cell %w", r.err)
	}
	return n, nil
}

// indicators reads the scores per indicator into c.
func (r *reader) indicators(c *Cell) {
	for k := r.uvarint(); k > 0 && r.err == nil; k-- {
		l := r.uvarint()
		if r.err == nil && l > uint64(len(r.b)) {
			r.err = errShort
		}
		if r.err != nil {
			return
		}
		id := string(r.b[:l])
		r.b = r.b[l:]
		c.addScore(id, score{count: r.varint(), sum: r.varint()})
	}
}

// section reads a histogram section's bucket count and its bytes.
func (r *reader) section() (uint64, []byte) {
	k := r.uvarint()
	size := r.uvarint()
	if r.err == nil && size > uint64(len(r.b)) {
		r.err = errShort
	}
	if r.err != nil {
		return 0, nil
	}
	body := r.b[:size]
	r.b = r.b[size:]
	return k, body
}

// hist adds a histogram section to d: the innermost loop of a report.
func (r *reader) hist(d *dense) {
	k, body := r.section()
	b := -1
	for ; k > 0 && r.err == nil; k-- {
		gap, n := binary.Uvarint(body)
		if n <= 0 {
			r.err = errShort
			return
		}
		count, m := binary.Varint(body[n:])
		if m <= 0 {
			r.err = errShort
			return
		}
		body = body[n+m:]
		if gap == 0 || gap > histLen || b+int(gap) >= histLen {
			r.err = errors.New("histogram bucket out of range")
			return
		}
		b += int(gap)
		d[b] += count
	}
}
