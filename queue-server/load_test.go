package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// The load harness plays whole office days against the real server (built
// and started by internal/testserver, data in a real bbolt file): every
// office is set up through the API as an administrator would, then its
// kiosk issues the day's tickets spread over a compressed day, its
// operators call, serve and finish them, its rating terminals rate half of
// them and its hall boards follow the stream. It reports latency per
// operation, throughput, errors, and the server's memory and CPU.

// loadSize is one run: how many offices of what size, over how long a day.
type loadSize struct {
	Offices, Tickets int           // tickets per office
	Windows, Boards  int           // per office; a rating terminal per window
	Day              time.Duration // the office day compressed into this
	// MemoryLimit is the server's --memory-limit, "0" for none.
	MemoryLimit string
}

// loadServices is each office's menu; a window serves half of it.
const loadServices = 10

// loadSizeFromEnv is the run make loadtest asks for (TALON_LOAD_OFFICES,
// TALON_LOAD_TICKETS, TALON_LOAD_WINDOWS, TALON_LOAD_BOARDS, TALON_LOAD_DAY,
// and the server's TALON_LOAD_MEMORY_LIMIT),
// by default one large office: 3,000 tickets, 50 windows, 5 boards, a
// ten-minute day.
func loadSizeFromEnv(tb testing.TB) loadSize {
	tb.Helper()
	s := loadSize{Offices: 1, Tickets: 3000, Windows: 50, Boards: 5, Day: 10 * time.Minute, MemoryLimit: envOr(os.Getenv, "TALON_LOAD_MEMORY_LIMIT", "0")}
	for name, p := range map[string]*int{"TALON_LOAD_OFFICES": &s.Offices, "TALON_LOAD_TICKETS": &s.Tickets, "TALON_LOAD_WINDOWS": &s.Windows, "TALON_LOAD_BOARDS": &s.Boards} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				tb.Fatalf("%s=%q: want a positive number", name, v)
			}
			*p = n
		}
	}
	if v := os.Getenv("TALON_LOAD_DAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			tb.Fatalf("TALON_LOAD_DAY=%q: want a duration such as 10m", v)
		}
		s.Day = d
	}
	return s
}

// The operations measured, in the order they are printed.
const (
	opIssue     = "issueTicket"
	opCall      = "callNext"       // a ticket was called
	opCallEmpty = "callNext-empty" // nobody waiting for the window
	opStart     = "startService"
	opFinish    = "finishTicket"
	opRate      = "submitRating"
)

var loadOps = []string{opIssue, opCall, opCallEmpty, opStart, opFinish, opRate}

// loadStats collects latencies and errors from every terminal.
type loadStats struct {
	mu sync.Mutex
	// day is when the day began; at holds when each of lat's operations
	// began, counted from it, so that the report can tell when in the day
	// the slow ones were.
	day     time.Time
	lat, at map[string][]time.Duration
	errs    map[string]int
	sample  []string // the first few errors, to tell what went wrong
}

func newLoadStats() *loadStats {
	return &loadStats{lat: map[string][]time.Duration{}, at: map[string][]time.Duration{}, errs: map[string]int{}}
}

// timer starts a terminal's own record of its operations; add merges it.
func (s *loadStats) timer() timer {
	return timer{day: s.day, lat: map[string][]time.Duration{}, at: map[string][]time.Duration{}}
}

func (s *loadStats) add(t timer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for op, l := range t.lat {
		s.lat[op] = append(s.lat[op], l...)
		s.at[op] = append(s.at[op], t.at[op]...)
	}
}

func (s *loadStats) fail(op string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs[op]++
	if len(s.sample) < 10 {
		s.sample = append(s.sample, op+": "+err.Error())
	}
}

func (s *loadStats) errors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.errs {
		n += c
	}
	return n
}

// timer times one terminal's operations into its own maps, merged at its end.
type timer struct {
	day     time.Time
	lat, at map[string][]time.Duration
}

func (t timer) since(op string, t0 time.Time) {
	t.lat[op] = append(t.lat[op], time.Since(t0))
	t.at[op] = append(t.at[op], t0.Sub(t.day))
}

// loadOffice is one office's terminals as the harness drives them.
type loadOffice struct {
	id        string
	kiosk     *client.Client
	operators []*client.Client // by window
	ratings   []*client.Client // by window
	form      domain.RatingForm
	boards    []*client.Client
	issued    atomic.Int64
	finished  atomic.Int64
	rated     atomic.Int64
	kioskDone atomic.Bool
}

func loadWindowID(i int) string  { return fmt.Sprintf("w%d", i+1) }
func loadServiceID(i int) string { return fmt.Sprintf("s%d", i+1) }

