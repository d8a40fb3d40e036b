package engine

import (
	"fmt"
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

// A day's keys are found across blocks and growths, each with its own
// entry, a key put again keeps one record, and digests that start alike
// (one place to probe from) stay apart.
func TestIdemDayHoldsEveryKey(t *testing.T) {
	k := idemKeys{}
	const day = "2026-12-03"
	for i := range 5000 {
		k.put(day, fmt.Sprint("key", i), idemEntry{ticket: uint32(i), what: uint32(i % 7)})
	}
	k.put(day, "key10", idemEntry{ticket: 77, what: 1})
	var d idemDay
	for i := range 300 {
		var alike keyDigest
		alike[15] = byte(i)
		alike[14] = byte(i >> 8)
		d.put(alike, idemEntry{ticket: uint32(i)})
	}
	if n := k[day].n; n != 5000 || len(k[day].blocks) < 5 {
		t.Fatalf("%d records in %d blocks, want 5000 in several", n, len(k[day].blocks))
	}
	for i := range 5000 {
		want := idemEntry{ticket: uint32(i), what: uint32(i % 7)}
		if i == 10 {
			want = idemEntry{ticket: 77, what: 1}
		}
		if e, ok := k.get(day, fmt.Sprint("key", i)); !ok || e != want {
			t.Fatalf("key%d gives %+v %v, want %+v", i, e, ok, want)
		}
	}
	for i := range 300 {
		var alike keyDigest
		alike[15] = byte(i)
		alike[14] = byte(i >> 8)
		if r := d.find(alike); r == nil || r.entry.ticket != uint32(i) {
			t.Fatalf("digest %d alike in its start gives %+v", i, r)
		}
	}
	if _, ok := k.get(day, "key5000"); ok {
		t.Fatal("a key never put is found")
	}
	if _, ok := k.get("2026-12-04", "key1"); ok {
		t.Fatal("a key of one day is found on another")
	}
	k.forgetBefore("2026-12-04")
	if _, ok := k.get(day, "key1"); ok {
		t.Fatal("a key of a forgotten day is found")
	}
}
