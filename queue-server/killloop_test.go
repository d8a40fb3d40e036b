package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/journal"
	"github.com/talonqueue/talon/queue-server/store"
)

// defaultKills is the loop `make test` runs; `make killtest` sets
// TALON_KILLS to 100.
const defaultKills = 20

// TestKillLoop kills the real server with SIGKILL at random moments while
// kiosks issue tickets with idempotency keys, operators at every window of
// the demo office call, finish, postpone and redirect, and hall boards
// follow the live stream. After each kill the data file itself is checked:
// every acknowledged operation is in it, numbers are unique per day, no
// ticket is at two windows, the event log has no gap and no seq that
// changed meaning, the journal's chains are whole. After each restart the
// clients retry what got no answer with the same keys, and the boards come
// back by themselves and show what the server holds. One restart in four
// is killed again while it starts, and its file checked too. TALON_KILLS
// sets the number of kills while serving, TALON_KILL_SEED repeats a run.
func TestKillLoop(t *testing.T) {
	kills := envInt(t, "TALON_KILLS", defaultKills)
	seed := uint64(envInt(t, "TALON_KILL_SEED", int(time.Now().UnixNano()&0x7fffffff)))
	t.Logf("killloop: %d kills, TALON_KILL_SEED=%d", kills, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	addr := freeAddr(t)
	dir := t.TempDir()
	started := time.Now()
	cmd, url := testserver.Start(t, dir, addr)
	startTook := time.Since(started)
	hall := login(t, url, "hall")
	awayFromMidnight(t, hall, time.Minute+time.Duration(kills)*2*time.Second)
	day := officeDay(t, hall)
	l := &killLoad{t: t, url: url, acks: map[string][]ack{}, issued: map[string]ack{},
		byKind: map[string]int{}, swallowed: map[string]bool{}, seen: map[uint64]eventID{}, logged: map[uint64]eventID{}}
	for i := range 3 {
		l.kiosks = append(l.kiosks, &kioskWorker{l: l, id: i, c: login(t, url, "kiosk1"), rng: rand.New(rand.NewPCG(seed, uint64(10+i)))})
	}
	for i := 1; i <= demo.Windows; i++ {
		w := &operatorWorker{l: l, window: fmt.Sprintf("w%d", i), c: login(t, url, fmt.Sprintf("operator%d", i)), rng: rand.New(rand.NewPCG(seed, uint64(20+i)))}
		if _, err := w.c.OpenWindowSession(context.Background(), demo.OfficeID, w.window); err != nil {
			t.Fatalf("open window %s: %v", w.window, err)
		}
		l.operators = append(l.operators, w)
	}
	// Two boards keep up; the third, like a small board computer drawing
	// every call, takes its time over each event and is often behind when
	// the server dies.
	for _, slow := range []time.Duration{0, 0, 3 * time.Millisecond} {
		l.boards = append(l.boards, l.subscribe(deviceCredential(t, url, "display1"), slow))
	}
	defer func() {
		for _, b := range l.boards {
			b.sub.Close()
		}
	}()

	stop := func() {}
	defer func() { stop() }()
	for kill := 1; kill <= kills && !t.Failed(); kill++ {
		// Three times in four the load pauses first: what got no answer
		// is retried and the boards must have caught up. The other times
		// the server is killed again while the clients are still
		// recovering from the last kill.
		if kill == 1 || rng.IntN(4) > 0 {
			stop()
			l.settle()
			l.checkBoards(hall)
			if officeDay(t, hall) != day {
				t.Logf("killloop: the office's day changed after %d kills; numbers and keys start again, so the loop stops here", kill-1)
				break
			}
			stop = l.load()
		} else {
			l.quick++
		}
		time.Sleep(time.Duration(rng.Int64N(int64(400 * time.Millisecond))))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		l.mu.Lock()
		l.kills++
		l.mu.Unlock()
		// The clients go on meanwhile, and the SDK's own repeats of what
		// got no answer may reach the restarted server.
		l.checkFile(filepath.Join(dir, dbFile), false)
		// One time in four the server dies again while it starts: opening
		// and checking the file, loading the state, starting to listen.
		// The moment is spread over the time the last start took until
		// the server was healthy.
		if rng.IntN(4) == 0 {
			l.killStarting(dir, addr, time.Duration(rng.Int64N(int64(startTook))))
		}
		started := time.Now()
		cmd, _ = testserver.Start(t, dir, addr)
		startTook = time.Since(started)
		l.checkLoaded(hall)
		if kill%10 == 0 {
			t.Logf("killloop: %d kills, %d operations acknowledged", kill, l.total())
		}
	}
	stop()
	// The last round: everything unanswered is retried, the boards catch
	// up, the server stops, and now every ticket in the file is one a kiosk
	// was given.
	l.settle()
	l.checkBoards(hall)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("server exited with %v after SIGTERM", err)
	}
	l.checkFile(filepath.Join(dir, dbFile), true)
	t.Logf("killloop: %s", l.summary())
	if l.kills < 1 || l.byKind["issue"] == 0 || l.byKind["call"] == 0 || l.byKind["finish"] == 0 ||
		l.byKind["postpone"] == 0 || l.byKind["redirect"] == 0 {
		t.Errorf("the load did too little to prove anything: %s", l.summary())
	}
}

