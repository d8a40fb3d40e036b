package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// tableTicket is ticket i of day, finished or not.
func tableTicket(day string, i int, done bool) *domain.Ticket {
	at := time.Date(2026, 12, 3, 9, 0, i, 123456789, time.UTC)
	t := &domain.Ticket{ID: fmt.Sprintf("%s-id%04d", day, i), Day: day, OfficeID: "o1", Number: fmt.Sprintf("А%03d", i), ServiceID: "pass",
		Status: domain.StatusWaiting, CreatedAt: at, QueuedAt: at, StatusToken: fmt.Sprintf("%s-token%04d", day, i),
		History: []domain.Step{{At: at, Action: domain.ActionIssue, Status: domain.StatusWaiting, By: "k1"}}}
	if done {
		t.Status, t.FinishedAt = domain.StatusDone, ptr(at.Add(time.Minute))
		t.History = append(t.History, domain.Step{At: at.Add(time.Minute), Action: domain.ActionFinish, Status: domain.StatusDone, By: "op1", WindowID: "w1"})
	}
	return t
}

// wantHeld checks that every lookup of the table finds want exactly.
func wantHeld(t *testing.T, tt *ticketTable, want *domain.Ticket) {
	t.Helper()
	for name, got := range map[string]*domain.Ticket{"by id": tt.get(want.ID), "by number": tt.byDayNumber(want.Day, want.Number), "by token": tt.byStatusToken(want.StatusToken)} {
		if got == nil || !reflect.DeepEqual(*got, *want) {
			t.Fatalf("%s %s: got %+v", name, want.ID, got)
		}
	}
	if b := tt.brief(want.ID); b == nil || b.ID != want.ID || b.History != nil && want.Status.Terminal() {
		t.Fatalf("brief %s: got %+v", want.ID, b)
	}
}

func wantGone(t *testing.T, tt *ticketTable, gone *domain.Ticket) {
	t.Helper()
	if tt.get(gone.ID) != nil || tt.has(gone.ID) || tt.byDayNumber(gone.Day, gone.Number) != nil || tt.byStatusToken(gone.StatusToken) != nil {
		t.Fatalf("ticket %s still found", gone.ID)
	}
}

// With every key on one hash, each lookup still finds its own ticket and
// nothing for a key not held: hits are checked against the ticket.
func TestTicketTableIsExactUnderHashCollisions(t *testing.T) {
	dict := newNames()
	tt := newTicketTable(&dict)
	tt.hash = func(string) uint64 { return 42 }
	const day1, day2 = "2026-12-02", "2026-12-03"
	var all []*domain.Ticket
	for i := range 40 {
		day := day1
		if i%2 == 1 {
			day = day2
		}
		tk := tableTicket(day, i, i%3 != 0)
		tt.put(tk)
		all = append(all, tk)
	}
	for _, tk := range all {
		wantHeld(t, tt, tk)
	}
	for _, missing := range []*domain.Ticket{tableTicket(day1, 1, true), tableTicket("2026-12-04", 0, true)} {
		wantGone(t, tt, missing)
	}
	if tt.byStatusToken("") != nil {
		t.Fatal("the empty token finds a ticket")
	}
	// A live ticket finished is packed in place of the live one.
	live := all[0]
	done := *live
	done.Status, done.FinishedAt = domain.StatusCancelled, ptr(live.CreatedAt.Add(time.Hour))
	tt.put(&done)
	wantHeld(t, tt, &done)
	if n, _ := tt.ord(done.ID); tt.open[n] != nil {
		t.Fatal("a finished ticket is still held live")
	}
	all[0] = &done

	tt.forgetBefore(day2)
	for _, tk := range all {
		if tk.Day == day1 && tk.Status.Terminal() {
			wantGone(t, tt, tk)
		} else {
			wantHeld(t, tt, tk)
		}
	}
}

// The arena reads back every record, across chunks and for records larger
// than a chunk.
func TestArenaAcrossChunks(t *testing.T) {
	var a arena
	var recs [][]byte
	var refs []uint64
	for i := range 3000 {
		n := i % 300
		if i%1000 == 999 {
			n = maxChunk + i
		}
		rec := bytes.Repeat([]byte{byte(i)}, n)
		recs = append(recs, rec)
		refs = append(refs, a.add(rec))
	}
	if len(a.chunks) < 10 {
		t.Fatalf("%d chunks: the test does not cross chunks", len(a.chunks))
	}
	for i, ref := range refs {
		if ref == 0 || !bytes.Equal(a.at(ref), recs[i]) {
			t.Fatalf("record %d reads back as %d bytes, want %d", i, len(a.at(ref)), len(recs[i]))
		}
	}
}

