package engine

import (
	"encoding/binary"
	"encoding/hex"
	"hash/maphash"
	"iter"
	"slices"

	"github.com/talonqueue/talon/queue-server/domain"
)

// ticketTable holds an office's tickets in memory: the live ones as they
// are, for routing and the indexes point into them, the finished ones
// packed into an arena. A region's day is hundreds of thousands of finished
// tickets, so neither the arena nor the indexes hold a pointer per ticket:
// the collector does not scan them and a ticket costs its packed bytes and
// a few index slots.
//
// Each ticket has an ordinal, given in the order the table first sees it
// and never given again; request keys name their ticket by it (idemEntry).
// The indexes map a hash of the id, of day and number and of the status
// token to the ordinal, and every hit is checked against the ticket itself,
// so a lookup is exact.
type ticketTable struct {
	dict *names
	hash func(string) uint64
	open map[uint32]*domain.Ticket
	// refs holds, by ordinal-base, where a finished ticket's record is in
	// the arena, 0 for an ordinal that is open or gone; base is the
	// ordinal of refs[0], and base+len(refs) the next one to give.
	refs  []uint64
	base  uint32
	arena arena
	// byID, byNumber (day+"/"+number) and byToken find tickets.
	byID, byNumber, byToken ordIndex
}

// noTicket is the ordinal of no ticket.
const noTicket = ^uint32(0)

func newTicketTable(dict *names) *ticketTable {
	seed := maphash.MakeSeed()
	return &ticketTable{dict: dict, hash: func(s string) uint64 { return maphash.String(seed, s) }, open: map[uint32]*domain.Ticket{}}
}

// ord is the ordinal of the ticket with id.
func (tt *ticketTable) ord(id string) (uint32, bool) {
	return tt.byID.get(tt.hash(id), func(o uint32) bool { k, ok := tt.keys(o); return ok && k.id == id })
}

// idOf is the id of the ticket of an ordinal, if the table still holds it.
func (tt *ticketTable) idOf(o uint32) (string, bool) {
	k, ok := tt.keys(o)
	return k.id, ok
}

// ticketKeys are the fields a packed ticket is found by, read in place.
type ticketKeys struct{ day, id, number string }

// keys reads the keys of the ticket of ordinal o.
func (tt *ticketTable) keys(o uint32) (ticketKeys, bool) {
	if t := tt.open[o]; t != nil {
		return ticketKeys{day: t.Day, id: t.ID, number: t.Number}, true
	}
	rec, ok := tt.record(o)
	if !ok {
		return ticketKeys{}, false
	}
	return recordKeys(rec, tt.dict)
}

func (tt *ticketTable) record(o uint32) ([]byte, bool) {
	if o < tt.base || o-tt.base >= uint32(len(tt.refs)) || tt.refs[o-tt.base] == 0 {
		return nil, false
	}
	return tt.arena.at(tt.refs[o-tt.base]), true
}

// recordKeys reads day, id and number from the front of a packed ticket
// (see packTicket): the day's name, the id, the office's name, the number.
// recordDay reads the day alone.
func recordKeys(rec []byte, dict *names) (ticketKeys, bool) {
	var seen [2]string
	n, off := 0, 0
	str := func() (string, bool) {
		h, k := binary.Uvarint(rec[off:])
		if k <= 0 {
			return "", false
		}
		off += k
		if h&1 == 1 {
			if h>>1 >= uint64(n) {
				return "", false
			}
			return seen[h>>1], true
		}
		if h>>1 > uint64(len(rec)-off) {
			return "", false
		}
		s := string(rec[off : off+int(h>>1)])
		off += int(h >> 1)
		if s != "" {
			seen[n] = s
			n++
		}
		return s, true
	}
	name := func() (string, bool) {
		i, k := binary.Uvarint(rec[off:])
		if k <= 0 || i >= uint64(len(dict.list)) {
			return "", false
		}
		off += k
		return dict.list[i], true
	}
	day, ok1 := name()
	var id string
	ok2 := off < len(rec)
	switch {
	case !ok2:
	case rec[off] == 1: // hex, see packer.hex
		off++
		n, k := binary.Uvarint(rec[off:])
		if ok2 = k > 0 && n <= uint64(len(rec)-off-k); ok2 {
			id = hex.EncodeToString(rec[off+k : off+k+int(n)])
			off += k + int(n)
		}
	default:
		off++
		id, ok2 = str()
	}
	_, ok3 := name() // the office
	number, ok4 := str()
	return ticketKeys{day: day, id: id, number: number}, ok1 && ok2 && ok3 && ok4
}

func recordDay(rec []byte, dict *names) (string, bool) {
	i, k := binary.Uvarint(rec)
	if k <= 0 || i >= uint64(len(dict.list)) {
		return "", false
	}
	return dict.list[i], true
}

// at is the ticket of ordinal o, as get gives it.
func (tt *ticketTable) at(o uint32) *domain.Ticket { return tt.find(o, true) }

