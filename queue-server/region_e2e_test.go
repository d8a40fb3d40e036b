package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/natstest"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/region"
	"github.com/talonqueue/talon/queue-server/store"
)

// officeLog runs days at a real demo office (in process, its own data
// folder), stops it and reads from its file the whole event log and the
// office's own statistics of day.
func officeLog(t *testing.T, days int) ([]domain.Event, func(q domain.StatsQuery) domain.StatsReport) {
	t.Helper()
	dir := t.TempDir()
	url, stop := startServer(t, dir, "--demo")
	for range days {
		statsDay(t, url)
	}
	stop()
	st, err := store.Open(filepath.Join(dir, dbFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	var events []domain.Event
	for {
		page, err := st.Events(ctx, demo.OfficeID, uint64(len(events)), store.MaxEventsPage)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		events = append(events, page...)
	}
	return events, func(q domain.StatsQuery) domain.StatsReport {
		q.OfficeIDs = []string{demo.OfficeID}
		rep, err := st.Stats(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
}

// regionOffice is an office-like leaf node (the office node's embedded
// server stands in until office mode lands) holding an office's events.
type regionOffice struct {
	id     string
	node   *natstest.Office
	events []domain.Event
	sent   int
}

// send publishes the office's next n events as the contract says: the
// event's JSON with its office and seq in headers.
func (o *regionOffice) send(t *testing.T, n int) {
	t.Helper()
	for ; n > 0 && o.sent < len(o.events); n-- {
		e := o.events[o.sent]
		body, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		seq, err := o.node.Publish(context.Background(), map[string]string{region.HeaderOffice: o.id}, body)
		if err != nil {
			t.Fatal(err)
		}
		if seq != e.Seq {
			t.Fatalf("office %s: stream seq %d for event %d", o.id, seq, e.Seq)
		}
		o.sent++
	}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// converged waits until the regional server has applied want events of
// each office.
func converged(t *testing.T, regional string, want map[string]uint64) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var p []region.OfficeProgress
		getJSON(t, regional+"/region/offices", &p)
		got := map[string]uint64{}
		for _, o := range p {
			got[o.OfficeID] = o.LastSeq
		}
		if reflect.DeepEqual(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the region applied %v, want %v", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// bigTickets is the large office's backlog: long enough to kill the
// regional server in the middle of applying it.
const bigTickets = 1000

// TestRegion: two offices' logs (real demo offices' days) reach the
// regional server through their leaf links while the links are cut and
// restored, the regional server is killed in the middle of a large
// office's backlog and restarted, and a regional node dies; every event is applied once and in order (the server refuses
// anything else), and the region's statistics of each office are the
// office's own, those of both their sum.
func TestRegion(t *testing.T) {
	evA, ownA := officeLog(t, 1)
	evB, ownB := officeLog(t, 2)
	// Both servers seeded the demo office: the second becomes office
	// mfc-2 on its way to the region. The statistics read only the
	// event's office.
	for i := range evB {
		evB[i].OfficeID = "mfc-2"
	}

	ctx := context.Background()
	c, err := natstest.StartCluster(ctx, t.TempDir(), region.RegionDomain)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			for _, n := range c.Nodes {
				t.Logf("log of %s:\n%s", n.Name, n.Log)
			}
		}
	})
	var offices []*regionOffice
	for _, o := range []struct {
		id     string
		events []domain.Event
	}{{demo.OfficeID, evA}, {"mfc-2", evB}, {"mfc-big", natstest.TicketEvents("mfc-big", 0, evA[0].At, bigTickets, 50)}} {
		node, err := natstest.StartOffice(ctx, t.TempDir(), c, region.OfficeDomain(o.id), region.OfficeStream(o.id), region.OfficeSubject(o.id), region.HeaderSeq)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(node.Stop)
		offices = append(offices, &regionOffice{id: o.id, node: node, events: o.events})
		join(t, c.URLs(), o.id)
	}
	a, b, big := offices[0], offices[1], offices[2]
	third := func(o *regionOffice) int { return len(o.events)/3 + 1 }

	a.send(t, third(a))
	b.send(t, third(b))
	// The regional server reaches the cluster through a proxy, to be cut.
	var hosts []string
	for _, n := range c.Nodes {
		hosts = append(hosts, n.URL)
	}
	link, err := natstest.NewProxy(hosts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(link.Stop)
	data := t.TempDir()
	args := []string{"--region", link.ClientURL(), "--addr", "127.0.0.1:0", "--data", data}
	regional, regionalURL := testserver.StartArgs(t, args...)

	// Office A's link is cut while it keeps working.
	a.node.Proxy.Stop()
	nc, err := region.Connect(c.URLs(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if a.node.Reachable(ctx, nc) {
		t.Fatal("office A answers through a cut link")
	}
	a.send(t, third(a))
	b.send(t, third(b))
	converged(t, regionalURL, map[string]uint64{a.id: uint64(third(a)), b.id: uint64(2 * third(b))})

	// The regional server's own link is cut while it applies a large
	// office's backlog: it applies what it holds, its acknowledgements are
	// lost, and those events come again once it is back.
	b.send(t, third(b))
	half := len(big.events) / 2
	big.send(t, half)
	midFlow(t, regionalURL, big.id, uint64(half))
	link.Stop()
	time.Sleep(time.Second) // the server works through what it holds
	if err := link.Start(); err != nil {
		t.Fatal(err)
	}

	// It dies in the middle of the rest and comes back on its file: what
	// it held unconfirmed comes again, some of it after newer events.
	big.send(t, len(big.events))
	midFlow(t, regionalURL, big.id, uint64(len(big.events)))
	if err := regional.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = regional.Wait()
	_, regionalURL = testserver.StartArgs(t, args...)

	// A regional node dies; the link comes back; the rest flows.
	c.Nodes[1].Kill()
	if err := a.node.Proxy.Start(); err != nil {
		t.Fatal(err)
	}
	a.send(t, len(a.events))
	b.send(t, len(b.events))
	converged(t, regionalURL, map[string]uint64{a.id: uint64(len(evA)), b.id: uint64(len(evB)), big.id: uint64(len(big.events))})

	day := evA[0].At.In(mustLoc(t)).Format(time.DateOnly)
	regionStats := func(by domain.StatsDim, ids ...string) domain.StatsReport {
		q := url.Values{"from": {day}, "to": {day}, "by": {string(by)}, "office": ids}
		var rep domain.StatsReport
		getJSON(t, regionalURL+"/region/stats?"+q.Encode(), &rep)
		return rep
	}
	var p []region.OfficeProgress
	getJSON(t, regionalURL+"/region/offices", &p)
	if i := slices.IndexFunc(p, func(o region.OfficeProgress) bool { return o.OfficeID == big.id }); p[i].Repeated == 0 {
		t.Errorf("no event of the large office came twice: the cut tested nothing (%+v)", p)
	}
	// Each of the large office's tickets counted once.
	bigDay := regionStats(domain.StatsByOffice, big.id).Total
	if bigDay.Issued != bigTickets || bigDay.Served != bigTickets || bigDay.Waited != bigTickets {
		t.Errorf("the large office's day in the region: %+v, want %d tickets issued, waited and served", bigDay, bigTickets)
	}
	for _, by := range []domain.StatsDim{domain.StatsByService, domain.StatsByHour, domain.StatsByOperator} {
		q := domain.StatsQuery{From: day, To: day, By: by}
		repA, repB := ownA(q), ownB(q)
		if repA.Total.Issued == 0 || repB.Total.Issued == 0 {
			t.Fatalf("the offices' own statistics are empty: %+v %+v", repA.Total, repB.Total)
		}
		for _, c := range []struct {
			id  string
			own domain.StatsReport
		}{{a.id, repA}, {b.id, repB}} {
			got := regionStats(by, c.id)
			if !reflect.DeepEqual(got.Total, c.own.Total) || !reflect.DeepEqual(got.Rows, c.own.Rows) {
				t.Errorf("by %s, office %s: the region says\n%+v\nthe office\n%+v", by, c.id, got, c.own)
			}
		}
		both := regionStats(by, a.id, b.id).Total
		sum := func(f func(domain.StatsMetrics) int64) (got, want int64) {
			return f(both), f(repA.Total) + f(repB.Total)
		}
		for name, f := range map[string]func(domain.StatsMetrics) int64{
			"issued": func(m domain.StatsMetrics) int64 { return m.Issued }, "served": func(m domain.StatsMetrics) int64 { return m.Served },
			"no-show": func(m domain.StatsMetrics) int64 { return m.NoShow }, "waited": func(m domain.StatsMetrics) int64 { return m.Waited },
			"within norm": func(m domain.StatsMetrics) int64 { return m.WithinNorm }, "service count": func(m domain.StatsMetrics) int64 { return m.ServiceCount },
			"open seconds": func(m domain.StatsMetrics) int64 { return m.OpenSeconds }, "serving seconds": func(m domain.StatsMetrics) int64 { return m.ServingSeconds },
		} {
			if got, want := sum(f); got != want {
				t.Errorf("by %s, both offices, %s: %d, the offices' sum %d", by, name, got, want)
			}
		}
		if want := max(repA.Total.WaitMaxSeconds, repB.Total.WaitMaxSeconds); both.WaitMaxSeconds != want {
			t.Errorf("by %s, both offices: longest wait %d, the offices' %d", by, both.WaitMaxSeconds, want)
		}
	}
}

// midFlow waits until the regional server has applied some of an office's
// events up to seq, not all.
func midFlow(t *testing.T, regional, office string, seq uint64) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		var p []region.OfficeProgress
		getJSON(t, regional+"/region/offices", &p)
		i := slices.IndexFunc(p, func(o region.OfficeProgress) bool { return o.OfficeID == office })
		switch {
		case i >= 0 && p[i].LastSeq >= seq:
			t.Fatalf("the regional server applied office %s's backlog up to %d before it could be cut off mid-flow", office, seq)
		case i >= 0 && p[i].LastSeq > seq/2 && p[i].LastSeq < seq:
			return
		}
	}
	t.Fatalf("office %s's backlog did not start to flow", office)
}

// join adds an office to the region once its leaf link is up.
func join(t *testing.T, urls, id string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := run(context.Background(), []string{"region", "join", "--region", urls, "--office", id, "--time-zone", "Europe/Moscow"},
			func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("join %s: %v", id, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
