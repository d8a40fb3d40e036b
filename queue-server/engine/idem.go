package engine

import "strings"

// dayKeys hold a value per request key (domain.IdempotencyKey) of recent
// days, by day and then key: a region's day spends about four keys per
// ticket, over a million, so an entry keeps no string of its own but the key.
type dayKeys[V any] map[string]map[string]V

// idemKeys are what each key did; refusals, the few keys of an action
// refused after it changed state, the refusal's words.
type (
	idemKeys     = dayKeys[idemEntry]
	idemRefusals = dayKeys[string]
)

// idemEntry is what a key did: the ticket it issued or acted on, and the
// service of an issue or the request of an action.
type idemEntry struct {
	ticketID string
	// what is the issue's service id, or the action's request; of an action
	// on its own ticket ("finishTicket ticket/<id>") only the verb, as
	// onTicket says. Verbs and the requests naming a window are interned
	// (office.names): they are few, the verbs times the windows.
	what     string
	action   bool
	onTicket bool
}

func (k dayKeys[V]) get(day, key string) (V, bool) {
	v, ok := k[day][key]
	return v, ok
}

func (k dayKeys[V]) put(day, key string, v V) {
	if k[day] == nil {
		k[day] = map[string]V{}
	}
	k[day][key] = v
}

// forgetBefore drops the keys of days before day.
func (k dayKeys[V]) forgetBefore(day string) {
	for d := range k {
		if d < day {
			delete(k, d)
		}
	}
}

func issueEntry(ticketID, serviceID string) idemEntry {
	return idemEntry{ticketID: ticketID, what: serviceID}
}

// actionEntry records request, an action on ticketID.
func (o *office) actionEntry(ticketID, request string) idemEntry {
	if verb, ok := strings.CutSuffix(request, " ticket/"+ticketID); ok {
		return idemEntry{ticketID: ticketID, what: o.intern(verb), action: true, onTicket: true}
	}
	if strings.Contains(request, "ticket/") {
		return idemEntry{ticketID: ticketID, what: request, action: true} // another ticket's: not a name to intern
	}
	return idemEntry{ticketID: ticketID, what: o.intern(request), action: true}
}

// issued says whether the entry is the issue of a ticket for serviceID.
func (e idemEntry) issued(serviceID string) bool { return !e.action && e.what == serviceID }

// is says whether the entry is the action request names.
func (e idemEntry) is(request string) bool {
	if !e.action {
		return false
	}
	if !e.onTicket {
		return e.what == request
	}
	rest, ok := strings.CutPrefix(request, e.what)
	if !ok {
		return false
	}
	id, ok := strings.CutPrefix(rest, " ticket/")
	return ok && id == e.ticketID
}

// intern keeps one copy of each action request's name.
func (o *office) intern(s string) string {
	if x, ok := o.names[s]; ok {
		return x
	}
	s = strings.Clone(s)
	o.names[s] = s
	return s
}