// get finds a ticket by id: a live one itself, a finished one as a fresh
// copy, whose changes last only once put back.
func (tt *ticketTable) get(id string) *domain.Ticket {
	o, ok := tt.ord(id)
	if !ok {
		return nil
	}
	return tt.find(o, true)
}

// brief is get without the history of a finished ticket.
func (tt *ticketTable) brief(id string) *domain.Ticket {
	o, ok := tt.ord(id)
	if !ok {
		return nil
	}
	return tt.find(o, false)
}

// byDayNumber finds a ticket by its day and number.
func (tt *ticketTable) byDayNumber(day, number string) *domain.Ticket {
	key := day + "/" + number
	o, ok := tt.byNumber.get(tt.hash(key), func(o uint32) bool {
		k, ok := tt.keys(o)
		return ok && k.day == day && k.number == number
	})
	if !ok {
		return nil
	}
	return tt.find(o, true)
}

// byStatusToken finds a ticket by its status token; the ticket read to
// check a hit is the one returned.
func (tt *ticketTable) byStatusToken(token string) *domain.Ticket {
	if token == "" {
		return nil
	}
	var found *domain.Ticket
	tt.byToken.get(tt.hash(token), func(o uint32) bool {
		t := tt.find(o, true)
		if t == nil || t.StatusToken != token {
			return false
		}
		found = t
		return true
	})
	return found
}

func (tt *ticketTable) tokenOf(o uint32) string {
	if t := tt.find(o, false); t != nil {
		return t.StatusToken
	}
	return ""
}

func (tt *ticketTable) find(o uint32, history bool) *domain.Ticket {
	if t := tt.open[o]; t != nil {
		return t
	}
	rec, ok := tt.record(o)
	if !ok {
		return nil
	}
	t, err := unpackTicket(string(rec), history, tt.dict)
	if err != nil {
		return nil
	}
	return t
}

func (tt *ticketTable) has(id string) bool {
	_, ok := tt.ord(id)
	return ok
}

// put stores t as it is now: packed once it is finished. A finished ticket
// put again (a rating, a case number) is packed anew and its old record
// left dead in the arena until the day's sweep (forgetBefore).
func (tt *ticketTable) put(t *domain.Ticket) {
	o, ok := tt.ord(t.ID)
	if !ok {
		o = tt.base + uint32(len(tt.refs))
		tt.refs = append(tt.refs, 0)
		tt.byID.put(tt.hash(t.ID), o, func(x uint32) bool { id, ok := tt.idOf(x); return ok && id == t.ID })
	} else if old, ok := tt.record(o); ok {
		tt.arena.dead += len(old)
	} else if prev := tt.open[o]; prev != nil && prev != t {
		tt.unindex(o, prev.Day, prev.Number, prev.StatusToken)
	}
	if t.Status.Terminal() {
		tt.refs[o-tt.base] = tt.arena.add(packTicket(t, tt.dict))
		delete(tt.open, o)
	} else {
		tt.refs[o-tt.base] = 0
		tt.open[o] = t
	}
	key := t.Day + "/" + t.Number
	tt.byNumber.put(tt.hash(key), o, func(x uint32) bool {
		k, ok := tt.keys(x)
		return ok && k.day == t.Day && k.number == t.Number
	})
	if t.StatusToken != "" {
		tt.byToken.put(tt.hash(t.StatusToken), o, func(x uint32) bool { return tt.tokenOf(x) == t.StatusToken })
	}
}

// unindex takes ordinal o out of the number and token indexes where it is
// the one they give.
func (tt *ticketTable) unindex(o uint32, day, number, token string) {
	key := day + "/" + number
	tt.byNumber.remove(tt.hash(key), o)
	if token != "" {
		tt.byToken.remove(tt.hash(token), o)
	}
}

// forgetBefore drops the tickets of days before day and compacts the arena:
// the records left are copied to fresh chunks, and the dead bytes of
// tickets dropped or packed anew are freed. It returns the ids of the
// tickets dropped, by ordinal.
func (tt *ticketTable) forgetBefore(day string) map[uint32]string {
	dropped := map[uint32]string{}
	for i, ref := range tt.refs {
		if ref == 0 {
			continue
		}
		o := tt.base + uint32(i)
		k, ok := recordKeys(tt.arena.at(ref), tt.dict)
		if !ok || k.day >= day {
			continue
		}
		tt.unindex(o, k.day, k.number, tt.tokenOf(o))
		tt.byID.remove(tt.hash(k.id), o)
		tt.refs[i] = 0
		dropped[o] = k.id
	}
	if len(dropped) == 0 && tt.arena.dead == 0 {
		return dropped
	}
	for len(tt.refs) > 0 && tt.refs[0] == 0 && tt.open[tt.base] == nil {
		tt.refs = tt.refs[1:]
		tt.base++
	}
	tt.refs = slices.Clip(slices.Clone(tt.refs))
	var fresh arena
	for i, ref := range tt.refs {
		if ref != 0 {
			tt.refs[i] = fresh.add(tt.arena.at(ref))
		}
	}
	tt.arena = fresh
	return dropped
}

// Which finished tickets a scan wants: none, all, or all without their
// history, which is most of what unpacking costs.
type scan int

