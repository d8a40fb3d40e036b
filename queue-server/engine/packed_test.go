package engine

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// fill sets every field of v, recursively, to a value drawn from rng, so
// that a field the packing forgets cannot pass for one left at zero.
func fill(rng *rand.Rand, v reflect.Value, zones []*time.Location) {
	switch v.Interface().(type) {
	case time.Time:
		at := time.Unix(1_700_000_000+rng.Int64N(400_000_000)-200_000_000, rng.Int64N(1e9)).In(zones[rng.IntN(len(zones))])
		v.Set(reflect.ValueOf(at))
		return
	}
	switch v.Kind() {
	case reflect.String:
		// Few distinct values, so that the references are used too.
		v.SetString([]string{"w1", "op1", "s1", "Очередь №1", fmt.Sprint(rng.Int())}[rng.IntN(5)])
	case reflect.Int:
		v.SetInt(rng.Int64N(1<<40) - 1<<39)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(rng, v.Elem(), zones)
	case reflect.Slice:
		n := 1 + rng.IntN(5)
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			fill(rng, v.Index(i), zones)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			fill(rng, v.Field(i), zones)
		}
	default:
		panic("fill: no rule for " + v.Type().String())
	}
}

func TestPackedTicketReadsBackEveryField(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", 3*3600), time.FixedZone("MSK", 3*3600)}
	dict := newNames()
	for i := range 500 {
		var want domain.Ticket
		fill(rng, reflect.ValueOf(&want).Elem(), zones)
		if i%3 == 0 {
			want.AppointmentAt, want.CalledAt, want.ReturnTo, want.History = nil, nil, nil, nil
		}
		if i%7 == 0 {
			want.History = []domain.Step{}
			want.QueuedAt = time.Time{}
		}
		// Times that recur, as the call, start and finish do in the
		// history, some at the same instant in another zone.
		if at := want.FinishedAt; i%4 != 0 && at != nil {
			same := *at
			if i%4 == 2 {
				same = at.In(zones[(i/4)%len(zones)])
			}
			want.FirstCalledAt, want.QueuedAt = ptr(same), *at
			for j := range want.History {
				want.History[j].At = []time.Time{*at, same, want.CreatedAt}[j%3]
			}
		}
		p := string(packTicket(&want, &dict))
		got, err := unpackTicket(p, true, &dict)
		if err != nil {
			t.Fatalf("ticket %d: %v", i, err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("ticket %d reads back as\n%+v\nwant\n%+v", i, *got, want)
		}
		brief, err := unpackTicket(p, false, &dict)
		if want.History = nil; err != nil || !reflect.DeepEqual(*brief, want) {
			t.Fatalf("ticket %d without history reads back as\n%+v\nwant\n%+v (%v)", i, *brief, want, err)
		}
		if k, ok := recordKeys([]byte(p), &dict); !ok || k != (ticketKeys{day: want.Day, id: want.ID, number: want.Number}) {
			t.Fatalf("ticket %d: keys read in place %+v, want day %q, id %q, number %q", i, k, want.Day, want.ID, want.Number)
		}
	}
}

func TestPackedTicketRefusesDamage(t *testing.T) {
	tk := domain.Ticket{ID: "t1", Day: "2026-12-03", Number: "А001", Status: domain.StatusDone, CreatedAt: time.Unix(1_800_000_000, 5),
		History: []domain.Step{{At: time.Unix(1_800_000_060, 0), Action: domain.ActionIssue, Status: domain.StatusWaiting, By: "kiosk"}}}
	dict := newNames()
	p := string(packTicket(&tk, &dict))
	for n := range len(p) {
		if _, err := unpackTicket(p[:n], true, &dict); err == nil {
			t.Fatalf("the first %d of %d bytes read as a ticket", n, len(p))
		}
	}
	if _, err := unpackTicket(p+"x", true, &dict); err == nil {
		t.Fatal("a packed ticket with a byte too many reads as a ticket")
	}
}

// A finished ticket is held packed, and every answer about it is the one
// it got while live.
func TestFinishedTicketIsHeldPacked(t *testing.T) {
	f := newFixture(t)
	issued := f.issue("pass")
	called := f.callNext(f.op1, "w1")
	if called.ID != issued.ID {
		t.Fatalf("called %s, want %s", called.Number, issued.Number)
	}
	var ch domain.Changes
	done := must(f.e.FinishTicket(f.op1, "o1", called.ID, &ch))
	o := f.e.offices["o1"]
	n, _ := o.tickets.ord(done.ID)
	if _, ok := o.tickets.record(n); !ok || o.tickets.open[n] != nil {
		t.Fatalf("finished ticket held open %v, packed %v", o.tickets.open[n] != nil, ok)
	}
	stored := ch.Tickets[len(ch.Tickets)-1]
	if got := o.tickets.get(done.ID); !reflect.DeepEqual(*got, stored) {
		t.Fatalf("the packed ticket reads as\n%+v\nthe store got\n%+v", *got, stored)
	}
	got := must(f.e.GetTicket(f.op1, "o1", done.ID))
	if !reflect.DeepEqual(got, done) {
		t.Fatalf("GetTicket after the finish\n%+v\nthe finish answered\n%+v", got, done)
	}
}

// BenchmarkPackedTicket unpacks a served ticket as the load day leaves
// them (issued, called, started, finished) and reports its packed size.
func BenchmarkPackedTicket(b *testing.B) {
	at := time.Date(2026, 12, 3, 9, 15, 0, 180487912, time.Local)
	ptr := func(d time.Duration) *time.Time { t := at.Add(d); return &t }
	step := func(d time.Duration, act domain.Action, st domain.Status, by string) domain.Step {
		s := domain.Step{At: at.Add(d), Action: act, Status: st, By: by, ServiceID: "s6"}
		if act != domain.ActionIssue {
			s.WindowID, s.OperatorID = "w26", "op26"
		}
		return s
	}
	tk := domain.Ticket{ID: "01a23ab2cd24e17184f13f218d2d", OfficeID: "load007", Number: "Е185", Day: "2026-12-03", ServiceID: "s6", OriginalServiceID: "s6",
		Status: domain.StatusDone, CreatedAt: at, QueuedAt: at, CalledAt: ptr(80 * time.Second), ServiceStartedAt: ptr(84 * time.Second), FinishedAt: ptr(12 * time.Minute),
		WindowID: "w26", WindowNumber: 26, OperatorID: "op26", Purpose: domain.PurposeSubmit, FirstCalledAt: ptr(80 * time.Second), WaitNormSeconds: 900, ServiceSeconds: 636,
		StatusToken: "d27692787d996515c987d6cf0d66f4f2",
		History: []domain.Step{step(0, domain.ActionIssue, domain.StatusWaiting, "kiosk1@load007"), step(80*time.Second, domain.ActionCall, domain.StatusCalled, "load007-op26"),
			step(84*time.Second, domain.ActionStart, domain.StatusServing, "load007-op26"), step(12*time.Minute, domain.ActionFinish, domain.StatusDone, "load007-op26")}}
	dict := newNames()
	p := string(packTicket(&tk, &dict))
	for _, history := range []bool{true, false} {
		b.Run(fmt.Sprintf("history=%v", history), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := unpackTicket(p, history, &dict); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(p)), "packed-bytes")
		})
	}
}

