package region

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	bolt "go.etcd.io/bbolt"

	"github.com/talonqueue/talon/queue-server/domain"
)

// msg is a message of the regional stream as apply reads it: headers and
// body. apply calls nothing else; the stream's delivery is tested end to
// end (TestRegion in queue-server).
type msg struct {
	jetstream.Msg
	h    nats.Header
	body []byte
}

func (m msg) Headers() nats.Header { return m.h }
func (m msg) Data() []byte         { return m.body }

var day = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// issued is office's event seq: a ticket issued.
func issued(t *testing.T, office string, seq uint64) jetstream.Msg {
	t.Helper()
	e := domain.Event{Seq: seq, OfficeID: office, Type: domain.EventTicketIssued, At: day.Add(time.Duration(seq) * time.Minute),
		Ticket: &domain.Ticket{ID: "t" + strconv.FormatUint(seq, 10), ServiceID: "passport", CreatedAt: day}}
	body, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return msg{h: nats.Header{HeaderOffice: {office}, HeaderSeq: {strconv.FormatUint(seq, 10)}}, body: body}
}

func seqs(t *testing.T, ms []jetstream.Msg) []string {
	t.Helper()
	var out []string
	for _, m := range ms {
		out = append(out, m.Headers().Get(HeaderOffice)+"/"+m.Headers().Get(HeaderSeq))
	}
	return out
}

