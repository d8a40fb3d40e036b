package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/internal/natstest"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/region"
	"github.com/talonqueue/talon/queue-server/region/regiontest"
	"github.com/talonqueue/talon/queue-server/store"
)

// nodeProcess is a real office node: the queue-server binary with
// --office-node and its own data folder, linked to the region's cluster
// through a proxy that cuts the link when stopped.
type nodeProcess struct {
	id    string
	dir   string
	demo  bool
	proxy *natstest.Proxy
	args  []string
	cmd   *exec.Cmd
	url   string
}

// startNodeProcess links an office node for the office in dir to the
// cluster through a new proxy; demoOffice says whether dir is the demo's
// (seeded by --demo on first start) or an imported office's; extra are
// more flags of the node.
func startNodeProcess(t *testing.T, c *natstest.Cluster, id, dir string, demoOffice bool, extra ...string) *nodeProcess {
	t.Helper()
	p, err := natstest.NewProxy(c.LeafURLs())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	node := append([]string{"--office-node", "--region-url", p.URL(), "--region-max-store", "64MiB"}, extra...)
	args := append([]string{"--addr", "127.0.0.1:0", "--data", dir, "--bcrypt-cost", "4"}, node...)
	if demoOffice {
		args = testserver.DemoArgs(dir, "127.0.0.1:0", node...)
	}
	o := &nodeProcess{id: id, dir: dir, demo: demoOffice, proxy: p, args: args}
	o.start(t)
	return o
}

func (o *nodeProcess) start(t *testing.T) { o.cmd, o.url = testserver.StartArgs(t, o.args...) }

// stop ends the node with SIGTERM, which saves its cursor.
func (o *nodeProcess) stop(t *testing.T) {
	t.Helper()
	if err := o.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := o.cmd.Wait(); err != nil {
		t.Fatalf("office node %s did not stop cleanly on SIGTERM: %v", o.id, err)
	}
}

