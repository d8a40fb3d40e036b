package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/store"
)

// benchOffice adds windows and operators to the demo office so that n
// operators can call at once; it returns their clients and windows.
func benchOffice(b *testing.B, url string, n int) ([]*client.Client, []string) {
	b.Helper()
	ctx := context.Background()
	admin := login(b, url, "admin")
	clients := make([]*client.Client, n)
	windows := make([]string, n)
	for i := range n {
		id := fmt.Sprintf("bench%d", i)
		if _, err := admin.PutWindow(ctx, domain.Window{ID: id, OfficeID: demo.OfficeID, Number: 100 + i, ServiceIDs: []string{"passport"}}); err != nil {
			b.Fatal(err)
		}
		if _, err := admin.PutOperator(ctx, domain.Operator{ID: id, OfficeID: demo.OfficeID, Login: id, FullName: "Оператор " + id}); err != nil {
			b.Fatal(err)
		}
		account := domain.Account{Login: id, Role: domain.RoleOperator, OfficeID: demo.OfficeID, OperatorID: id}
		if _, err := admin.PutAccount(ctx, domain.AccountInput{Account: account, Password: "demo"}); err != nil {
			b.Fatal(err)
		}
		clients[i] = login(b, url, id)
		windows[i] = id
		if _, err := clients[i].OpenWindowSession(ctx, demo.OfficeID, id); err != nil {
			b.Fatal(err)
		}
	}
	return clients, windows
}

// measure runs total operations spread over workers, each worker starting
// its next operation every pace (back to back when pace is 0), and returns
// their latencies and the wall time.
func measure(b *testing.B, workers, total int, pace time.Duration, do func(worker int) error) ([]time.Duration, time.Duration) {
	b.Helper()
	lat := make([]time.Duration, 0, total)
	var mu sync.Mutex
	var wg sync.WaitGroup
	per := total / workers
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, per)
			next := time.Now().Add(time.Duration(w) * pace / time.Duration(workers))
			for range per {
				if pace > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(pace)
				}
				t0 := time.Now()
				if err := do(w); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return lat, time.Since(start)
}

func percentile(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return float64(lat[int(float64(len(lat)-1)*p)]) / float64(time.Millisecond)
}

func report(b *testing.B, lat []time.Duration, wall time.Duration) {
	b.ReportMetric(percentile(lat, 0.50), "p50-ms")
	b.ReportMetric(percentile(lat, 0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/wall.Seconds(), "ops/s")
}

// benchOps is how many operations each scenario measures.
const benchOps = 2000

// benchServices spread issued tickets over the demo menu, as a real day does.
var benchServices = []string{"passport", "foreign-passport", "registration", "realty-rights", "egrn", "benefits", "maternity-capital", "results", "status", "consultation"}

// paces are the scenarios per client count: back to back (the most the
// server does) and, with many clients, each client once every 50 ms (1,000
// operations a second in all, far above a real office), which shows the
// latency a terminal sees when the server is not saturated.
func paces(clients int) []time.Duration {
	if clients == 1 {
		return []time.Duration{0}
	}
	return []time.Duration{0, 50 * time.Millisecond}
}

func scenario(op string, clients int, pace time.Duration) string {
	if pace == 0 {
		return fmt.Sprintf("%s/clients=%d", op, clients)
	}
	return fmt.Sprintf("%s/clients=%d/rate=%d", op, clients, int(time.Duration(clients)*time.Second/pace))
}

// BenchmarkAPI measures issueTicket and callNext through the real server
// over loopback HTTP, every operation fsynced before it is answered.
func BenchmarkAPI(b *testing.B) {
	for _, clients := range []int{1, 50} {
		for _, pace := range paces(clients) {
			b.Run(scenario("issueTicket", clients, pace), func(b *testing.B) {
				url, _ := startServer(b, b.TempDir(), "--demo")
				kiosks := make([]*client.Client, clients)
				for i := range kiosks {
					kiosks[i] = login(b, url, "kiosk1")
				}
				ctx := context.Background()
				b.ResetTimer()
				for range b.N {
					lat, wall := measure(b, clients, benchOps, pace, func(w int) error {
						_, err := kiosks[w].IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: benchServices[w%len(benchServices)]})
						return err
					})
					report(b, lat, wall)
				}
			})
		}
		for _, pace := range paces(clients) {
			b.Run(scenario("callNext", clients, pace), func(b *testing.B) {
				url, _ := startServer(b, b.TempDir(), "--demo")
				ops, windows := benchOffice(b, url, clients)
				kiosk := login(b, url, "kiosk1")
				ctx := context.Background()
				for range b.N {
					for range benchOps {
						if _, err := kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
							b.Fatal(err)
						}
					}
					b.ResetTimer()
					lat, wall := measure(b, clients, benchOps, pace, func(w int) error {
						_, err := ops[w].CallNext(ctx, demo.OfficeID, windows[w], true)
						return err
					})
					report(b, lat, wall)
				}
			})
		}
	}
}

