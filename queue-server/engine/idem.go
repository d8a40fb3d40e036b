package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"iter"
	"maps"
	"strings"
)

// dayKeys hold a value per request key (domain.IdempotencyKey) of recent
// days, by day and then key, for the few keys that need more than an
// idemEntry. A key is held as its digest, as in idemKeys.
type dayKeys[V any] map[string]map[keyDigest]V

// keyDigest stands for a request key: the first 128 bits of its SHA-256. Two
// keys of an office's day meet on one digest with a chance of about 10^-26
// at a million keys, and a client cannot choose keys that do.
type keyDigest [16]byte

func digestOf(key string) keyDigest {
	sum := sha256.Sum256([]byte(key))
	return keyDigest(sum[:16])
}

// idemRefusals are the few keys of an action refused after it changed
// state, with the refusal's words; office.otherRequests, the few requests
// an entry cannot name by an interned name (see idemEntry).
type idemRefusals = dayKeys[string]

// idemKeys are what each key of recent days did, by day: about four keys
// per ticket, the most numerous thing an office holds.
type idemKeys map[string]*idemDay

func (k idemKeys) get(day, key string) (idemEntry, bool) {
	if d := k[day]; d != nil {
		if r := d.find(digestOf(key)); r != nil {
			return r.entry, true
		}
	}
	return idemEntry{}, false
}

func (k idemKeys) put(day, key string, e idemEntry) {
	d := k[day]
	if d == nil {
		d = &idemDay{}
		k[day] = d
	}
	d.put(digestOf(key), e)
}

// forgetBefore drops the keys of days before day.
func (k idemKeys) forgetBefore(day string) { forgetDaysBefore(k, day) }

// forgetDaysBefore drops the entries of days before day from m, by day.
func forgetDaysBefore[V any](m map[string]V, day string) {
	maps.DeleteFunc(m, func(d string, _ V) bool { return d < day })
}

// idemDay holds a day's keys as records in blocks that hold no pointers
// and are filled in turn, found through an open-addressed index of their
// places: 24 bytes a record and a few for its slot, where a map spends
// about 40 a key with its empty slots.
type idemDay struct {
	blocks [][]idemRecord
	// slots hold a record's place+1: its block above its number in it.
	slots []uint32
	n     int
}

type idemRecord struct {
	key   keyDigest
	entry idemEntry
}

// Blocks grow from minIdemBlock records to maxIdemBlock, so a quiet office's
// day holds little.
const (
	minIdemBlock = 64
	maxIdemBlock = 1024
)

func (d *idemDay) at(place uint32) *idemRecord { return &d.blocks[place>>16][place&0xffff] }

// home is where a digest's probe starts: the digest is uniform already.
func home(key keyDigest, mask uint32) uint32 { return binary.LittleEndian.Uint32(key[:4]) & mask }

func (d *idemDay) find(key keyDigest) *idemRecord {
	if len(d.slots) == 0 {
		return nil
	}
	mask := uint32(len(d.slots) - 1)
	for i := home(key, mask); d.slots[i] != 0; i = (i + 1) & mask {
		if r := d.at(d.slots[i] - 1); r.key == key {
			return r
		}
	}
	return nil
}

func (d *idemDay) put(key keyDigest, e idemEntry) {
	if r := d.find(key); r != nil {
		r.entry = e
		return
	}
	if 4*(d.n+1) > 3*len(d.slots) {
		d.grow()
	}
	b := len(d.blocks) - 1
	if b < 0 || len(d.blocks[b]) == cap(d.blocks[b]) {
		size := minIdemBlock
		if b >= 0 {
			size = min(maxIdemBlock, 2*cap(d.blocks[b]))
		}
		d.blocks = append(d.blocks, make([]idemRecord, 0, size))
		b++
	}
	place := uint32(b)<<16 | uint32(len(d.blocks[b]))
	d.blocks[b] = append(d.blocks[b], idemRecord{key: key, entry: e})
	d.index(place)
	d.n++
}

func (d *idemDay) index(place uint32) {
	mask := uint32(len(d.slots) - 1)
	i := home(d.at(place).key, mask)
	for d.slots[i] != 0 {
		i = (i + 1) & mask
	}
	d.slots[i] = place + 1
}

func (d *idemDay) grow() {
	old := d.slots
	d.slots = make([]uint32, max(64, 2*len(old)))
	for _, s := range old {
		if s != 0 {
			d.index(s - 1)
		}
	}
}

// records yields every record of the day, to change in place.
func (d *idemDay) records() iter.Seq[*idemRecord] {
	return func(yield func(*idemRecord) bool) {
		for _, b := range d.blocks {
			for i := range b {
				if !yield(&b[i]) {
					return
				}
			}
		}
	}
}