// kiosk is the office's kiosk1: the demo's paired by its administrator
// (as issueUntilKilled pairs it, which disconnects an earlier pairing),
// the imported office's with the credential its pairing wrote to the data
// folder. operator is operator1 (password "demo").
func (o *nodeProcess) kiosk(t *testing.T) *client.Client {
	t.Helper()
	if o.demo {
		return login(t, o.url, "kiosk1")
	}
	b, err := os.ReadFile(filepath.Join(o.dir, terminalsDir, "kiosk1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg terminalConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(o.url, client.WithDeviceCredential(cfg.Credential))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (o *nodeProcess) operator(t *testing.T) *client.Client { return login(t, o.url, "operator1") }

// day runs statsDay's day at the office.
func (o *nodeProcess) day(t *testing.T) { statsDayAt(t, o.kiosk(t), o.operator(t), o.id) }

// ownLog is the stopped office's whole log and its own statistics of a
// day by each of dims, read from its file.
func (o *nodeProcess) ownLog(t *testing.T, day string, dims []domain.StatsDim) ([]domain.Event, map[domain.StatsDim]domain.StatsReport) {
	t.Helper()
	st, err := store.Open(filepath.Join(o.dir, dbFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	var events []domain.Event
	for {
		page, err := st.Events(ctx, o.id, uint64(len(events)), store.MaxEventsPage)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		events = append(events, page...)
	}
	reps := map[domain.StatsDim]domain.StatsReport{}
	for _, by := range dims {
		if reps[by], err = st.Stats(ctx, domain.StatsQuery{From: day, To: day, By: by, OfficeIDs: []string{o.id}}); err != nil {
			t.Fatal(err)
		}
	}
	return events, reps
}

// importedOffice makes a data folder holding the demo office's file
// imported as office id, its devices paired (their files in the folder's
// terminals/) and its accounts' password "demo": an office of its own for a
// second office node.
func importedOffice(t *testing.T, id string) string {
	t.Helper()
	dir, file := t.TempDir(), filepath.Join(t.TempDir(), "office.yaml")
	if err := os.WriteFile(file, demo.File(), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"import-office", file, "--as", id, "--data", dir, "--initial-password", "demo", "--pair-devices", "http://127.0.0.1:1"}
	if err := run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatalf("import-office --as %s: %v", id, err)
	}
	return dir
}

// syntheticOffice is an office-like leaf node (natstest) publishing a
// generated day the way an office node publishes its log: a backlog of
// thousands of events that a real office would need minutes to make.
type syntheticOffice struct {
	id     string
	node   *natstest.Office
	events []domain.Event
	sent   int
}

// send publishes the office's next n events as the contract says: the
// event's JSON with its office and seq in headers.
func (o *syntheticOffice) send(t *testing.T, n int) {
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

// progress is how far the regional server has applied each office.
func progress(t *testing.T, regional string) map[string]region.OfficeProgress {
	t.Helper()
	var p []region.OfficeProgress
	getJSON(t, regional+"/region/offices", &p)
	out := map[string]region.OfficeProgress{}
	for _, o := range p {
		out[o.OfficeID] = o
	}
	return out
}

// converged waits until the regional server has applied want events of
// each office.
func converged(t *testing.T, regional string, want map[string]uint64) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got := map[string]uint64{}
		for id, o := range progress(t, regional) {
			got[id] = o.LastSeq
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

// following waits until the regional server has applied everything in the
// streams of the linked offices ids, and each has published something.
func following(t *testing.T, regional string, nc *nats.Conn, ids ...string) {
	t.Helper()
	regiontest.WaitFor(t, "the region applies what the linked offices published", func() bool {
		p := progress(t, regional)
		for _, id := range ids {
			if last, ok := natstest.StreamLast(nc, region.OfficeDomain(id), region.OfficeStream(id)); !ok || last == 0 || p[id].LastSeq != last {
				return false
			}
		}
		return true
	})
}

// bigTickets is the synthetic office's backlog: more than the regional
// server pulls at once, so that it is cut off and killed holding part of it.
const bigTickets = 1000

// TestRegion runs a region on loopback: the three-node cluster, two real
// office nodes (the demo office, and the demo's file imported as mfc-2 in
// a data folder of its own) and a synthetic large office, joined with
// `queue-server region join`, and the regional server. An office's link is
// cut while it issues and serves, it is killed with SIGKILL in the middle
// of issuing and restarted, and its link restored; the regional server's
// own link is cut and it is killed in the middle of the large office's
// backlog; a regional node dies; both office nodes restart at the end.
// Every event reaches the regional stream once and in its office's order,
// the regional server applies each once, and the region's statistics of
// each real office are the office's own, those of both their sum.
func TestRegion(t *testing.T) {
	ctx := context.Background()
	c := natstest.Start(t, region.RegionDomain)
	a := startNodeProcess(t, c, demo.OfficeID, t.TempDir(), true)
	b := startNodeProcess(t, c, "mfc-2", importedOffice(t, "mfc-2"), false)
	bigNode, err := natstest.StartOffice(ctx, t.TempDir(), c, region.OfficeDomain("mfc-big"), region.OfficeStream("mfc-big"), region.OfficeSubject("mfc-big"), region.HeaderSeq)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bigNode.Stop)
	// The backlog's day begins at the office's midnight: its tickets, ten
	// seconds apart and each served within the next half hour, span some
	// three and a half hours, which begun now would run into tomorrow on
	// an evening and leave the last tickets out of today's report.
	midnight := natstest.DayStart(time.Now(), mustLoc(t))
	big := &syntheticOffice{id: "mfc-big", node: bigNode, events: natstest.TicketEvents("mfc-big", 0, midnight, bigTickets, 50)}
	for _, id := range []string{a.id, b.id, big.id} {
		join(t, c.URLs(), id)
	}
	nc, err := region.Connect(c.URLs(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

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
	args := []string{"--region", link.ClientURL(), "--addr", "127.0.0.1:0", "--data", t.TempDir()}
	regional, regionalURL := testserver.StartArgs(t, args...)

	a.day(t)
	b.day(t)
	following(t, regionalURL, nc, a.id, b.id)

	// Office A's link is cut while it keeps issuing and serving; it is
	// killed with SIGKILL while kiosks issue and comes back, still cut off.
	a.proxy.Stop()
	if _, ok := natstest.StreamLast(nc, region.OfficeDomain(a.id), region.OfficeStream(a.id)); ok {
		t.Fatal("office A answers through a cut link")
	}
	atCut := progress(t, regionalURL)[a.id].LastSeq
	a.day(t)
	issueUntilKilled(t, a.cmd, a.url, 100)
	_ = a.cmd.Wait()
	a.start(t)
	a.day(t)
	b.day(t)
	following(t, regionalURL, nc, b.id)
	if got := progress(t, regionalURL)[a.id].LastSeq; got != atCut {
		t.Fatalf("the region applied office A's events up to %d through a cut link (%d at the cut)", got, atCut)
	}

	// The regional server's link fails one way while a large office's
	// backlog arrives: it is sent events and applies them, but its
	// acknowledgements are held, and lost when the link is then cut. Once
	// it is back, those events come again: they are skipped, and counted.
	// The office's first event goes through first: the server looks the
	// office's time zone up across the link, once.
	big.send(t, 1)
	regiontest.WaitFor(t, "the large office's first event applied", func() bool { return progress(t, regionalURL)[big.id].LastSeq == 1 })
	link.Hold()
	big.send(t, len(big.events)/2)
	regiontest.WaitFor(t, "the regional server applies events it cannot confirm", func() bool { return progress(t, regionalURL)[big.id].LastSeq > 1 })
	link.Stop()
	if err := link.Start(); err != nil {
		t.Fatal(err)
	}
	regiontest.WaitFor(t, "what it applied unconfirmed comes again and is skipped", func() bool { return progress(t, regionalURL)[big.id].Repeated > 0 })

	regionalConsumer := func() *jetstream.ConsumerInfo {
		cons, err := jsOf(t, nc).Consumer(ctx, region.RegionStream, region.ConsumerName)
		if err != nil {
			return &jetstream.ConsumerInfo{}
		}
		return cons.CachedInfo()
	}
	// Paused (SIGSTOP) while the rest arrives, it is killed (SIGKILL)
	// holding events it has not confirmed, and comes back on its file:
	// those come again, some of them after newer events.
	if err := regional.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	big.send(t, len(big.events))
	regiontest.WaitFor(t, "the paused regional server was sent events", func() bool { return regionalConsumer().NumAckPending > 0 })
	if err := regional.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = regional.Wait()
	_, regionalURL = testserver.StartArgs(t, args...)

	// A regional node dies; office A's link comes back and its backlog
	// flows by itself; both offices work on.
	c.Nodes[1].Kill()
	if err := a.proxy.Start(); err != nil {
		t.Fatal(err)
	}
	a.day(t)
	b.day(t)

	// Both office nodes stop (SIGTERM) so their files can be read, and
	// start again: whatever they had not published yet goes out now.
	day := time.Now().In(mustLoc(t)).Format(time.DateOnly)
	dims := []domain.StatsDim{domain.StatsByService, domain.StatsByHour, domain.StatsByOperator}
	a.stop(t)
	b.stop(t)
	evA, ownA := a.ownLog(t, day, dims)
	evB, ownB := b.ownLog(t, day, dims)
	a.start(t)
	b.start(t)
	converged(t, regionalURL, map[string]uint64{a.id: uint64(len(evA)), b.id: uint64(len(evB)), big.id: uint64(len(big.events))})

	// The regional stream holds each office's log once and in order.
	msgs := regiontest.Read(t, jsOf(t, nc), region.RegionStream)
	for _, o := range []struct {
		id     string
		events []domain.Event
	}{{a.id, evA}, {b.id, evB}, {big.id, big.events}} {
		var mine []regiontest.Message
		for _, m := range msgs {
			if m.Office == o.id {
				mine = append(mine, m)
			}
		}
		regiontest.CheckExactlyOnce(t, o.id, o.events, mine)
	}

	regionStats := func(by domain.StatsDim, ids ...string) domain.StatsReport {
		q := url.Values{"from": {day}, "to": {day}, "by": {string(by)}, "office": ids}
		var rep domain.StatsReport
		getJSON(t, regionalURL+"/region/stats?"+q.Encode(), &rep)
		return rep
	}
	// Each of the large office's tickets counted once.
	bigDay := regionStats(domain.StatsByOffice, big.id).Total
	if bigDay.Issued != bigTickets || bigDay.Served != bigTickets || bigDay.Waited != bigTickets {
		t.Errorf("the large office's day in the region: %+v, want %d tickets issued, waited and served", bigDay, bigTickets)
	}
	for _, by := range dims {
		repA, repB := ownA[by], ownB[by]
		if repA.Total.Issued == 0 || repB.Total.Issued == 0 || repA.Total.Served == 0 || repB.Total.Served == 0 {
			t.Fatalf("the offices' own statistics are empty: %+v %+v", repA.Total, repB.Total)
		}
		for _, c := range []struct {
			id  string
			own domain.StatsReport
		}{{a.id, repA}, {b.id, repB}} {
			got := regionStats(by, c.id)
			for i := range got.Rows {
				got.Rows[i].Label = "" // names for people; the office's report read from its file has none
			}
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

func jsOf(t *testing.T, nc *nats.Conn) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// join adds an office to the region once its leaf link is up, in Moscow's
// time zone; extra are more flags of region join, which take the place of
// the zone (an office file gives its own).
func join(t *testing.T, urls, id string, extra ...string) {
	t.Helper()
	args := append([]string{"region", "join", "--region", urls, "--office", id}, extra...)
	if len(extra) == 0 {
		args = append(args, "--time-zone", "Europe/Moscow")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("join %s: %v", id, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