const (
	liveOnly scan = iota
	finished
	finishedBrief
)

// all yields every ticket, the finished ones unpacked.
func (tt *ticketTable) all() iter.Seq[*domain.Ticket] { return tt.on("", finished) }

// on yields the tickets of day ("" for every day), the finished ones as
// asked, unpacking only those of that day.
func (tt *ticketTable) on(day string, sc scan) iter.Seq[*domain.Ticket] {
	return func(yield func(*domain.Ticket) bool) {
		for _, t := range tt.open {
			if (day == "" || t.Day == day) && !yield(t) {
				return
			}
		}
		if sc == liveOnly {
			return
		}
		for _, ref := range tt.refs {
			if ref == 0 {
				continue
			}
			rec := tt.arena.at(ref)
			if d, ok := recordDay(rec, tt.dict); !ok || day != "" && d != day {
				continue
			}
			t, err := unpackTicket(string(rec), sc == finished, tt.dict)
			if err != nil {
				continue
			}
			if !yield(t) {
				return
			}
		}
	}
}

// ordIndex maps keys to ordinals by the keys' hashes, in one slice of
// slots with no pointers, open-addressed with linear probing. A slot holds
// the hash's high 32 bits, which place it, above ordinal+1 (0: empty); the
// caller's is checks every slot of a matching hash against the ticket, so a
// key found is always the key asked for.
type ordIndex struct {
	slots []uint64
	n     int
}

func (x *ordIndex) get(h uint64, is func(o uint32) bool) (uint32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	tag, mask := uint32(h>>32), uint32(len(x.slots)-1)
	for i := tag & mask; x.slots[i] != 0; i = (i + 1) & mask {
		if s := x.slots[i]; uint32(s>>32) == tag && is(uint32(s)-1) {
			return uint32(s) - 1, true
		}
	}
	return 0, false
}

// put maps the key of hash h to o, in place of o or of another ordinal
// is says holds the same key.
func (x *ordIndex) put(h uint64, o uint32, is func(o uint32) bool) {
	if 4*(x.n+1) > 3*len(x.slots) {
		x.grow()
	}
	tag, mask := uint32(h>>32), uint32(len(x.slots)-1)
	slot := uint64(tag)<<32 | uint64(o+1)
	i := tag & mask
	for ; x.slots[i] != 0; i = (i + 1) & mask {
		if s := x.slots[i]; uint32(s>>32) == tag && (uint32(s)-1 == o || is(uint32(s)-1)) {
			x.slots[i] = slot
			return
		}
	}
	x.slots[i] = slot
	x.n++
}

// remove unmaps the key of hash h where it maps to o, shifting back the
// slots after it that would no longer be reached.
func (x *ordIndex) remove(h uint64, o uint32) {
	if len(x.slots) == 0 {
		return
	}
	tag, mask := uint32(h>>32), uint32(len(x.slots)-1)
	slot := uint64(tag)<<32 | uint64(o+1)
	i := tag & mask
	for ; x.slots[i] != slot; i = (i + 1) & mask {
		if x.slots[i] == 0 {
			return
		}
	}
	for j := i; ; {
		j = (j + 1) & mask
		if x.slots[j] == 0 {
			break
		}
		home := uint32(x.slots[j]>>32) & mask
		// The slot at j stays if its home lies cyclically in (i, j].
		if i <= j && (home <= i || home > j) || i > j && home <= i && home > j {
			x.slots[i] = x.slots[j]
			i = j
		}
	}
	x.slots[i] = 0
	x.n--
}

func (x *ordIndex) grow() {
	old := x.slots
	x.slots = make([]uint64, max(16, 2*len(old)))
	mask := uint32(len(x.slots) - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := uint32(s>>32) & mask
		for x.slots[i] != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = s
	}
}

// arena holds packed tickets in chunks that are only appended to, each
// record behind its length. A reference is the chunk's number+1 above the
// offset, never 0.
type arena struct {
	chunks [][]byte
	dead   int // bytes of records replaced, freed by the next compaction
}

// Chunks grow from minChunk to maxChunk, so a small office holds little.
const (
	minChunk = 4 << 10
	maxChunk = 64 << 10
)

func (a *arena) add(rec []byte) uint64 {
	need := binary.MaxVarintLen64 + len(rec)
	n := len(a.chunks)
	if n == 0 || cap(a.chunks[n-1])-len(a.chunks[n-1]) < need {
		size := minChunk
		if n > 0 {
			size = min(maxChunk, 2*cap(a.chunks[n-1]))
		}
		a.chunks = append(a.chunks, make([]byte, 0, max(size, need)))
		n++
	}
	c := a.chunks[n-1]
	off := len(c)
	c = binary.AppendUvarint(c, uint64(len(rec)))
	a.chunks[n-1] = append(c, rec...)
	return uint64(n)<<32 | uint64(off)
}

func (a *arena) at(ref uint64) []byte {
	c := a.chunks[ref>>32-1]
	off := int(uint32(ref))
	n, k := binary.Uvarint(c[off:])
	return c[off+k : off+k+int(n)]
}