// forgetBefore drops the finished tickets of past days, keeps the live and
// the recent ones, frees the arena's dead bytes, and stops holding the
// ordinals of the dropped.
func TestTicketTableForgetBefore(t *testing.T) {
	dict := newNames()
	tt := newTicketTable(&dict)
	days := []string{"2026-12-01", "2026-12-02", "2026-12-03"}
	var all []*domain.Ticket
	for _, day := range days {
		for i := range 500 {
			tk := tableTicket(day, i, i != 7)
			tt.put(tk)
			all = append(all, tk)
		}
	}
	// Packed anew: the first record is dead until the sweep.
	again := *tt.get(all[len(all)-1].ID)
	again.CaseNumber = "дело-1"
	tt.put(&again)
	all[len(all)-1] = &again
	if tt.arena.dead == 0 {
		t.Fatal("a ticket packed anew leaves no dead bytes")
	}
	size := func() (n int) {
		for _, c := range tt.arena.chunks {
			n += len(c)
		}
		return n
	}
	before := size()
	dropped := tt.forgetBefore(days[1])
	if len(dropped) != 499 {
		t.Fatalf("dropped %d tickets, want the 499 finished ones of the first day", len(dropped))
	}
	reported := map[string]bool{}
	for _, id := range dropped {
		reported[id] = true
	}
	for _, tk := range all {
		if tk.Day == days[0] && tk.Status.Terminal() {
			if !reported[tk.ID] {
				t.Fatalf("%s dropped but not reported", tk.ID)
			}
			wantGone(t, tt, tk)
		} else {
			wantHeld(t, tt, tk)
		}
	}
	if tt.arena.dead != 0 || size() >= before*3/4 {
		t.Fatalf("after the sweep the arena holds %d bytes (%d dead), before %d", size(), tt.arena.dead, before)
	}
	// The live ticket of the first day holds its ordinal; the dropped
	// before it are let go.
	if first, _ := tt.ord(all[7].ID); tt.base != first {
		t.Fatalf("ordinals held from %d, want from the first day's live ticket %d", tt.base, first)
	}
	fresh := tableTicket(days[2], 999, true)
	tt.put(fresh)
	wantHeld(t, tt, fresh)
}

// A request key of a day kept that acted on a ticket of a day dropped
// still knows its request, and no other.
func TestKeyOfDroppedTicketKeepsItsRequest(t *testing.T) {
	o := &office{idem: idemKeys{}, refusals: idemRefusals{}, otherRequests: dayKeys[string]{}, names: newNames(), rated: map[string]string{}}
	o.tickets = newTicketTable(&o.names)
	old := tableTicket("2026-12-02", 1, true)
	o.tickets.put(old)
	const today = "2026-12-03"
	o.putAction(today, "k", old.ID, "finishTicket ticket/"+old.ID)
	o.putAction("2026-12-02", "k-old", old.ID, "finishTicket ticket/"+old.ID)
	o.forgetBefore(today)
	if o.tickets.has(old.ID) {
		t.Fatal("the past day's ticket is still held")
	}
	e, ok := o.idem.get(today, "k")
	if !ok || !o.is(e, today, "k", "finishTicket ticket/"+old.ID) || o.is(e, today, "k", "finishTicket ticket/"+old.ID+"0") || o.is(e, today, "k", "startService ticket/"+old.ID) {
		t.Fatalf("the kept key answers wrongly for its request (%v %+v)", ok, e)
	}
	if _, ok := o.idem.get("2026-12-02", "k-old"); ok {
		t.Fatal("a key of the past day is kept")
	}
	if o.tickets.at(e.ticket) != nil {
		t.Fatal("the kept key finds the dropped ticket")
	}
}

