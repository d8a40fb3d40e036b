package engine

import (
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

// An entry answers for its own request only, whichever way it is kept.
func TestIdemEntryKnowsItsRequest(t *testing.T) {
	o := &office{idem: idemKeys{}, otherRequests: dayKeys[string]{}, names: newNames()}
	o.tickets = newTicketTable(&o.names)
	const day = "2026-12-03"
	for _, id := range []string{"t1", "t2", "t3", "t4"} {
		o.tickets.put(&domain.Ticket{ID: id, Day: day, Number: id, Status: domain.StatusWaiting})
	}
	o.idem.put(day, "issue", o.issueEntry("t1", "s1"))
	o.putAction(day, "finish", "t1", "finishTicket ticket/t1")
	o.putAction(day, "call", "t2", "callNext window/w1")
	o.putAction(day, "other", "t3", "redirectTicket ticket/t9")
	for _, c := range []struct {
		name, key, request string
		want               bool
	}{
		{"the finish", "finish", "finishTicket ticket/t1", true},
		{"the finish of another ticket", "finish", "finishTicket ticket/t2", false},
		{"a longer id", "finish", "finishTicket ticket/t10", false},
		{"another verb", "finish", "startService ticket/t1", false},
		{"a verb it begins", "finish", "finish ticket/t1", false},
		{"the call", "call", "callNext window/w1", true},
		{"a call at another window", "call", "callNext window/w2", false},
		{"an action on another ticket", "other", "redirectTicket ticket/t9", true},
		{"another action on another ticket", "other", "redirectTicket ticket/t8", false},
		{"an issue", "issue", "finishTicket ticket/t1", false},
	} {
		e, ok := o.idem.get(day, c.key)
		if !ok {
			t.Fatalf("%s: key %q not found", c.name, c.key)
		}
		if got := o.is(e, day, c.key, c.request); got != c.want {
			t.Errorf("%s: is(%q) = %v", c.name, c.request, got)
		}
	}
	entry := func(key string) idemEntry {
		e, _ := o.idem.get(day, key)
		return e
	}
	if !o.issued(entry("issue"), "s1") || o.issued(entry("issue"), "s2") || o.issued(entry("finish"), "") || o.issued(entry("call"), "callNext window/w1") || o.issued(entry("other"), "") {
		t.Error("issued answers for what is not the issue of that service")
	}
	if _, ok := o.idem.get("2026-12-04", "finish"); ok {
		t.Error("a key of one day answers on another")
	}
	o.putAction(day, "again", "t4", "finishTicket ticket/t4")
	if len(o.names.list) != 4 || entry("again").what != entry("finish").what {
		t.Errorf("named %q; want the empty name, the service, the verb and the call once each", o.names.list)
	}
}
