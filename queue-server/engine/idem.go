package engine

import (
	"crypto/sha256"
	"math"
	"strings"
)

// dayKeys hold a value per request key (domain.IdempotencyKey) of recent
// days, by day and then key. A region's day spends about four keys per
// ticket, over a million, so a key is held as its digest, in the map's own
// slot, and an entry holds no string of its own.
type dayKeys[V any] map[string]map[keyDigest]V

// keyDigest stands for a request key: the first 128 bits of its SHA-256. Two
// keys of an office's day meet on one digest with a chance of about 10^-26
// at a million keys, and a client cannot choose keys that do.
type keyDigest [16]byte

func digestOf(key string) keyDigest {
	sum := sha256.Sum256([]byte(key))
	return keyDigest(sum[:16])
}

// idemKeys are what each key did; refusals, the few keys of an action
// refused after it changed state, the refusal's words; otherRequests, the
// few requests an entry cannot name by an interned name (see actionEntry).
type (
	idemKeys     = dayKeys[idemEntry]
	idemRefusals = dayKeys[string]
)

// idemEntry is what a key did: the ticket it issued or acted on, and the
// service of an issue or the request of an action, by its number in
// office.names. Of an action on its own ticket ("finishTicket ticket/<id>")
// only the verb is named, as onTicket says; verbs and the requests naming a
// window are few, the verbs times the windows. ticketID shares the ticket's
// own string.
type idemEntry struct {
	ticketID string
	what     uint32
	action   bool
	onTicket bool
}

// otherRequest is the what of an entry whose request is kept whole in
// office.otherRequests: an action that named another ticket than the one it
// answered with, whose name would be interned for that ticket alone.
const otherRequest = math.MaxUint32

func (k dayKeys[V]) get(day, key string) (V, bool) {
	v, ok := k[day][digestOf(key)]
	return v, ok
}

func (k dayKeys[V]) put(day, key string, v V) {
	if k[day] == nil {
		k[day] = map[keyDigest]V{}
	}
	k[day][digestOf(key)] = v
}

// forgetBefore drops the keys of days before day.
func (k dayKeys[V]) forgetBefore(day string) {
	for d := range k {
		if d < day {
			delete(k, d)
		}
	}
}

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
	return idemEntry{ticketID: ticketID, what: o.names.of(serviceID)}
}

// putAction records under key of day that request acted on ticketID.
func (o *office) putAction(day, key, ticketID, request string) {
	if verb, ok := strings.CutSuffix(request, " ticket/"+ticketID); ok {
		o.idem.put(day, key, idemEntry{ticketID: ticketID, what: o.names.of(verb), action: true, onTicket: true})
		return
	}
	if strings.Contains(request, "ticket/") { // another ticket's: not a name to intern
		o.idem.put(day, key, idemEntry{ticketID: ticketID, what: otherRequest, action: true})
		o.otherRequests.put(day, key, request)
		return
	}
	o.idem.put(day, key, idemEntry{ticketID: ticketID, what: o.names.of(request), action: true})
}

// issued says whether e, of a key, is the issue of a ticket for serviceID.
func (o *office) issued(e idemEntry, serviceID string) bool {
	return !e.action && e.what != otherRequest && o.names.list[e.what] == serviceID
}

// is says whether e, the entry of key of day, is the action request names.
func (o *office) is(e idemEntry, day, key, request string) bool {
	switch {
	case !e.action:
		return false
	case e.what == otherRequest:
		r, _ := o.otherRequests.get(day, key)
		return r == request
	case !e.onTicket:
		return o.names.list[e.what] == request
	}
	rest, ok := strings.CutPrefix(request, o.names.list[e.what])
	if !ok {
		return false
	}
	id, ok := strings.CutPrefix(rest, " ticket/")
	return ok && id == e.ticketID
}