// loadZone names a fixed-offset zone (Etc/GMT-N is UTC+N) in which now is
// seven in the morning, so that a day of load, whenever it is run, does not
// cross the offices' midnight. At midnight the office's day closes: its
// windows close and what is left of the day is written off, which an
// operator meets by opening the window again and the load's operators do
// not; in Moscow's zone a run begun at 20:52 UTC lost every window at 21:00.
func loadZone(now time.Time) string {
	n := ((7-now.UTC().Hour())%24 + 24) % 24
	if n > 14 {
		n -= 24
	}
	switch {
	case n > 0:
		return fmt.Sprintf("Etc/GMT-%d", n)
	case n < 0:
		return fmt.Sprintf("Etc/GMT+%d", -n)
	}
	return "Etc/GMT"
}

// setUpOffice creates office k through the API as the administrator: its
// menu, windows, operators and their accounts, the kiosk, boards and a
// rating terminal per window, each paired with a code; then the operators
// log in and open their windows.
func setUpOffice(ctx context.Context, url string, admin *client.Client, size loadSize, k int) (*loadOffice, error) {
	id := fmt.Sprintf("load%03d", k+1)
	o := &loadOffice{id: id}
	var err error
	allDay := domain.DayHours{Open: "00:00", Close: "24:00"}
	_, err = admin.PutOffice(ctx, domain.Office{ID: id, Name: fmt.Sprintf("МФЦ нагрузочного дня №%d", k+1),
		Address: "г. Москва", TimeZone: loadZone(time.Now()), Hours: domain.Week{allDay, allDay, allDay, allDay, allDay, allDay, allDay},
		MKGUVendorID: "load-vendor", OKATO: "45286560000", DefaultServiceMinutes: 12})
	if err != nil {
		return nil, fmt.Errorf("office %s: %w", id, err)
	}
	prefixes := []rune("АБВГДЕЖИКЛ")
	for i := range loadServices {
		s := domain.Service{ID: loadServiceID(i), OfficeID: id, Name: fmt.Sprintf("Услуга %d", i+1), Order: i + 1,
			Prefix: string(prefixes[i]), Purpose: domain.PurposeSubmit,
			FRGU: domain.FRGU{AuthorityID: "10000000001", ServiceID: fmt.Sprintf("7700000000000000%03d", i), ProcedureID: fmt.Sprintf("7700000000100000%03d", i)}}
		if _, err := admin.PutService(ctx, s); err != nil {
			return nil, fmt.Errorf("office %s service %s: %w", id, s.ID, err)
		}
	}
	for i := range size.Windows {
		var services []string
		for j := range loadServices / 2 {
			services = append(services, loadServiceID((i+2*j)%loadServices))
		}
		if _, err := admin.PutWindow(ctx, domain.Window{ID: loadWindowID(i), OfficeID: id, Number: i + 1, Name: fmt.Sprintf("Окно %d", i+1), ServiceIDs: services}); err != nil {
			return nil, fmt.Errorf("office %s window %d: %w", id, i+1, err)
		}
		login := fmt.Sprintf("%s-op%d", id, i+1)
		if _, err := admin.PutOperator(ctx, domain.Operator{ID: fmt.Sprintf("op%d", i+1), OfficeID: id, Login: login, FullName: fmt.Sprintf("Оператор %d", i+1)}); err != nil {
			return nil, fmt.Errorf("office %s operator %d: %w", id, i+1, err)
		}
		account := domain.Account{Login: login, Role: domain.RoleOperator, OfficeID: id, OperatorID: fmt.Sprintf("op%d", i+1), FullName: fmt.Sprintf("Оператор %d", i+1)}
		if _, err := admin.PutAccount(ctx, domain.AccountInput{Account: account, Password: "load"}); err != nil {
			return nil, fmt.Errorf("office %s account %s: %w", id, login, err)
		}
	}
	// One unpaired terminal pairs them all: every client keeps its own
	// connections open.
	anon, err := client.New(url)
	if err != nil {
		return nil, err
	}
	pair := func(d domain.Device) (*client.Client, error) {
		d.OfficeID = id
		if _, err := admin.PutDevice(ctx, d); err != nil {
			return nil, fmt.Errorf("office %s device %s: %w", id, d.ID, err)
		}
		code, err := admin.CreatePairingCode(ctx, id, d.ID)
		if err != nil {
			return nil, fmt.Errorf("office %s pairing code for %s: %w", id, d.ID, err)
		}
		p, err := anon.PairDevice(ctx, code.Code)
		if err != nil {
			return nil, fmt.Errorf("office %s pair %s: %w", id, d.ID, err)
		}
		return client.New(url, client.WithDeviceCredential(p.Credential))
	}
	if o.kiosk, err = pair(domain.Device{ID: "kiosk1", Kind: domain.DeviceKiosk, Name: "Киоск"}); err != nil {
		return nil, err
	}
	for i := range size.Boards {
		c, err := pair(domain.Device{ID: fmt.Sprintf("board%d", i+1), Kind: domain.DeviceDisplay, Name: fmt.Sprintf("Табло %d", i+1)})
		if err != nil {
			return nil, err
		}
		o.boards = append(o.boards, c)
	}
	for i := range size.Windows {
		c, err := pair(domain.Device{ID: fmt.Sprintf("rating%d", i+1), Kind: domain.DeviceRating, Name: fmt.Sprintf("Оценка, окно %d", i+1), WindowID: loadWindowID(i)})
		if err != nil {
			return nil, err
		}
		// A rating terminal reads its form when it starts, not in the day.
		if o.form, err = c.CurrentRatingForm(ctx, id); err != nil {
			return nil, fmt.Errorf("office %s rating form: %w", id, err)
		}
		o.ratings = append(o.ratings, c)
		login := fmt.Sprintf("%s-op%d", id, i+1)
		op, err := client.New(url, client.WithCredentials(login, "load"))
		if err != nil {
			return nil, err
		}
		if _, err := op.Login(ctx, login, "load"); err != nil {
			return nil, fmt.Errorf("office %s login %s: %w", id, login, err)
		}
		if _, err := op.OpenWindowSession(ctx, id, loadWindowID(i)); err != nil {
			return nil, fmt.Errorf("office %s open window %d: %w", id, i+1, err)
		}
		o.operators = append(o.operators, op)
	}
	return o, nil
}