// BenchmarkStreamFanout measures, through the real server, how long after an
// operator presses "call next" each of 1,000 hall boards has the call.
func BenchmarkStreamFanout(b *testing.B) {
	const boards = 1000
	url, _ := startServer(b, b.TempDir(), "--demo")
	ctx := context.Background()
	token := login(b, url, "display1").Token()
	stream := strings.Replace(url, "http", "ws", 1) + "/api/v1/offices/" + demo.OfficeID + "/stream?token=" + token
	got := make([]chan time.Time, boards)
	for i := range boards {
		conn, _, err := websocket.DefaultDialer.Dial(stream, nil)
		if err != nil {
			b.Fatalf("board %d: %v", i, err)
		}
		defer conn.Close()
		got[i] = make(chan time.Time, 16)
		go func(c *websocket.Conn, out chan<- time.Time) {
			for {
				_, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				if strings.Contains(string(msg), `"type":"ticket.called"`) {
					out <- time.Now()
				}
			}
		}(conn, got[i])
	}
	kiosk, op := login(b, url, "kiosk1"), login(b, url, "operator1")
	if _, err := op.OpenWindowSession(ctx, demo.OfficeID, "w1"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if _, err := op.CallNext(ctx, demo.OfficeID, "w1", true); err != nil {
			b.Fatal(err)
		}
		lat := make([]time.Duration, 0, boards)
		timeout := time.After(30 * time.Second)
		for i := range boards {
			select {
			case at := <-got[i]:
				lat = append(lat, at.Sub(t0))
			case <-timeout:
				b.Fatalf("%d of %d boards got the call within 30 s", len(lat), boards)
			}
		}
		b.ReportMetric(percentile(lat, 0.50), "p50-ms")
		b.ReportMetric(percentile(lat, 0.99), "p99-ms")
		b.ReportMetric(percentile(lat, 1), "max-ms")
	}
}

// BenchmarkJournalCost measures what the audit journal adds to issueTicket
// at one client. Two servers, the journal on in one and off in the other,
// take turns ticket by ticket (which goes first alternates), so the disk's
// and the machine's moods fall on both alike instead of on whichever ran
// second.
func BenchmarkJournalCost(b *testing.B) {
	ctx := context.Background()
	kiosks := map[bool]*client.Client{}
	for _, on := range []bool{false, true} {
		f := serveFlags{addr: "127.0.0.1:0", data: b.TempDir(), demo: true, demoPassword: "demo", bcryptCost: 4, tokenTTL: time.Hour, noJournal: !on}
		url, _ := startWith(b, func(ctx context.Context, out io.Writer) error { return serveWith(ctx, f, out, io.Discard) })
		kiosks[on] = login(b, url, "kiosk1")
	}
	b.ResetTimer()
	for range b.N {
		lat := map[bool][]time.Duration{}
		for i := range benchOps {
			for _, on := range []bool{i%2 == 0, i%2 != 0} {
				t0 := time.Now()
				if _, err := kiosks[on].IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
					b.Fatal(err)
				}
				lat[on] = append(lat[on], time.Since(t0))
			}
		}
		off50, off99 := percentile(lat[false], 0.50), percentile(lat[false], 0.99)
		on50, on99 := percentile(lat[true], 0.50), percentile(lat[true], 0.99)
		b.ReportMetric(off50, "p50-off-ms")
		b.ReportMetric(on50, "p50-on-ms")
		b.ReportMetric(off99, "p99-off-ms")
		b.ReportMetric(on99, "p99-on-ms")
		b.ReportMetric(100*(on50-off50)/off50, "p50-added-%")
		b.ReportMetric(100*(on99-off99)/off99, "p99-added-%")
	}
}