// After a day of finished, rated and redirected tickets, a reload holds
// every ticket exactly as it was, found by id, number and token.
func TestReloadHoldsEveryTicket(t *testing.T) {
	f := newFixture(t)
	for i := range 30 {
		f.issue([]string{"pass", "realty"}[i%2])
		f.now = f.now.Add(time.Minute)
	}
	for i := range 20 {
		tk := f.callNext(f.op1, "w1")
		f.now = f.now.Add(time.Minute)
		switch i % 4 {
		case 0:
			must(f.e.AttachCaseNumber(f.op1, "o1", tk.ID, fmt.Sprintf("дело-%d", i), &f.log))
			must(f.e.FinishTicket(f.op1, "o1", tk.ID, &f.log))
		case 1:
			must(f.e.MarkNoShow(f.op1, "o1", tk.ID, &f.log))
		case 2:
			must(f.e.RedirectTicket(f.op1, "o1", tk.ID, domain.Redirect{ServiceID: "realty"}, &f.log))
		default:
			must(f.e.StartService(f.op1, "o1", tk.ID, &f.log))
			must(f.e.FinishTicket(f.op1, "o1", tk.ID, &f.log))
		}
	}
	reloaded := must(Load(f.config(), fold(f.log)))
	before, after := f.e.offices["o1"].tickets, reloaded.offices["o1"].tickets
	var ids []string
	for tk := range before.all() {
		ids = append(ids, tk.ID)
		got := after.get(tk.ID)
		if got == nil {
			t.Fatalf("ticket %s not found after reload", tk.Number)
		}
		b, _ := json.Marshal(tk)
		a, _ := json.Marshal(got)
		if string(a) != string(b) {
			t.Fatalf("ticket %s after reload\n%s\nbefore\n%s", tk.Number, a, b)
		}
		if n := after.byDayNumber(tk.Day, tk.Number); n == nil || n.ID != tk.ID {
			t.Fatalf("ticket %s not found by its number after reload", tk.Number)
		}
		if n := after.byStatusToken(tk.StatusToken); n == nil || n.ID != tk.ID {
			t.Fatalf("ticket %s not found by its token after reload", tk.Number)
		}
	}
	var reloadedIDs []string
	for tk := range after.all() {
		reloadedIDs = append(reloadedIDs, tk.ID)
	}
	slices.Sort(ids)
	slices.Sort(reloadedIDs)
	if len(ids) != 30 || strings.Join(ids, ",") != strings.Join(reloadedIDs, ",") {
		t.Fatalf("tickets before reload %v, after %v", ids, reloadedIDs)
	}
}

// The index answers as a map does through puts and removes, with hashes
// that crowd into few places, share their high bits, or place their keys in
// the table's last slots, so runs of slots wrap around its end.
func TestOrdIndexAsAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, spread := range []uint64{1, 5, 1000, 1 << 32} {
		for _, atEnd := range []bool{false, true} {
			testOrdIndex(t, rng, spread, atEnd)
		}
	}
}

func testOrdIndex(t *testing.T, rng *rand.Rand, spread uint64, atEnd bool) {
	t.Helper()
	var x ordIndex
	want := map[string]uint32{}
	keyOf := map[uint32]string{}
	hash := func(k string) uint64 {
		h := maphash.String(seed, k) % spread
		if atEnd {
			h = 1<<32 - 1 - h%8
		}
		return h << 32
	}
	for n := range 20000 {
		k := fmt.Sprintf("k%d", rng.IntN(3000))
		is := func(o uint32) bool { return keyOf[o] == k }
		if o, ok := want[k]; ok && rng.IntN(2) == 0 {
			x.remove(hash(k), o)
			delete(want, k)
			continue
		}
		o := uint32(n)
		keyOf[o] = k
		x.put(hash(k), o, is)
		want[k] = o
	}
	if x.n != len(want) {
		t.Fatalf("spread %d, at the end %v: %d slots used, want %d", spread, atEnd, x.n, len(want))
	}
	for i := range 3000 {
		k := fmt.Sprintf("k%d", i)
		o, ok := x.get(hash(k), func(o uint32) bool { return keyOf[o] == k })
		if w, held := want[k]; ok != held || ok && o != w {
			t.Fatalf("spread %d, at the end %v: %s gives %d %v, want %d %v", spread, atEnd, k, o, ok, w, held)
		}
	}
}

// seed is the test indexes' hash seed.
var seed = maphash.MakeSeed()