// idemEntry is what a key did: the ticket it issued or acted on, by its
// ordinal in office.tickets, and the service of an issue or the request of
// an action, by its number in office.names, with two flags above it. Of an
// action on its own ticket ("finishTicket ticket/<id>") only the verb is
// named, as onTicket says; verbs and the requests naming a window are few,
// the verbs times the windows. An entry holds no pointer, and its record
// (idemRecord) is 24 bytes with the key's digest.
type idemEntry struct {
	ticket uint32 // noTicket for one the office did not hold
	what   uint32
}

const (
	whatAction   = 1 << 31
	whatOnTicket = 1 << 30
	// otherRequest is the name of an entry whose request is kept whole in
	// office.otherRequests: an action that named another ticket than the
	// one it answered with, whose name would be interned for that ticket
	// alone, or that acted on a ticket the office does not hold.
	otherRequest = whatOnTicket - 1
)

func (e idemEntry) action() bool   { return e.what&whatAction != 0 }
func (e idemEntry) onTicket() bool { return e.what&whatOnTicket != 0 }
func (e idemEntry) name() uint32   { return e.what &^ (whatAction | whatOnTicket) }

func (k dayKeys[V]) get(day, key string) (V, bool) {
	v, ok := k[day][digestOf(key)]
	return v, ok
}

func (k dayKeys[V]) put(day, key string, v V) { k.putDigest(day, digestOf(key), v) }

func (k dayKeys[V]) putDigest(day string, d keyDigest, v V) {
	if k[day] == nil {
		k[day] = map[keyDigest]V{}
	}
	k[day][d] = v
}

// forgetBefore drops the keys of days before day.
func (k dayKeys[V]) forgetBefore(day string) { forgetDaysBefore(k, day) }

// names numbers the names idemEntry refers to; number 0 is "", the service
// of an issue whose ticket is no longer known.
type names struct {
	number map[string]uint32
	list   []string
}

func newNames() names { return names{number: map[string]uint32{"": 0}, list: []string{""}} }

// of numbers s, keeping one copy of it.
func (n *names) of(s string) uint32 {
	if i, ok := n.number[s]; ok {
		return i
	}
	s = strings.Clone(s)
	i := uint32(len(n.list))
	n.number[s] = i
	n.list = append(n.list, s)
	return i
}

func (o *office) issueEntry(ticketID, serviceID string) idemEntry {
	return idemEntry{ticket: o.ordinal(ticketID), what: o.names.of(serviceID)}
}

// ordinal is the ordinal of a ticket of the office, noTicket for one it
// does not hold.
func (o *office) ordinal(ticketID string) uint32 {
	if n, ok := o.tickets.ord(ticketID); ok {
		return n
	}
	return noTicket
}

// putAction records under key of day that request acted on ticketID.
func (o *office) putAction(day, key, ticketID, request string) {
	n := o.ordinal(ticketID)
	if verb, ok := strings.CutSuffix(request, " ticket/"+ticketID); ok && n != noTicket {
		o.idem.put(day, key, idemEntry{ticket: n, what: o.names.of(verb) | whatAction | whatOnTicket})
		return
	}
	if strings.Contains(request, "ticket/") { // another ticket's: not a name to intern
		o.idem.put(day, key, idemEntry{ticket: n, what: otherRequest | whatAction})
		o.otherRequests.put(day, key, request)
		return
	}
	o.idem.put(day, key, idemEntry{ticket: n, what: o.names.of(request) | whatAction})
}

// issued says whether e, of a key, is the issue of a ticket for serviceID.
func (o *office) issued(e idemEntry, serviceID string) bool {
	return !e.action() && o.names.list[e.name()] == serviceID
}

// is says whether e, the entry of key of day, is the action request names.
func (o *office) is(e idemEntry, day, key, request string) bool {
	switch {
	case !e.action():
		return false
	case e.name() == otherRequest:
		r, _ := o.otherRequests.get(day, key)
		return r == request
	case !e.onTicket():
		return o.names.list[e.name()] == request
	}
	rest, ok := strings.CutPrefix(request, o.names.list[e.name()])
	if !ok {
		return false
	}
	id, ok := strings.CutPrefix(rest, " ticket/")
	held, known := o.tickets.idOf(e.ticket)
	return ok && known && id == held
}

// keepRequests rewrites the entries of keys that name their ticket by its
// ordinal, of a ticket just dropped (dropped: its id by ordinal), to keep
// their request whole: a key of a day kept may have acted on a ticket of a
// day before, and must still know its request.
func (o *office) keepRequests(day string, dropped map[uint32]string) {
	if len(dropped) == 0 {
		return
	}
	for d, keys := range o.idem {
		if d < day {
			continue // forgotten next
		}
		for r := range keys.records() {
			id, ok := dropped[r.entry.ticket]
			if !ok || !r.entry.onTicket() {
				continue
			}
			o.otherRequests.putDigest(d, r.key, o.names.list[r.entry.name()]+" ticket/"+id)
			r.entry = idemEntry{ticket: r.entry.ticket, what: otherRequest | whatAction}
		}
	}
}