// loadBoard follows an office's stream as a hall board does and counts what
// it got; seq is the last event seen.
type loadBoard struct {
	sub                  *client.Subscription
	seq                  atomic.Uint64
	events, snapshots    atomic.Int64
	disconnects, resyncs atomic.Int64
}

func follow(ctx context.Context, c *client.Client, officeID string) *loadBoard {
	b := &loadBoard{}
	b.sub = c.Subscribe(ctx, officeID, client.Funcs{
		Snapshot: func(s domain.OfficeSnapshot) {
			if b.snapshots.Add(1) > 1 {
				b.resyncs.Add(1)
			}
			b.seq.Store(s.Seq)
		},
		Event: func(e domain.Event) {
			b.events.Add(1)
			b.seq.Store(e.Seq)
		},
		State: func(s client.ConnState) {
			if s.Status == client.Offline {
				b.disconnects.Add(1)
			}
		},
	})
	return b
}

// again does a terminal's action under one request key, and repeats it
// under the same key while the server is unavailable or the answer is lost,
// as a terminal's user presses again: the first try may have acted (a call
// that called someone), and a new key would act a second time or be refused
// for ever (a window already serving). Every failed try is counted.
func again[T any](ctx context.Context, stats *loadStats, op string, act func(context.Context) (T, error)) (T, error) {
	ctx = domain.WithIdempotencyKey(ctx, fmt.Sprintf("load-%016x", rand.Uint64()))
	for {
		v, err := act(ctx)
		if err == nil || domain.ErrorCode(err) != domain.CodeUnavailable || ctx.Err() != nil {
			return v, err
		}
		stats.fail(op, err)
		time.Sleep(time.Second)
	}
}

// jitter is d scaled by a factor in [lo, hi).
func jitter(rng *rand.Rand, d time.Duration, lo, hi float64) time.Duration {
	return time.Duration(float64(d) * (lo + rng.Float64()*(hi-lo)))
}

