package stats

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// cellFormat is the first byte of an encoded cell.
const cellFormat = 1

// A cell on disk (varints, so a typical cell is a few dozen bytes and a year
// report decodes tens of thousands of them in milliseconds):
//
//	format byte
//	uvarint mask of the non-zero counters, bit i = counter i of Cell.field
//	varint per non-zero counter, in order
//	wait histogram, then service histogram: uvarint n, n × (uvarint gap
//	  from the previous non-empty bucket + 1, varint count)
//	uvarint n, n × (uvarint length, indicator id, varint count, varint sum)
func encode(c *Cell) []byte {
	out := make([]byte, 0, 64)
	out = append(out, cellFormat)
	var mask uint64
	for i := range nCounters {
		if v, _ := c.field(i); *v != 0 {
			mask |= 1 << i
		}
	}
	out = binary.AppendUvarint(out, mask)
	for i := range nCounters {
		if v, _ := c.field(i); *v != 0 {
			out = binary.AppendVarint(out, *v)
		}
	}
	out = appendHist(out, c.WaitHist)
	out = appendHist(out, c.ServiceHist)
	out = binary.AppendUvarint(out, uint64(len(c.Indicators)))
	for _, id := range c.indicatorIDs() {
		s := c.Indicators[id]
		out = binary.AppendUvarint(out, uint64(len(id)))
		out = append(out, id...)
		out = binary.AppendVarint(out, s.Count)
		out = binary.AppendVarint(out, s.Sum)
	}
	return out
}

func appendHist(out []byte, h Hist) []byte {
	n := 0
	for _, c := range h {
		if c != 0 {
			n++
		}
	}
	out = binary.AppendUvarint(out, uint64(n))
	prev := -1
	for b, c := range h {
		if c != 0 {
			out = binary.AppendUvarint(out, uint64(b-prev))
			out = binary.AppendVarint(out, c)
			prev = b
		}
	}
	return out
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

// addDecoded merges the encoded cell raw into c without building a Cell of
// it: reports fold tens of thousands of cells into a few.
func addDecoded(c *Cell, raw []byte) error {
	if len(raw) == 0 || raw[0] != cellFormat {
		return fmt.Errorf("stats: cell of unknown format")
	}
	r := reader{b: raw[1:]}
	mask := r.uvarint()
	if mask>>nCounters != 0 {
		return fmt.Errorf("stats: cell with counters this program does not know")
	}
	for i := range nCounters {
		if mask&(1<<i) != 0 {
			v, isMax := c.field(i)
			addCounter(v, r.varint(), isMax)
		}
	}
	r.hist(&c.WaitHist)
	r.hist(&c.ServiceHist)
	for n := r.uvarint(); n > 0 && r.err == nil; n-- {
		l := r.uvarint()
		if r.err == nil && l > uint64(len(r.b)) {
			r.err = errShort
		}
		if r.err != nil {
			break
		}
		id := string(r.b[:l])
		r.b = r.b[l:]
		s := Score{Count: r.varint(), Sum: r.varint()}
		c.addScore(id, s)
	}
	if r.err != nil {
		return fmt.Errorf("stats: cell %w", r.err)
	}
	return nil
}

func (r *reader) hist(h *Hist) {
	n := r.uvarint()
	if n == 0 || r.err != nil {
		return
	}
	if *h == nil {
		*h = make(Hist, histLen)
	}
	b := -1
	for ; n > 0 && r.err == nil; n-- {
		gap := r.uvarint()
		count := r.varint()
		if gap == 0 || gap > histLen || b+int(gap) >= histLen {
			r.err = errors.New("histogram bucket out of range")
			return
		}
		b += int(gap)
		(*h)[b] += count
	}
}