// Ids and tokens of lowercase hex are packed as the bytes they spell, any
// other as it is, and each reads back as it was.
func TestPackedHexStrings(t *testing.T) {
	dict := newNames()
	for _, s := range []string{"01a23ab2cd24e17184f13f218d2d", "d27692787d996515c987d6cf0d66f4f2", "00", "0", "abc", "ABCD", "0g", "", "id17", "Очередь"} {
		want := domain.Ticket{ID: s, StatusToken: s + "ff", Day: "2026-12-03", Number: "А001", Status: domain.StatusDone}
		p := packTicket(&want, &dict)
		got, err := unpackTicket(string(p), true, &dict)
		if err != nil || !reflect.DeepEqual(*got, want) {
			t.Fatalf("%q reads back as %+v (%v)", s, got, err)
		}
		if k, ok := recordKeys(p, &dict); !ok || k != (ticketKeys{day: want.Day, id: s, number: want.Number}) {
			t.Fatalf("%q: keys read in place %+v", s, k)
		}
		plain := want
		plain.ID = strings.Repeat("z", len(s))
		plain.StatusToken = plain.ID + "zz"
		if n := len(packTicket(&plain, &dict)); isHex(s) && len(s) > 2 && len(p) >= n {
			t.Fatalf("%q packed in %d bytes, as many as a string not hex (%d)", s, len(p), n)
		}
	}
}