// runDay plays the office's day: the kiosk issues size.Tickets tickets
// evenly over size.Day; each operator calls, serves for a while around
// service and finishes, pressing "next" again every poll while nobody waits,
// until the kiosk is done and nobody is left; each window's rating terminal
// rates every other ticket finished there.
func (o *loadOffice) runDay(ctx context.Context, size loadSize, stats *loadStats, seed uint64) {
	// Service time keeps the windows nine-tenths busy; a tenth of it between
	// presses on an empty queue.
	service := time.Duration(float64(size.Day) * float64(size.Windows) * 0.9 / float64(size.Tickets))
	poll := service / 10
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer o.kioskDone.Store(true)
		rng := rand.New(rand.NewPCG(seed, 0))
		tm := stats.timer()
		defer stats.add(tm)
		every := size.Day / time.Duration(size.Tickets)
		next := time.Now()
		for range size.Tickets {
			time.Sleep(time.Until(next))
			next = next.Add(jitter(rng, every, 0, 2))
			t0 := time.Now()
			service := loadServiceID(rng.IntN(loadServices))
			_, err := again(ctx, stats, opIssue, func(ctx context.Context) (domain.Ticket, error) {
				return o.kiosk.IssueTicket(ctx, o.id, domain.IssueRequest{ServiceID: service, IdempotencyKey: domain.IdempotencyKeyFrom(ctx)})
			})
			if err != nil {
				stats.fail(opIssue, err)
				continue
			}
			tm.since(opIssue, t0)
			o.issued.Add(1)
		}
	}()
	for i, op := range o.operators {
		rate := make(chan string, 64)
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer close(rate)
			rng := rand.New(rand.NewPCG(seed, uint64(i+1)))
			tm := stats.timer()
			defer stats.add(tm)
			window := loadWindowID(i)
			time.Sleep(jitter(rng, poll, 0, 1))
			for served := 0; ; {
				done := o.kioskDone.Load() // before the call: an empty answer after it means the day is over here
				t0 := time.Now()
				t, err := again(ctx, stats, opCall, func(ctx context.Context) (domain.Ticket, error) {
					return op.CallNext(ctx, o.id, window, false)
				})
				switch {
				case domain.ErrorCode(err) == domain.CodeEmpty:
					tm.since(opCallEmpty, t0)
					if done {
						return
					}
					time.Sleep(jitter(rng, poll, 0.5, 1.5))
					continue
				case err != nil:
					stats.fail(opCall, err)
					time.Sleep(poll)
					continue
				}
				tm.since(opCall, t0)
				t0 = time.Now()
				if _, err := again(ctx, stats, opStart, func(ctx context.Context) (domain.Ticket, error) { return op.StartService(ctx, o.id, t.ID) }); err != nil {
					stats.fail(opStart, err)
				} else {
					tm.since(opStart, t0)
				}
				time.Sleep(jitter(rng, service, 0.2, 1.8))
				t0 = time.Now()
				if _, err := again(ctx, stats, opFinish, func(ctx context.Context) (domain.Ticket, error) { return op.FinishTicket(ctx, o.id, t.ID) }); err != nil {
					stats.fail(opFinish, err)
					continue
				}
				tm.since(opFinish, t0)
				o.finished.Add(1)
				if served++; served%2 == 1 {
					rate <- t.ID
				}
			}
		}()
		go func() {
			defer wg.Done()
			tm := stats.timer()
			defer stats.add(tm)
			c, form := o.ratings[i], o.form
			var answers []domain.RatingAnswer
			for k, in := range form.Indicators {
				answers = append(answers, domain.RatingAnswer{IndicatorID: in.ID, ValueID: in.Values[len(in.Values)-1-k%2].ID})
			}
			for id := range rate {
				t0 := time.Now()
				_, err := c.SubmitRating(ctx, o.id, domain.NewRating{TicketID: id, FormID: form.ID, FormVersion: form.Version, Answers: answers})
				if err != nil {
					stats.fail(opRate, err)
					continue
				}
				tm.since(opRate, t0)
				o.rated.Add(1)
			}
		}()
	}
	wg.Wait()
}

