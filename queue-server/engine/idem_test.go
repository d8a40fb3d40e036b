package engine

import "testing"

// An entry answers for its own request only, whichever way it is kept.
func TestIdemEntryKnowsItsRequest(t *testing.T) {
	o := &office{names: map[string]string{}}
	issue := issueEntry("t1", "s1")
	finish := o.actionEntry("t1", "finishTicket ticket/t1")
	call := o.actionEntry("t2", "callNext window/w1")
	other := o.actionEntry("t3", "redirectTicket ticket/t9")
	for _, c := range []struct {
		name    string
		e       idemEntry
		request string
		want    bool
	}{
		{"the finish", finish, "finishTicket ticket/t1", true},
		{"the finish of another ticket", finish, "finishTicket ticket/t2", false},
		{"a longer id", finish, "finishTicket ticket/t10", false},
		{"another verb", finish, "startService ticket/t1", false},
		{"a verb it begins", finish, "finish ticket/t1", false},
		{"the call", call, "callNext window/w1", true},
		{"a call at another window", call, "callNext window/w2", false},
		{"an action on another ticket", other, "redirectTicket ticket/t9", true},
		{"an issue", issue, "finishTicket ticket/t1", false},
	} {
		if got := c.e.is(c.request); got != c.want {
			t.Errorf("%s: is(%q) = %v", c.name, c.request, got)
		}
	}
	if !issue.issued("s1") || issue.issued("s2") || finish.issued("") || call.issued("callNext window/w1") {
		t.Error("issued answers for what is not the issue of that service")
	}
	again := o.actionEntry("t4", "finishTicket ticket/t4")
	if len(o.names) != 2 || again.what != finish.what {
		t.Errorf("interned %v; want the verb and the call once each", o.names)
	}
}