// freeAddr returns a loopback address nobody listens on, for a server that
// must come back where its clients look for it.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a whole number", name, v)
	}
	return n
}

// officeDay is the demo office's day as the server sees it.
func officeDay(t *testing.T, hall *client.Client) string {
	t.Helper()
	h, err := hall.GetOfficeHours(context.Background(), demo.OfficeID)
	if err != nil {
		t.Fatal(err)
	}
	return h.Day
}

// awayFromMidnight waits, when the office's day would end during the run,
// until the new day has begun: the day's close cancels what is left and
// numbers start again, which the loop would take for lost operations.
func awayFromMidnight(t *testing.T, hall *client.Client, run time.Duration) {
	t.Helper()
	h, err := hall.GetOfficeHours(context.Background(), demo.OfficeID)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation(h.TimeZone)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(loc)
	y, m, d := now.Date()
	if left := time.Date(y, m, d+1, 0, 0, 0, 0, loc).Sub(now); left < run {
		t.Logf("killloop: the office's day ends in %s, before the loop would; waiting for the next day", left.Round(time.Second))
		time.Sleep(left + 5*time.Second)
	}
}

// ack is an acknowledged operation on a ticket, with the ticket as the
// answer showed it.
type ack struct {
	action domain.Action
	ticket domain.Ticket
}

// eventID is what identifies an event of the log: a seq must never come to
// mean another one.
type eventID struct {
	typ    domain.EventType
	ticket string
	at     time.Time
}

func (e eventID) String() string {
	return fmt.Sprintf("%s %s at %s", e.typ, e.ticket, e.at.Format(time.RFC3339Nano))
}

// killLoad is the clients, what they were told and what was checked.
type killLoad struct {
	t         *testing.T
	url       string
	kiosks    []*kioskWorker
	operators []*operatorWorker
	boards    []*board

	mu     sync.Mutex
	acks   map[string][]ack // by ticket id, in the order they were answered
	issued map[string]ack   // by idempotency key
	byKind map[string]int
	// seen is every event a board applied; logged the file's events so far.
	seen, logged map[uint64]eventID
	lastLogged   uint64
	// pendingIssues are issues sent and not answered yet.
	pendingIssues int
	// swallowed are tickets found in the file before their kiosk had the
	// answer.
	swallowed map[string]bool
	// active is where the file's non-terminal tickets are.
	active map[string]placement

	kills, quick, verified, resent, resyncs, reconnects, acrossRestart                      int
	starting, beforeListening                                                               int
	lost, forgotten, extra, duplicates, twoPlaces, seqReused, seqGaps, stale, journalBroken int
}

// killStarting starts the server, kills it after d and checks the file it
// leaves. The clients go on meanwhile; one the short-lived server answered
// counts like any answer before a kill.
func (l *killLoad) killStarting(dir, addr string, d time.Duration) {
	cmd, stdout := testserver.Launch(l.t, testserver.DemoArgs(dir, addr)...)
	listened := make(chan bool, 1)
	go func() {
		seen := false
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			seen = seen || strings.Contains(sc.Text(), "слушает")
		}
		listened <- seen
	}()
	time.Sleep(d)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		l.t.Fatal(err)
	}
	// The output ends when the process does; Wait closes the pipe, so it
	// comes after.
	seen := <-listened
	_ = cmd.Wait()
	l.mu.Lock()
	l.kills++
	l.starting++
	if !seen {
		l.beforeListening++
	}
	l.mu.Unlock()
	l.checkFile(filepath.Join(dir, dbFile), false)
}