// BenchmarkHeadroom sets issueTicket and callNext at one client, fsync on,
// beside the floor under them: the two fdatasyncs every bbolt commit needs
// (its pages, then its meta page), measured on the same filesystem in the
// same run. The three take turns operation by operation, so the disk's and
// the machine's moods fall on all alike. The -x metrics are p50 multiples
// of the floor's p50; the -cpu-ms metrics are the process's CPU time (all
// threads: client, server, garbage collector) per operation, the mean, which
// other work on the machine does not inflate as it does the latencies; the
// -pages metrics count the 4 KiB pages of the write-ahead log one
// operation changes (median of headroomSamples), what its one fdatasync
// waits for, and the -runs metrics the separate stretches of adjacent pages
// they make. The data file takes the operations later, in checkpoints of
// many, off the answer's path.
func BenchmarkHeadroom(b *testing.B) {
	dir := b.TempDir()
	url, _ := startServer(b, dir, "--demo")
	ctx := context.Background()
	kiosk, op := login(b, url, "kiosk1"), login(b, url, "operator1")
	if _, err := op.OpenWindowSession(ctx, demo.OfficeID, "w1"); err != nil {
		b.Fatal(err)
	}
	issue := func() error {
		_, err := kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
		return err
	}
	call := func() error {
		_, err := op.CallNext(ctx, demo.OfficeID, "w1", true)
		return err
	}
	floor, err := newSyncFloor(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer floor.Close()
	writes := sampleWrites(b, store.LogPath(filepath.Join(dir, dbFile)), issue, call)
	b.ResetTimer()
	for range b.N {
		var floorLat, issueLat, callLat []time.Duration
		var issueCPU, callCPU, unused time.Duration
		timed := func(lat *[]time.Duration, cpu *time.Duration, do func() error) {
			c0, t0 := cpuTime(b), time.Now()
			if err := do(); err != nil {
				b.Fatal(err)
			}
			*lat = append(*lat, time.Since(t0))
			*cpu += cpuTime(b) - c0
		}
		for range benchOps {
			timed(&floorLat, &unused, floor.commit)
			timed(&issueLat, &issueCPU, issue)
			timed(&floorLat, &unused, floor.commit)
			timed(&callLat, &callCPU, call)
		}
		b.StopTimer()
		f50 := percentile(floorLat, 0.50)
		i50, c50 := percentile(issueLat, 0.50), percentile(callLat, 0.50)
		b.ReportMetric(f50, "floor-p50-ms")
		b.ReportMetric(i50, "issueTicket-p50-ms")
		b.ReportMetric(i50/f50, "issueTicket-x")
		b.ReportMetric(c50, "callNext-p50-ms")
		b.ReportMetric(c50/f50, "callNext-x")
		b.ReportMetric(float64(issueCPU)/benchOps/float64(time.Millisecond), "issueTicket-cpu-ms")
		b.ReportMetric(float64(callCPU)/benchOps/float64(time.Millisecond), "callNext-cpu-ms")
		writes.report(b)
		b.StartTimer()
	}
}

// cpuTime is the CPU time the process has used so far, user and system.
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// writeSample is the median pages and runs one issueTicket and one
// callNext change in the data file.
type writeSample struct{ issuePages, issueRuns, callPages, callRuns float64 }

func sampleWrites(b *testing.B, data string, issue, call func() error) writeSample {
	b.Helper()
	var ip, ir, cp, cr []float64
	for range headroomSamples {
		for _, o := range []struct {
			do          func() error
			pages, runs *[]float64
		}{{issue, &ip, &ir}, {call, &cp, &cr}} {
			n, runs, err := pagesChanged(data, o.do)
			if err != nil {
				b.Fatal(err)
			}
			*o.pages, *o.runs = append(*o.pages, float64(n)), append(*o.runs, float64(runs))
		}
	}
	return writeSample{median(ip), median(ir), median(cp), median(cr)}
}

func (w writeSample) report(b *testing.B) {
	b.ReportMetric(w.issuePages, "issueTicket-pages")
	b.ReportMetric(w.issueRuns, "issueTicket-runs")
	b.ReportMetric(w.callPages, "callNext-pages")
	b.ReportMetric(w.callRuns, "callNext-runs")
}

// headroomSamples is how many operations of each kind the page count reads.
const headroomSamples = 15

// syncFloor does what a bbolt commit cannot do without: write a page and
// fdatasync, then write the meta page and fdatasync again. The file is
// allocated and synced beforehand, as a data file's pages are.
type syncFloor struct{ f *os.File }

func newSyncFloor(dir string) (*syncFloor, error) {
	f, err := os.OpenFile(filepath.Join(dir, "floor.probe"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteAt(make([]byte, 2*floorPage), 0); err != nil {
		_ = f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return &syncFloor{f: f}, nil
}

const floorPage = 4096

func (s *syncFloor) commit() error {
	page := make([]byte, floorPage)
	for i := range 2 {
		page[0]++
		if _, err := s.f.WriteAt(page, int64(i*floorPage)); err != nil {
			return err
		}
		if err := syscall.Fdatasync(int(s.f.Fd())); err != nil {
			return err
		}
	}
	return nil
}

func (s *syncFloor) Close() error { return s.f.Close() }

// pagesChanged runs do and counts the 4 KiB pages of file that differ
// afterwards, pages added at the end included, and the runs of adjacent
// ones among them.
func pagesChanged(file string, do func() error) (pages, runs int, err error) {
	before, err := os.ReadFile(file)
	if err != nil {
		return 0, 0, err
	}
	if err := do(); err != nil {
		return 0, 0, err
	}
	after, err := os.ReadFile(file)
	if err != nil {
		return 0, 0, err
	}
	last := -2
	for i := 0; i*floorPage < max(len(before), len(after)); i++ {
		if !bytes.Equal(pageAt(before, i*floorPage), pageAt(after, i*floorPage)) {
			pages++
			if i != last+1 {
				runs++
			}
			last = i
		}
	}
	return pages, runs, nil
}

func pageAt(file []byte, off int) []byte {
	if off >= len(file) {
		return nil
	}
	return file[off:min(off+floorPage, len(file))]
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