// procStat is what /proc/<pid> tells of a process: resident memory now and
// at its peak, and the CPU time it used.
type procStat struct {
	rssMiB, peakMiB float64
	// anonMiB is the process's own memory; fileMiB the pages of mapped
	// files, the database's mmap, which the kernel can drop and read again.
	anonMiB, fileMiB float64
	cpu              time.Duration
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every
// Linux the server runs on (sysconf is out of reach without cgo).
const clockTick = 10 * time.Millisecond

func readProc(pid int) (procStat, error) {
	var p procStat
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return p, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		for key, dst := range map[string]*float64{"VmRSS:": &p.rssMiB, "VmHWM:": &p.peakMiB, "RssAnon:": &p.anonMiB, "RssFile:": &p.fileMiB} {
			if rest, ok := strings.CutPrefix(line, key); ok {
				kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
				if err != nil {
					return p, fmt.Errorf("%s %q: %w", key, rest, err)
				}
				*dst = float64(kb) / 1024
			}
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return p, err
	}
	// The command name (field 2) may hold spaces; count fields after it.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 13 {
		return p, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	for _, f := range fields[11:13] { // utime and stime, fields 14 and 15
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return p, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		p.cpu += time.Duration(n) * clockTick
	}
	return p, nil
}

// loadResult is a run's outcome, for the report and the checks.
type loadResult struct {
	size                      loadSize
	setup, wall               time.Duration
	stats                     *loadStats
	issued, finished, rated   int64
	waitingLeft               int
	boardEvents, boardResyncs int64
	boardDisconnects          int64
	boardsBehind              int
	eventsPerOffice           float64
	dayEnd, restarted         procStat
	// peakAnonMiB is the highest of the server's own memory sampled through
	// the day; the kernel keeps no high-water mark of it as it does of RSS.
	peakAnonMiB           float64
	serverCPU, harnessCPU float64 // cores: CPU seconds per wall second
	dbMiB                 float64
	// server is what the server's own /metrics counted through the day.
	server serverSide
}

// serverSide is the day as the server measured it: its issueTicket handler
// (without the harness's share of the two cores) and its group commits.
type serverSide struct {
	issue, commit          *dto.Histogram
	issueWithinGoal        float64 // share of issueTicket answered within goalIssueP99MS
	opsPerCommit, commitMS float64 // means
	pagesPerCommit         float64 // pages of the data file a commit wrote, mean
}

// issueRoute is issueTicket's route in the server's request histogram.
const issueRoute = "/api/v1/offices/{office}/tickets"

func readServerSide(tb testing.TB, url string) serverSide {
	tb.Helper()
	status, fams := scrape(tb, url, "")
	if status != http.StatusOK {
		tb.Fatalf("/metrics answered %d", status)
	}
	var s serverSide
	if m, ok := series(fams, "talon_http_request_duration_seconds", map[string]string{"route": issueRoute, "method": "POST", "status": "2xx"}); ok {
		s.issue = m.GetHistogram()
		for _, b := range s.issue.GetBucket() {
			if b.GetUpperBound() == goalIssueP99MS/1000.0 && s.issue.GetSampleCount() > 0 {
				s.issueWithinGoal = float64(b.GetCumulativeCount()) / float64(s.issue.GetSampleCount())
			}
		}
	}
	if m, ok := series(fams, "talon_commit_duration_seconds", nil); ok {
		s.commit = m.GetHistogram()
		if n := s.commit.GetSampleCount(); n > 0 {
			s.commitMS = s.commit.GetSampleSum() * 1000 / float64(n)
		}
	}
	if m, ok := series(fams, "talon_commit_operations", nil); ok && m.GetHistogram().GetSampleCount() > 0 {
		s.opsPerCommit = m.GetHistogram().GetSampleSum() / float64(m.GetHistogram().GetSampleCount())
		if p, ok := series(fams, "talon_store_page_writes_total", nil); ok {
			s.pagesPerCommit = p.GetCounter().GetValue() / float64(m.GetHistogram().GetSampleCount())
		}
	}
	return s
}

// bucketQuantile is the upper bound, in milliseconds, of the histogram
// bucket holding its q-quantile: the server's histograms keep no more.
func bucketQuantile(h *dto.Histogram, q float64) float64 {
	want := q * float64(h.GetSampleCount())
	for _, b := range h.GetBucket() {
		if float64(b.GetCumulativeCount()) >= want {
			return b.GetUpperBound() * 1000
		}
	}
	return math.Inf(1)
}

// runLoad sets up the offices on a fresh server in dir, plays their day,
// measures, then restarts the server to measure it again. With
// TALON_LOAD_KEEP_DB set it copies the day's database there first, for a
// look with bbolt's tools at what the day wrote.
func runLoad(tb testing.TB, size loadSize, out io.Writer) loadResult {
	tb.Helper()
	dir := tb.TempDir()
	// Warnings only: a line per request, a thousand a second, goes through
	// a pipe this process reads, and with the harness's 10,000 terminals on
	// the same two cores the pipe filled and held hundreds of requests in
	// the logger: that measured the harness's reading, not the queue.
	limit := []string{"--memory-limit", size.MemoryLimit, "--log-level", "warn"}
	cmd, url := testserver.Start(tb, dir, "127.0.0.1:0", limit...)
	pid := cmd.Process.Pid
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := loadResult{size: size, stats: newLoadStats()}

	start := time.Now()
	admin, err := client.New(url, client.WithCredentials("admin", "demo"))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := admin.Login(ctx, "admin", "demo"); err != nil {
		tb.Fatal(err)
	}
	offices := make([]*loadOffice, size.Offices)
	var setupErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for k := range offices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			o, err := setUpOffice(ctx, url, admin, size, k)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && setupErr == nil {
				setupErr = err
			}
			offices[k] = o
		}()
	}
	wg.Wait()
	if setupErr != nil {
		tb.Fatalf("set up: %v", setupErr)
	}
	var boards []*loadBoard
	for _, o := range offices {
		for _, c := range o.boards {
			boards = append(boards, follow(ctx, c, o.id))
		}
	}
	defer func() {
		for _, b := range boards {
			b.sub.Close()
		}
	}()
	r.setup = time.Since(start)

	before, err := readProc(pid)
	if err != nil {
		tb.Fatal(err)
	}
	self, err := readProc(os.Getpid())
	if err != nil {
		tb.Fatal(err)
	}
	sampled := make(chan float64, 1) // buffered: a run that fails early leaves no sampler behind
	sampling, stopSampling := context.WithCancel(ctx)
	start = time.Now()
	r.stats.day = start
	go func() {
		peak := before.anonMiB
		defer func() { sampled <- peak }()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for n := 1; ; n++ {
			select {
			case <-sampling.Done():
				return
			case <-tick.C:
				p, err := readProc(pid)
				if err != nil {
					continue
				}
				peak = max(peak, p.anonMiB)
				if n%60 == 0 {
					loadProgress(out, start, offices, p, peak)
				}
			}
		}
	}()
	for k, o := range offices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.runDay(ctx, size, r.stats, uint64(k))
		}()
	}
	wg.Wait()
	r.wall = time.Since(start)
	after, err := readProc(pid)
	if err != nil {
		tb.Fatal(err)
	}
	selfAfter, err := readProc(os.Getpid())
	if err != nil {
		tb.Fatal(err)
	}
	r.serverCPU = (after.cpu - before.cpu).Seconds() / r.wall.Seconds()
	r.harnessCPU = (selfAfter.cpu - self.cpu).Seconds() / r.wall.Seconds()

	// The boards catch up with the last event of their office, or are
	// counted as behind; then what is left in the queues.
	var last []uint64
	for _, o := range offices {
		snap, err := admin.GetSnapshot(ctx, o.id)
		if err != nil {
			tb.Fatal(err)
		}
		last = append(last, snap.Seq)
		r.waitingLeft += len(snap.Queue)
		r.issued += o.issued.Load()
		r.finished += o.finished.Load()
		r.rated += o.rated.Load()
	}
	deadline := time.Now().Add(time.Minute)
	for i := 0; i < len(boards); {
		if boards[i].seq.Load() >= last[i/size.Boards] {
			i++
			continue
		}
		if time.Now().After(deadline) {
			r.boardsBehind++
			i++
			continue
		}
		time.Sleep(10 * time.Millisecond)
	}
	var events int64
	for _, b := range boards {
		r.boardEvents += b.events.Load()
		r.boardResyncs += b.resyncs.Load()
		r.boardDisconnects += b.disconnects.Load()
	}
	for _, s := range last {
		events += int64(s)
	}
	r.eventsPerOffice = float64(events) / float64(size.Offices)
	r.server = readServerSide(tb, url)
	if r.dayEnd, err = readProc(pid); err != nil {
		tb.Fatal(err)
	}
	stopSampling()
	r.peakAnonMiB = max(<-sampled, r.dayEnd.anonMiB)
	if keep := os.Getenv("TALON_LOAD_KEEP_DB"); keep != "" {
		if err := copyFile(filepath.Join(dir, "talon.db"), keep); err != nil {
			tb.Fatalf("keep the day's database: %v", err)
		}
	}

	// The same data after a restart: what the server holds without the day's
	// stream buffers and caches.
	for _, b := range boards {
		b.sub.Close()
	}
	boards = nil
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		tb.Fatalf("the server did not stop cleanly: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "talon.db")); err == nil {
		r.dbMiB = float64(fi.Size()) / (1 << 20)
	}
	again, _ := testserver.Start(tb, dir, "127.0.0.1:0", limit...)
	if r.restarted, err = readProc(again.Process.Pid); err != nil {
		tb.Fatal(err)
	}
	return r
}