// acked records an answer to a request sent before kill number sent.
func (l *killLoad) acked(ticketID string, a ack, sent int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acks[ticketID] = append(l.acks[ticketID], a)
	l.byKind[string(a.action)]++
	if l.kills > sent {
		l.acrossRestart++
	}
}

// epoch is the number of kills so far.
func (l *killLoad) epoch() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.kills
}

func (l *killLoad) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, v := range l.byKind {
		n += v
	}
	return n
}

func (l *killLoad) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	kinds := make([]string, 0, len(l.byKind))
	for k, v := range l.byKind {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(kinds)
	return fmt.Sprintf("kills=%d (%d of them while the clients were still recovering from the last, %d while the server was starting, %d of those before it listened) acknowledged: %s (%d of them answered by the restarted server to the SDK's own retry); verified=%d tickets in the file whose answer the kill swallowed=%d (each given to its kiosk when it sent the key again) resent keys=%d lost=%d keys forgotten or answered with another ticket=%d tickets nobody was given=%d duplicate numbers=%d tickets in two places=%d seq reused=%d seq gaps=%d stale boards=%d broken journals=%d; the boards reconnected by themselves %d times, %d of them resynced from a snapshot, the others resumed from the server's buffer",
		l.kills, l.quick, l.starting, l.beforeListening, strings.Join(kinds, " "), l.acrossRestart, l.verified, len(l.swallowed), l.resent, l.lost, l.forgotten, l.extra, l.duplicates, l.twoPlaces, l.seqReused, l.seqGaps, l.stale, l.journalBroken, l.reconnects, l.resyncs)
}