// An event is applied once, in its office's order: one that came before is
// confirmed and skipped, one ahead of its office waits, one of an office
// without a known zone or whose body does not match its headers waits; the
// statistics and the offices' progress say so, and survive a reopen.
func TestApplyOnceInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "region.db")
	r, err := OpenRegional(path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	r.known["a"], r.known["b"] = knownOffice{zone: time.UTC}, knownOffice{zone: time.UTC}
	bad := issued(t, "b", 2).(msg)
	bad.body = []byte(`{"seq":2,"office_id":"a"}`)
	steps := []struct {
		batch       []jetstream.Msg
		done, later string
	}{
		{[]jetstream.Msg{issued(t, "a", 1), issued(t, "a", 2), issued(t, "b", 1), issued(t, "a", 3)}, "[a/1 a/2 b/1 a/3]", "[]"},
		{[]jetstream.Msg{issued(t, "a", 2), issued(t, "a", 3), issued(t, "a", 4), issued(t, "a", 6), issued(t, "a", 5), issued(t, "c", 1)}, "[a/2 a/3 a/4 a/5]", "[a/6 c/1]"},
		{[]jetstream.Msg{bad, issued(t, "b", 3), issued(t, "a", 6)}, "[a/6]", "[b/2 b/3]"},
		{[]jetstream.Msg{issued(t, "b", 2)}, "[b/2]", "[]"},
	}
	for i, s := range steps {
		done, later, err := r.apply(s.batch)
		if err != nil {
			t.Fatal(err)
		}
		if got := seqs(t, done); fmt.Sprint(got) != s.done {
			t.Errorf("step %d: done %v, want %s", i, got, s.done)
		}
		if got := seqs(t, later); fmt.Sprint(got) != s.later {
			t.Errorf("step %d: later %v, want %s", i, got, s.later)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r, err = OpenRegional(path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := r.Progress()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(p); string(got) != `[{"office_id":"a","last_seq":6,"repeated":2},{"office_id":"b","last_seq":2,"repeated":0}]` {
		t.Fatalf("progress %s", got)
	}
	for office, want := range map[string]int64{"a": 6, "b": 2} {
		rep, err := r.Stats(domain.StatsQuery{OfficeIDs: []string{office}, From: "2026-12-03", To: "2026-12-03", By: domain.StatsByService})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Total.Issued != want {
			t.Errorf("office %s: %d issued, want %d", office, rep.Total.Issued, want)
		}
	}
	rep, err := r.Stats(domain.StatsQuery{From: "2026-12-03", To: "2026-12-03", By: domain.StatsByOffice})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Issued != 8 || len(rep.Rows) != 2 {
		t.Fatalf("the region: %+v", rep)
	}
}

// A test office's events are applied (its progress moves, so they do not
// wait for ever) but not counted: the region's figures and its dashboard
// leave it out, as an office server's own statistics do.
func TestSandboxOfficeIsNotCounted(t *testing.T) {
	r, err := OpenRegional(filepath.Join(t.TempDir(), "region.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	test := OfficeInfo{ID: "test", Feeds: &Catalog{Office: domain.Office{ID: "test", Sandbox: true}}}
	r.known["a"], r.known["test"] = knownOffice{zone: time.UTC}, knownOffice{info: test, zone: time.UTC}
	live := NewLive(r)
	live.ready = true
	r.OnApplied(live.Apply)
	done, later, err := r.apply([]jetstream.Msg{issued(t, "a", 1), issued(t, "test", 1), issued(t, "test", 2)})
	if err != nil || len(done) != 3 || len(later) != 0 {
		t.Fatalf("applied %v, later %v, %v", seqs(t, done), seqs(t, later), err)
	}
	p, err := r.Progress()
	if got, _ := json.Marshal(p); err != nil || string(got) != `[{"office_id":"a","last_seq":1,"repeated":0},{"office_id":"test","last_seq":2,"repeated":0}]` {
		t.Fatalf("progress %s, %v", got, err)
	}
	rep, err := r.Stats(domain.StatsQuery{From: "2026-12-03", To: "2026-12-03", By: domain.StatsByOffice})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Issued != 1 || len(rep.Rows) != 1 || rep.Rows[0].Key != "a" {
		t.Errorf("the region counts %+v; want office a's one ticket alone", rep)
	}
	if _, shown := live.offices["test"]; shown || live.offices["a"] == nil {
		t.Errorf("the dashboard shows %v; want office a alone", slices.Collect(maps.Keys(live.offices)))
	}
}

// The regional figures name offices and services from the offices'
// catalogues, and the rest in words; without a catalogue the ids stay.
func TestRegionalNames(t *testing.T) {
	r, err := OpenRegional(filepath.Join(t.TempDir(), "region.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	named := OfficeInfo{ID: "a", Feeds: &Catalog{Office: domain.Office{ID: "a", Name: "МФЦ на Арбате"}, Services: []domain.Service{{ID: "passport", Name: "Паспорт"}}}}
	r.known["a"], r.known["b"] = knownOffice{info: named, zone: time.UTC}, knownOffice{zone: time.UTC}
	live := NewLive(r)
	live.ready = true
	r.OnApplied(live.Apply)
	if _, _, err := r.apply([]jetstream.Msg{issued(t, "a", 1), issued(t, "b", 1)}); err != nil {
		t.Fatal(err)
	}
	labels := func(by domain.StatsDim, offices ...string) []string {
		rep, err := r.Stats(domain.StatsQuery{OfficeIDs: offices, From: "2026-12-03", To: "2026-12-03", By: by})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, row := range rep.Rows {
			out = append(out, row.Label)
		}
		return out
	}
	for _, c := range []struct {
		by      domain.StatsDim
		offices []string
		want    string
	}{
		{domain.StatsByOffice, nil, "[МФЦ на Арбате b]"},
		{domain.StatsByService, []string{"a"}, "[Паспорт]"},
		{domain.StatsByService, []string{"b"}, "[passport]"},
		{domain.StatsByDay, nil, "[03.12.2026, чт]"},
		{domain.StatsByHour, nil, "[09:00–10:00]"},
	} {
		if got := fmt.Sprint(labels(c.by, c.offices...)); got != c.want {
			t.Errorf("rows by %s of %v are %s, want %s", c.by, c.offices, got, c.want)
		}
	}
	// Without a period, today in the first office's zone.
	if rep, err := r.Stats(domain.StatsQuery{By: domain.StatsByOffice}); err != nil || rep.Query.From != time.Now().UTC().Format(time.DateOnly) || rep.Query.To != rep.Query.From {
		t.Errorf("a report without a period is of %s…%s (%v), want today", rep.Query.From, rep.Query.To, err)
	}
	if a, b := live.offices["a"].view(day), live.offices["b"].view(day); a.Name != "МФЦ на Арбате" || b.Name != "" {
		t.Errorf("the dashboard names the offices %q and %q", a.Name, b.Name)
	}
}

// A file of another layout is refused in words, not misread.
func TestOpenRefusesAnotherSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "region.db")
	r, err := OpenRegional(path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	err = r.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, []byte("2")) })
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := OpenRegional(path, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil || !strings.Contains(err.Error(), "схема 2") {
		t.Fatalf("a file of schema 2 opened: %v", err)
	}
}