// loadProgress writes a line a minute while the day runs: a day the server
// cannot keep up with runs far longer than planned, and one stopped before
// its end still tells how far it got and what it held.
func loadProgress(w io.Writer, start time.Time, offices []*loadOffice, p procStat, peak float64) {
	var issued, finished, rated int64
	for _, o := range offices {
		issued += o.issued.Load()
		finished += o.finished.Load()
		rated += o.rated.Load()
	}
	at := time.Since(start)
	fmt.Fprintf(w, "load: progress %s: tickets issued=%d (%.1f/s) finished=%d rated=%d; server memory own=%.0fMiB peak=%.0fMiB\n",
		at.Round(time.Second), issued, float64(issued)/at.Seconds(), finished, rated, p.anonMiB, peak)
}

// copyFile copies the database as it is while the server runs: a look at
// its pages, not a backup.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// dayStretches is how many equal parts of the day the report gives the
// issueTicket p99 of: the day's first minutes, when every terminal's first
// call opens its connection at once, are slower than the rest.
const dayStretches = 20

// byStretch is the q-quantile in milliseconds of the latencies whose
// operations began in each of n equal stretches of the day; at says when,
// from the day's start, and the last stretch takes what began after it.
func byStretch(lat, at []time.Duration, day time.Duration, n int, q float64) []float64 {
	parts := make([][]time.Duration, n)
	for i, l := range lat {
		k := min(max(int(at[i]*time.Duration(n)/day), 0), n-1)
		parts[k] = append(parts[k], l)
	}
	out := make([]float64, n)
	for k, p := range parts {
		slices.Sort(p)
		out[k] = loadPercentile(p, q)
	}
	return out
}