// load runs every kiosk and operator until stop is called. A client whose
// request got no answer, even after the SDK's own repeats, sends it again
// with the same key a moment later, as a kiosk does.
func (l *killLoad) load() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	run := func(step func(context.Context) bool) {
		wg.Go(func() {
			for ctx.Err() == nil {
				if !step(ctx) {
					sleepCtx(ctx, 20*time.Millisecond)
				}
			}
		})
	}
	for _, k := range l.kiosks {
		run(k.step)
	}
	for _, o := range l.operators {
		run(o.step)
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// settle retries, once the server is back, what got no answer, with the
// keys it was first sent with, and repeats each kiosk's last acknowledged
// key: the server must answer with the same ticket.
func (l *killLoad) settle() {
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, k := range l.kiosks {
		wg.Go(func() {
			for k.pending != nil && k.step(ctx) {
			}
			k.resend(ctx)
		})
	}
	for _, o := range l.operators {
		wg.Go(func() {
			for o.pending != nil && o.step(ctx) {
			}
		})
	}
	wg.Wait()
	for _, k := range l.kiosks {
		if k.pending != nil {
			l.t.Fatalf("a kiosk's issue with key %s got no answer from the running server", k.pending.IdempotencyKey)
		}
	}
}

// unavailable reports an answer lost to the kill: the operation stays
// pending and is retried with its key.
func unavailable(err error) bool {
	return domain.ErrorCode(err) == domain.CodeUnavailable
}

// services are those some window of the demo office serves.
var services = []string{"passport", "foreign-passport", "registration", "realty-rights", "egrn",
	"benefits", "maternity-capital", "results", "status", "consultation"}

type kioskWorker struct {
	l       *killLoad
	id      int
	c       *client.Client
	rng     *rand.Rand
	pending *domain.IssueRequest // sent, not answered
	last    *domain.IssueRequest // the last one answered, and with what
	lastID  string
	n       int
}

// step issues one ticket, or retries the pending one; false when the
// server is gone.
func (k *kioskWorker) step(ctx context.Context) bool {
	if k.pending == nil {
		k.n++
		k.pending = &domain.IssueRequest{ServiceID: services[k.rng.IntN(len(services))],
			IdempotencyKey: fmt.Sprintf("kill-kiosk%d-%d", k.id, k.n)}
		k.l.mu.Lock()
		k.l.pendingIssues++
		k.l.mu.Unlock()
	}
	sent := k.l.epoch()
	tk, err := k.c.IssueTicket(ctx, demo.OfficeID, *k.pending)
	switch {
	case unavailable(err):
		return false
	case err != nil:
		k.l.t.Errorf("issue %s: %v", k.pending.ServiceID, err)
		k.l.mu.Lock()
		k.l.pendingIssues--
		k.l.mu.Unlock()
		k.pending = nil
		return false
	}
	k.l.mu.Lock()
	k.l.issued[k.pending.IdempotencyKey] = ack{action: domain.ActionIssue, ticket: tk}
	k.l.pendingIssues--
	k.l.mu.Unlock()
	k.l.acked(tk.ID, ack{action: domain.ActionIssue, ticket: tk}, sent)
	k.last, k.lastID, k.pending = k.pending, tk.ID, nil
	return true
}

// resend repeats the last answered issue: a kiosk that is not sure it was
// answered asks again, and must get the same ticket.
func (k *kioskWorker) resend(ctx context.Context) {
	if k.last == nil {
		return
	}
	tk, err := k.c.IssueTicket(ctx, demo.OfficeID, *k.last)
	if err != nil {
		k.l.t.Errorf("resending key %s: %v", k.last.IdempotencyKey, err)
		return
	}
	k.l.mu.Lock()
	defer k.l.mu.Unlock()
	k.l.resent++
	if tk.ID != k.lastID {
		k.l.forgotten++
		k.l.t.Errorf("key %s gave ticket %s (%s) the second time, %s the first", k.last.IdempotencyKey, tk.ID, tk.Number, k.lastID)
	}
}

// pendingAct is an operator's action sent without an answer.
type pendingAct struct {
	kind     string
	key      string
	ticketID string
	redirect domain.Redirect
}

type operatorWorker struct {
	l       *killLoad
	c       *client.Client
	window  string
	rng     *rand.Rand
	cur     *domain.Ticket // at the window, as last answered
	pending *pendingAct
	n       int
}

// step takes one action at the window, or retries the pending one; false
// when the server is gone.
func (o *operatorWorker) step(ctx context.Context) bool {
	if o.pending == nil {
		o.pending = o.next()
	}
	p := o.pending
	actx := domain.WithIdempotencyKey(ctx, p.key)
	sent := o.l.epoch()
	var tk domain.Ticket
	var err error
	switch p.kind {
	case "call":
		tk, err = o.c.CallNext(actx, demo.OfficeID, o.window, p.ticketID != "")
	case "finish":
		tk, err = o.c.FinishTicket(actx, demo.OfficeID, p.ticketID)
	case "postpone":
		tk, err = o.c.PostponeTicket(actx, demo.OfficeID, p.ticketID, time.Minute)
	case "redirect":
		tk, err = o.c.RedirectTicket(actx, demo.OfficeID, p.ticketID, p.redirect)
	}
	if unavailable(err) {
		return false
	}
	o.pending = nil
	var de *domain.Error
	if p.kind == "call" && errors.As(err, &de) && de.Code == domain.CodeEmpty {
		if de.Finished != nil {
			o.l.acked(de.Finished.ID, ack{action: domain.ActionFinish, ticket: *de.Finished}, sent)
		}
		o.cur = nil
		// Nobody waits for this window: give the kiosks a moment.
		return sleepCtx(ctx, time.Duration(5+o.rng.IntN(20))*time.Millisecond)
	}
	if err != nil {
		o.l.t.Errorf("%s at %s: %v", p.kind, o.window, err)
		o.resync(ctx)
		return false
	}
	switch p.kind {
	case "call":
		if p.ticketID != "" {
			o.l.acked(p.ticketID, ack{action: domain.ActionFinish, ticket: withoutHistory(*o.cur)}, sent)
		}
		o.l.acked(tk.ID, ack{action: domain.ActionCall, ticket: tk}, sent)
		o.cur = &tk
	case "finish":
		o.l.acked(tk.ID, ack{action: domain.ActionFinish, ticket: tk}, sent)
		o.cur = nil
	case "postpone":
		o.l.acked(tk.ID, ack{action: domain.ActionPostpone, ticket: tk}, sent)
		o.cur = nil
	case "redirect":
		o.l.acked(tk.ID, ack{action: domain.ActionRedirect, ticket: tk}, sent)
		o.cur = nil
	}
	return true
}

// withoutHistory is a ticket whose answer did not show the step an
// operation added: a call that finished it on the way.
func withoutHistory(tk domain.Ticket) domain.Ticket {
	tk.History = nil
	return tk
}

// next picks the window's next action.
func (o *operatorWorker) next() *pendingAct {
	o.n++
	p := &pendingAct{kind: "call", key: fmt.Sprintf("kill-%s-%d", o.window, o.n)}
	if o.cur == nil {
		return p
	}
	p.ticketID = o.cur.ID
	switch r := o.rng.IntN(100); {
	case r < 40: // call the next one, finishing this one
	case r < 65:
		p.kind = "finish"
	case r < 80:
		p.kind = "postpone"
	default:
		p.kind = "redirect"
		to := services[o.rng.IntN(len(services))]
		for to == o.cur.ServiceID {
			to = services[o.rng.IntN(len(services))]
		}
		p.redirect = domain.Redirect{ServiceID: to, Return: o.rng.IntN(4) == 0}
	}
	return p
}

// resync learns what the window holds after an answer it did not expect.
func (o *operatorWorker) resync(ctx context.Context) {
	tk, err := o.c.GetWindowTicket(ctx, demo.OfficeID, o.window)
	switch {
	case err == nil:
		o.cur = &tk
	case domain.ErrorCode(err) == domain.CodeEmpty:
		o.cur = nil
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

// board is a hall board on the live stream with what it believes the
// office holds: non-terminal tickets by id.
type board struct {
	sub *client.Subscription

	mu        sync.Mutex
	seq       uint64
	snapshots int
	onlines   int
	tickets   map[string]placement
}

// placement is where a ticket is: its status and window.
type placement struct {
	status domain.Status
	window string
}

func (l *killLoad) subscribe(credential string, slow time.Duration) *board {
	c, err := client.New(l.url, client.WithDeviceCredential(credential),
		client.WithStreamTiming(client.StreamTiming{MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}))
	if err != nil {
		l.t.Fatal(err)
	}
	b := &board{tickets: map[string]placement{}}
	b.sub = c.Subscribe(context.Background(), demo.OfficeID, client.Funcs{
		State: func(s client.ConnState) {
			if s.Status == client.Online {
				b.mu.Lock()
				b.onlines++
				b.mu.Unlock()
			}
		},
		Snapshot: func(s domain.OfficeSnapshot) {
			b.mu.Lock()
			defer b.mu.Unlock()
			if s.Seq < b.seq {
				l.mu.Lock()
				l.seqReused++
				l.mu.Unlock()
				l.t.Errorf("a board at seq %d got a snapshot of seq %d", b.seq, s.Seq)
			}
			b.seq, b.snapshots = s.Seq, b.snapshots+1
			b.tickets = snapshotPlacements(s)
		},
		Event: func(e domain.Event) {
			time.Sleep(slow)
			b.mu.Lock()
			defer b.mu.Unlock()
			b.seq = e.Seq
			if tk := e.Ticket; tk != nil {
				if tk.Status.Terminal() {
					delete(b.tickets, tk.ID)
				} else {
					b.tickets[tk.ID] = placement{tk.Status, tk.WindowID}
				}
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			id := eventID{e.Type, e.TicketID, e.At}
			if prev, ok := l.seen[e.Seq]; ok && (prev.typ != id.typ || prev.ticket != id.ticket || !prev.at.Equal(id.at)) {
				l.seqReused++
				l.t.Errorf("seq %d was %s and is now %s", e.Seq, prev, id)
			}
			l.seen[e.Seq] = id
		},
	})
	return b
}

// snapshotPlacements is where a snapshot puts each ticket it holds.
func snapshotPlacements(s domain.OfficeSnapshot) map[string]placement {
	out := map[string]placement{}
	for _, tk := range s.Queue {
		out[tk.ID] = placement{tk.Status, tk.WindowID}
	}
	for _, w := range s.Windows {
		if w.Ticket != nil {
			out[w.Ticket.ID] = placement{w.Ticket.Status, w.Ticket.WindowID}
		}
	}
	return out
}

// checkBoards waits, with the load at rest, until every board has caught
// up by itself with the server's seq, and compares what it shows with the
// server's snapshot. A postponed ticket coming back may move the seq on
// meanwhile: then the comparison is taken again.
func (l *killLoad) checkBoards(hall *client.Client) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		snap, err := hall.GetSnapshot(context.Background(), demo.OfficeID)
		if err != nil {
			l.t.Fatalf("snapshot: %v", err)
		}
		l.checkSnapshot(snap)
		want := snapshotPlacements(snap)
		level := true
		for _, b := range l.boards {
			b.mu.Lock()
			level = level && b.seq == snap.Seq
			b.mu.Unlock()
			level = level && b.sub.State().Status == client.Online
		}
		if level {
			for _, b := range l.boards {
				b.mu.Lock()
				if !mapsEqual(b.tickets, want) {
					l.mu.Lock()
					l.stale++
					l.mu.Unlock()
					l.t.Errorf("a board at seq %d shows %v, the server %v", b.seq, b.tickets, want)
				}
				b.mu.Unlock()
			}
			break
		}
		if time.Now().After(deadline) {
			l.mu.Lock()
			l.stale++
			l.mu.Unlock()
			l.t.Fatalf("the boards never caught up with seq %d by themselves", snap.Seq)
		}
		time.Sleep(10 * time.Millisecond)
	}
	resyncs, reconnects := 0, 0
	for _, b := range l.boards {
		b.mu.Lock()
		resyncs += b.snapshots - 1
		reconnects += b.onlines - 1
		b.mu.Unlock()
	}
	l.mu.Lock()
	l.resyncs, l.reconnects = resyncs, reconnects
	l.mu.Unlock()
}

func mapsEqual(a, b map[string]placement) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// checkSnapshot counts a ticket at two windows, or at a window and in the
// queue at once, in what the server serves.
func (l *killLoad) checkSnapshot(s domain.OfficeSnapshot) {
	where := map[string]string{}
	for _, tk := range s.Queue {
		where[tk.ID] = "queue"
	}
	for _, w := range s.Windows {
		if w.Ticket == nil {
			continue
		}
		if prev, ok := where[w.Ticket.ID]; ok {
			l.mu.Lock()
			l.twoPlaces++
			l.mu.Unlock()
			l.t.Errorf("ticket %s is at window %s and in %s", w.Ticket.Number, w.Window.ID, prev)
		}
		where[w.Ticket.ID] = w.Window.ID
	}
}

// checkLoaded compares what the restarted server serves with the file it
// loaded: the same seq, the same tickets in the queue and at the windows.
// A postponed ticket may have come back since, which moves the seq on;
// then only the rollback is checked.
func (l *killLoad) checkLoaded(hall *client.Client) {
	snap, err := hall.GetSnapshot(context.Background(), demo.OfficeID)
	if err != nil {
		l.t.Fatalf("snapshot after the restart: %v", err)
	}
	l.checkSnapshot(snap)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case snap.Seq < l.lastLogged:
		l.seqReused++
		l.t.Errorf("the file ends at seq %d, the restarted server at %d", l.lastLogged, snap.Seq)
	case snap.Seq == l.lastLogged && !mapsEqual(snapshotPlacements(snap), l.active):
		l.lost++
		l.t.Errorf("the restarted server holds %v, its file %v", snapshotPlacements(snap), l.active)
	}
}

// loadedFile is a data file's state with its tickets and request keys
// collected.
type loadedFile struct {
	domain.State
	Tickets     []domain.Ticket
	Idempotency []domain.IdempotencyKey
}

func loadFile(ctx context.Context, st *store.Store) (loadedFile, error) {
	var l loadedFile
	err := st.Load(ctx, "", func(state domain.State) error {
		l.State = state
		if err := state.Tickets(func(tk domain.Ticket) error {
			l.Tickets = append(l.Tickets, tk)
			return nil
		}); err != nil {
			return err
		}
		return state.Idempotency(func(k domain.IdempotencyKey) error {
			l.Idempotency = append(l.Idempotency, k)
			return nil
		})
	})
	return l, err
}

// checkFile reads the data file of the stopped server. final: nothing is
// pending any more, so every ticket in it must be one a kiosk was given.
func (l *killLoad) checkFile(path string, final bool) {
	t := l.t
	ctx := context.Background()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatalf("open the data file after the kill: %v", err)
	}
	defer st.Close()
	state, err := loadFile(ctx, st)
	if err != nil {
		t.Fatalf("load the data file after the kill: %v", err)
	}
	// The journal's hash chains go on across the kills unbroken.
	if err := st.EachJournal(ctx, journal.NewVerifier().Check); err != nil {
		l.mu.Lock()
		l.journalBroken++
		l.mu.Unlock()
		t.Errorf("the journal after kill %d: %v", l.kills, err)
	}
	// The log is read from a little before where the last check ended:
	// what was durable then must still be there, unchanged.
	from := l.lastLogged - min(l.lastLogged, 64)
	if final {
		from = 0
	}
	var events []domain.Event
	for after := from; ; {
		page, err := st.Events(ctx, demo.OfficeID, after, store.MaxEventsPage)
		if err != nil {
			t.Fatalf("read the event log: %v", err)
		}
		events = append(events, page...)
		if len(page) < store.MaxEventsPage {
			break
		}
		after = page[len(page)-1].Seq
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	prev := from
	for _, e := range events {
		if e.Seq != prev+1 {
			l.seqGaps++
			t.Errorf("the event log goes from seq %d to %d", prev, e.Seq)
		}
		prev = e.Seq
		id := eventID{e.Type, e.TicketID, e.At}
		if was, ok := l.logged[e.Seq]; ok && (was.typ != id.typ || was.ticket != id.ticket || !was.at.Equal(id.at)) {
			l.seqReused++
			t.Errorf("seq %d was %s in the file and is now %s", e.Seq, was, id)
		}
		l.logged[e.Seq] = id
	}
	if prev < l.lastLogged {
		l.seqReused++
		t.Errorf("the event log ended at seq %d and now ends at %d", l.lastLogged, prev)
	}
	if last := state.OfficeSeq[demo.OfficeID]; last != prev {
		l.seqGaps++
		t.Errorf("the office's seq is %d, its log ends at %d", last, prev)
	}
	l.lastLogged = prev
	// What a board was shown was durable: the same event is in the file.
	for seq, id := range l.seen {
		was, ok := l.logged[seq]
		if !ok || was.typ != id.typ || was.ticket != id.ticket || !was.at.Equal(id.at) {
			l.seqReused++
			t.Errorf("a board was shown seq %d as %s, the file has %v (ok %v)", seq, id, was, ok)
		}
	}

	tickets := map[string]domain.Ticket{}
	l.active = map[string]placement{}
	numbers := map[string]string{}
	atWindow := map[string]string{}
	for _, tk := range state.Tickets {
		if tk.OfficeID != demo.OfficeID {
			continue
		}
		tickets[tk.ID] = tk
		if !tk.Status.Terminal() {
			l.active[tk.ID] = placement{tk.Status, tk.WindowID}
		}
		if other, ok := numbers[tk.Day+" "+tk.Number]; ok {
			l.duplicates++
			t.Errorf("number %s of %s is held by tickets %s and %s", tk.Number, tk.Day, other, tk.ID)
		}
		numbers[tk.Day+" "+tk.Number] = tk.ID
		if tk.Status == domain.StatusCalled || tk.Status == domain.StatusServing {
			if other, ok := atWindow[tk.WindowID]; ok {
				l.twoPlaces++
				t.Errorf("window %s has tickets %s and %s", tk.WindowID, other, tk.ID)
			}
			atWindow[tk.WindowID] = tk.ID
		}
	}
	for _, s := range state.Sessions {
		if s.OfficeID != demo.OfficeID {
			continue
		}
		if want := atWindow[s.WindowID]; s.CurrentTicketID != want {
			l.twoPlaces++
			t.Errorf("window %s's session holds ticket %q, the tickets say %q", s.WindowID, s.CurrentTicketID, want)
		}
	}

	// Every acknowledged operation left its step in the ticket's history
	// and its event in the log; an answer that carried the history names
	// its very step. The ticket is as its last event left it.
	byTicket := map[string][]domain.Event{}
	if final {
		for _, e := range events {
			if e.TicketID != "" && e.Ticket != nil {
				byTicket[e.TicketID] = append(byTicket[e.TicketID], e)
			}
		}
	}
	verified := 0
	for id, acks := range l.acks {
		tk, ok := tickets[id]
		if !ok {
			l.lost += len(acks)
			t.Errorf("acknowledged ticket %s (%s) is not in the file", acks[0].ticket.Number, id)
			continue
		}
		if problem := ackedIn(tk, acks); problem != "" {
			l.lost++
			t.Errorf("ticket %s: %s", tk.Number, problem)
			continue
		}
		if final {
			evs := byTicket[id]
			if problem := ackedEvents(evs, acks); problem != "" {
				l.lost++
				t.Errorf("ticket %s: %s", tk.Number, problem)
				continue
			}
			if last := evs[len(evs)-1].Ticket; last.Status != tk.Status || last.WindowID != tk.WindowID {
				l.lost++
				t.Errorf("ticket %s is %s at %q, its last event left it %s at %q", tk.Number, tk.Status, tk.WindowID, last.Status, last.WindowID)
				continue
			}
		}
		verified += len(acks)
	}
	l.verified = verified
	// The server remembers each acknowledged key with its ticket.
	keys := map[string]string{}
	for _, k := range state.Idempotency {
		if k.OfficeID == demo.OfficeID && k.Request == "" {
			keys[k.Key] = k.TicketID
		}
	}
	for key, a := range l.issued {
		if keys[key] != a.ticket.ID {
			l.forgotten++
			t.Errorf("key %s gave ticket %s, the file remembers it for %q", key, a.ticket.ID, keys[key])
		}
	}
	// A ticket nobody acknowledged comes from an issue still pending; once
	// all are answered there is none: one touch, one ticket.
	pending := l.pendingIssues
	unacked := 0
	for id := range tickets {
		if _, ok := l.acks[id]; !ok {
			unacked++
			l.swallowed[id] = true
		}
	}
	if unacked > pending || final && unacked > 0 {
		l.extra = unacked - pending
		t.Errorf("%d tickets in the file were never given to a kiosk (%d issues pending)", unacked, pending)
	}
}

// ackedIn says what of the acknowledged operations the ticket's history
// lacks, "" when nothing. Answers to different clients arrive in any
// order, so operations are counted by kind, and placed exactly where the
// answer showed the history.
func ackedIn(tk domain.Ticket, acks []ack) string {
	if tk.Number != acks[0].ticket.Number {
		return fmt.Sprintf("acknowledged as %s, numbered %s in the file", acks[0].ticket.Number, tk.Number)
	}
	want := map[domain.Action]int{}
	for _, a := range acks {
		want[a.action]++
		if n := len(a.ticket.History); n > 0 {
			step := a.ticket.History[n-1]
			if n > len(tk.History) || tk.History[n-1].Action != step.Action || !tk.History[n-1].At.Equal(step.At) {
				return fmt.Sprintf("%s acknowledged as step %d at %s, the file's history %v", a.action, n, step.At.Format(time.RFC3339Nano), steps(tk.History))
			}
		}
	}
	for _, s := range tk.History {
		want[s.Action]--
	}
	for act, n := range want {
		if n > 0 {
			return fmt.Sprintf("%d more %s acknowledged than the file's history %v holds", n, act, steps(tk.History))
		}
	}
	return ""
}

// ackedEvents says which acknowledged operations have no event of their
// own in the ticket's events.
func ackedEvents(evs []domain.Event, acks []ack) string {
	want := map[domain.Action]int{}
	for _, a := range acks {
		want[a.action]++
	}
	for _, e := range evs {
		if act, ok := eventAction[e.Type]; ok {
			want[act]--
		}
	}
	for act, n := range want {
		if n > 0 {
			return fmt.Sprintf("%d more %s acknowledged than its events %v show", n, act, types(evs))
		}
	}
	return ""
}

// eventAction is the action behind each event an acknowledged operation
// leaves.
var eventAction = map[domain.EventType]domain.Action{
	domain.EventTicketIssued:           domain.ActionIssue,
	domain.EventTicketCalled:           domain.ActionCall,
	domain.EventTicketFinished:         domain.ActionFinish,
	domain.EventTicketReturnedToOrigin: domain.ActionFinish,
	domain.EventTicketPostponed:        domain.ActionPostpone,
	domain.EventTicketRedirected:       domain.ActionRedirect,
}

func steps(h []domain.Step) []domain.Action {
	out := make([]domain.Action, len(h))
	for i, s := range h {
		out[i] = s.Action
	}
	return out
}

func types(evs []domain.Event) []domain.EventType {
	out := make([]domain.EventType, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}