// loadPercentile is the q-quantile of sorted latencies in milliseconds.
func loadPercentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[int(float64(len(sorted)-1)*q)]) / float64(time.Millisecond)
}

// Goals of the issue for the run of 100 offices. Server memory is judged on
// the process's own memory (anonymous: heap, goroutine stacks, runtime), not
// on RSS: RSS also counts the pages of talon.db the server has mapped, which
// are the kernel's page cache of the file, shared and dropped under memory
// pressure without loss, and grow with the file (about 15 KB a ticket) and
// with the machine's free memory rather than with what the server holds.
// The report prints both.
const (
	goalIssueP99MS = 50
	goalMemoryMiB  = 512
)

// print writes the report, one "load:" line per fact, in a fixed order.
func (r loadResult) print(w io.Writer) {
	s := r.size
	fmt.Fprintf(w, "load: offices=%d tickets=%d (%d per office) windows=%d boards=%d rating-terminals=%d per office; day=%s wall=%.1fs setup=%.1fs\n",
		s.Offices, s.Offices*s.Tickets, s.Tickets, s.Windows, s.Boards, s.Windows, s.Day, r.wall.Seconds(), r.setup.Seconds())
	fmt.Fprintf(w, "load: %-18s %9s %9s %8s %8s %8s %8s %7s\n", "operation", "count", "ops/s", "p50-ms", "p90-ms", "p99-ms", "max-ms", "errors")
	var all []time.Duration
	for _, op := range loadOps {
		lat := slices.Clone(r.stats.lat[op])
		slices.Sort(lat)
		all = append(all, lat...)
		fmt.Fprintf(w, "load: %-18s %9d %9.1f %8.2f %8.2f %8.2f %8.2f %7d\n", op, len(lat), float64(len(lat))/r.wall.Seconds(),
			loadPercentile(lat, 0.5), loadPercentile(lat, 0.9), loadPercentile(lat, 0.99), loadPercentile(lat, 1), r.stats.errs[op])
	}
	slices.Sort(all)
	fmt.Fprintf(w, "load: %-18s %9d %9.1f %8.2f %8.2f %8.2f %8.2f %7d\n", "all", len(all), float64(len(all))/r.wall.Seconds(),
		loadPercentile(all, 0.5), loadPercentile(all, 0.9), loadPercentile(all, 0.99), loadPercentile(all, 1), r.stats.errors())
	stretches := byStretch(r.stats.lat[opIssue], r.stats.at[opIssue], s.Day, dayStretches, 0.99)
	fmt.Fprintf(w, "load: issueTicket p99-ms in each of %d equal parts of the day (%.1fs each, by when the call began; the last also takes the calls after the day):",
		dayStretches, (s.Day / dayStretches).Seconds())
	for _, v := range stretches {
		fmt.Fprintf(w, " %.0f", v)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "load: tickets issued=%d finished=%d rated=%d left waiting=%d; events per office=%.0f\n", r.issued, r.finished, r.rated, r.waitingLeft, r.eventsPerOffice)
	fmt.Fprintf(w, "load: boards events=%d resyncs=%d disconnects=%d behind at the end=%d\n", r.boardEvents, r.boardResyncs, r.boardDisconnects, r.boardsBehind)
	fmt.Fprintf(w, "load: server memory own (anon: heap, stacks, runtime) end-of-day=%.0fMiB peak=%.0fMiB after-restart=%.0fMiB; memory-limit=%s\n",
		r.dayEnd.anonMiB, r.peakAnonMiB, r.restarted.anonMiB, s.MemoryLimit)
	fmt.Fprintf(w, "load: server rss with the database's mapped pages (page cache the kernel may drop) end-of-day=%.0fMiB (file %.0f) peak=%.0fMiB after-restart=%.0fMiB (file %.0f); db=%.0fMiB\n",
		r.dayEnd.rssMiB, r.dayEnd.fileMiB, r.dayEnd.peakMiB, r.restarted.rssMiB, r.restarted.fileMiB, r.dbMiB)
	if sv := r.server; sv.issue != nil && sv.commit != nil {
		fmt.Fprintf(w, "load: server side (its /metrics, bucket bounds): issueTicket p50<=%gms p99<=%gms, %.2f%% within %dms; commits=%d ops-per-commit=%.1f pages-per-commit=%.1f mean=%.2fms p99<=%gms\n",
			bucketQuantile(sv.issue, 0.5), bucketQuantile(sv.issue, 0.99), 100*sv.issueWithinGoal, goalIssueP99MS,
			sv.commit.GetSampleCount(), sv.opsPerCommit, sv.pagesPerCommit, sv.commitMS, bucketQuantile(sv.commit, 0.99))
	}
	fmt.Fprintf(w, "load: server cpu=%.2f cores (utime+stime per wall second; the harness took %.2f cores of the same machine)\n", r.serverCPU, r.harnessCPU)
	issue := slices.Clone(r.stats.lat[opIssue])
	slices.Sort(issue)
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	p99 := loadPercentile(issue, 0.99)
	fmt.Fprintf(w, "load: goals (for 100 offices): issueTicket p99 %.1fms < %dms %s; errors %d = 0 %s; server memory (own, peak) %.0fMiB < %dMiB %s (rss peak with the mapped database %.0fMiB)\n",
		p99, goalIssueP99MS, verdict(p99 < goalIssueP99MS), r.stats.errors(), verdict(r.stats.errors() == 0),
		r.peakAnonMiB, goalMemoryMiB, verdict(r.peakAnonMiB < goalMemoryMiB), r.dayEnd.peakMiB)
	for _, e := range r.stats.sample {
		fmt.Fprintf(w, "load: error: %s\n", e)
	}
}

// check fails tb on what must hold at any speed: no errors, every ticket
// issued and finished, nobody left waiting, every board up to date.
func (r loadResult) check(tb testing.TB) {
	tb.Helper()
	want := int64(r.size.Offices * r.size.Tickets)
	if n := r.stats.errors(); n != 0 {
		tb.Errorf("%d errors, first: %v", n, r.stats.sample)
	}
	if r.issued != want || r.finished != want || r.waitingLeft != 0 {
		tb.Errorf("issued %d, finished %d of %d tickets; %d left waiting", r.issued, r.finished, want, r.waitingLeft)
	}
	if r.rated == 0 {
		tb.Error("no rating was stored")
	}
	if r.boardsBehind != 0 || r.boardEvents == 0 {
		tb.Errorf("%d boards behind the last event; %d events received", r.boardsBehind, r.boardEvents)
	}
}

// TestByStretch: each latency counts in the stretch of the day its call
// began in, calls after the day in the last, and a stretch without calls
// reads 0.
func TestByStretch(t *testing.T) {
	ms := time.Millisecond
	lat := []time.Duration{10 * ms, 20 * ms, 30 * ms, 40 * ms, 50 * ms}
	at := []time.Duration{0, 2 * time.Second, 5 * time.Second, 9 * time.Second, 30 * time.Second}
	got := byStretch(lat, at, 10*time.Second, 5, 1)
	if want := []float64{10, 20, 30, 0, 50}; !slices.Equal(got, want) {
		t.Errorf("byStretch = %v, want %v", got, want)
	}
}

// TestLoadZone: at any hour the load's zone is a real one and the offices'
// clocks read seven in the morning.
func TestLoadZone(t *testing.T) {
	for h := range 24 {
		now := time.Date(2026, 12, 3, h, 40, 0, 0, time.UTC)
		loc, err := time.LoadLocation(loadZone(now))
		if err != nil {
			t.Fatalf("at %s: %v", now.Format("15:04"), err)
		}
		if got := now.In(loc).Hour(); got != 7 {
			t.Errorf("at %s UTC the zone %s reads %d o'clock, want 7", now.Format("15:04"), loc, got)
		}
	}
}

// TestLoadDay runs the harness small, so that it is tested with the rest:
// three offices of 300 tickets over a 20-second day. It asserts no speed.
func TestLoadDay(t *testing.T) {
	r := runLoad(t, loadSize{Offices: 3, Tickets: 300, Windows: 10, Boards: 2, Day: 20 * time.Second, MemoryLimit: "256MiB"}, t.Output())
	r.print(t.Output())
	r.check(t)
}

// BenchmarkLoad is make loadtest's run, sized by loadSizeFromEnv; it prints
// the report and the key numbers as metrics.
func BenchmarkLoad(b *testing.B) {
	if os.Getenv("TALON_LOAD_OFFICES") == "" {
		b.Skip("a day of minutes: make loadtest runs it, with TALON_LOAD_OFFICES set")
	}
	size := loadSizeFromEnv(b)
	for range b.N {
		r := runLoad(b, size, os.Stdout)
		r.print(os.Stdout)
		r.check(b)
		issue := slices.Clone(r.stats.lat[opIssue])
		slices.Sort(issue)
		b.ReportMetric(loadPercentile(issue, 0.99), "issue-p99-ms")
		b.ReportMetric(float64(r.stats.errors()), "errors")
		b.ReportMetric(r.peakAnonMiB, "server-own-peak-MiB")
		b.ReportMetric(r.dayEnd.peakMiB, "server-rss-peak-MiB")
		b.ReportMetric(r.restarted.rssMiB, "restarted-MiB")
	}
}
