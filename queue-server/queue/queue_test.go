package queue

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/store"
)

// flakyStore fails commits while fail is set, like a full disk.
type flakyStore struct {
	domain.Store
	fail, failLoad atomic.Bool
}

func (f *flakyStore) Commit(ctx context.Context, c domain.Changes) error {
	if f.fail.Load() {
		return errors.New("no space left on device")
	}
	return f.Store.Commit(ctx, c)
}

func (f *flakyStore) Load(ctx context.Context, since string, fn func(domain.State) error) error {
	if f.failLoad.Load() {
		return errors.New("input/output error")
	}
	return f.Store.Load(ctx, since, fn)
}

type recorder struct {
	mu     sync.Mutex
	events []domain.Event
}

func (r *recorder) Publish(evs []domain.Event) {
	r.mu.Lock()
	r.events = append(r.events, evs...)
	r.mu.Unlock()
}

// testClock is a clock tests move by hand; the service reads it from its
// own goroutines.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// openDemo opens the service on st with the demo office seeded. opts may set
// the clock, the tick and the bcrypt cost (4 unless set). The service closes when the test ends, before the
// store: cleanups run last registered first.
func openDemo(t *testing.T, st domain.Store, opts Options) *Service {
	t.Helper()
	opts.Store = st
	if opts.BcryptCost == 0 {
		opts.BcryptCost = 4
	}
	if opts.TickEvery == 0 {
		opts.TickEvery = time.Hour
	}
	svc, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	if !demo.Seeded(context.Background(), svc) {
		if _, err := demo.Seed(context.Background(), svc, "demo"); err != nil {
			t.Fatal(err)
		}
	}
	return svc
}

// waitStatus polls until the ticket has the status, which the service's
// ticker changes on its own time.
func waitStatus(t *testing.T, svc *Service, ctx context.Context, id string, want domain.Status) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := svc.GetTicket(ctx, demo.OfficeID, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ticket %s still %s, want %s", got.Number, got.Status, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// as is a demo account logged in, or a demo device (kiosk1, display1 …)
// paired afresh, as the actor of a context.
func as(login string, svc *Service, t *testing.T) context.Context {
	t.Helper()
	if !strings.Contains(login, "operator") && demoDevice.MatchString(login) {
		return domain.WithActor(context.Background(), pair(t, svc, login))
	}
	a, err := svc.Login(context.Background(), login, "demo")
	if err != nil {
		t.Fatalf("login %s: %v", login, err)
	}
	return domain.WithActor(context.Background(), a)
}

var demoDevice = regexp.MustCompile(`^(kiosk|display|rating)[0-9]+$`)

// pair pairs a demo device as its administrator would and returns the
// actor its credential stands for.
func pair(t *testing.T, svc *Service, device string) domain.Actor {
	t.Helper()
	sys := domain.WithActor(context.Background(), domain.System)
	code, err := svc.CreatePairingCode(sys, demo.OfficeID, device)
	if err != nil {
		t.Fatalf("pairing code for %s: %v", device, err)
	}
	p, err := svc.PairDevice(context.Background(), code.Code)
	if err != nil {
		t.Fatalf("pair %s: %v", device, err)
	}
	a, err := svc.CheckDevice(context.Background(), p.Credential)
	if err != nil {
		t.Fatalf("check %s: %v", device, err)
	}
	return a
}

func TestConcurrentIssueIsDurableAndUnique(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talon.db")
	st := openStore(t, path)
	svc := openDemo(t, st, Options{})
	rec := &recorder{}
	svc.SetPublisher(rec)
	kiosk := as("kiosk1", svc, t)

	const clients, each = 20, 15
	var wg sync.WaitGroup
	numbers := make(chan string, clients*each)
	errs := make(chan error, clients*each)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				tk, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
				if err != nil {
					errs <- err
					return
				}
				numbers <- tk.Number
			}
		}()
	}
	wg.Wait()
	close(numbers)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for n := range numbers {
		if seen[n] {
			t.Fatalf("number %s issued twice", n)
		}
		seen[n] = true
	}
	if len(seen) != clients*each {
		t.Fatalf("%d numbers, want %d", len(seen), clients*each)
	}

	// Published in sequence order, without gaps.
	rec.mu.Lock()
	for i := 1; i < len(rec.events); i++ {
		if rec.events[i].Seq != rec.events[i-1].Seq+1 {
			t.Fatalf("published seq %d after %d", rec.events[i].Seq, rec.events[i-1].Seq)
		}
	}
	rec.mu.Unlock()

	// Everything acknowledged is on disk.
	svc.Close()
	st.Close()
	st2 := openStore(t, path)
	svc2 := openDemo(t, st2, Options{})
	q, err := svc2.ListQueue(as("hall", svc2, t), demo.OfficeID, domain.QueueFilter{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != clients*each {
		t.Fatalf("after reopening %d tickets wait, want %d", len(q), clients*each)
	}
}

func TestFailedCommitRefusesAndLosesNothing(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	flaky := &flakyStore{Store: st}
	svc := openDemo(t, flaky, Options{})
	kiosk := as("kiosk1", svc, t)
	first, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	flaky.fail.Store(true)
	_, err = svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("issue on a failing disk: %v, want unavailable", err)
	}
	flaky.fail.Store(false)
	next, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	// The refused ticket never existed: numbering continues from the last acknowledged one.
	if first.Number != "А001" || next.Number != "А002" {
		t.Fatalf("numbers %s then %s, want А001 then А002", first.Number, next.Number)
	}
	got, err := svc.GetTicket(kiosk, demo.OfficeID, first.ID)
	if err != nil || got.Status != domain.StatusWaiting {
		t.Fatalf("acknowledged ticket after a failed commit: %+v, %v", got, err)
	}
}

// TestUnreloadableStateRefusesEverything: when the state cannot be read
// back after a failed commit, the engine is gone (failed lets go of it
// before the reload) and every way in, writes, reads, the empty call-next
// answered without the writer and readiness, says the store is unavailable
// instead of reaching for it, even once the disk works again.
func TestUnreloadableStateRefusesEverything(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	flaky := &flakyStore{Store: st}
	svc := openDemo(t, flaky, Options{})
	kiosk, op := as("kiosk1", svc, t), as("operator1", svc, t)
	first, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	flaky.fail.Store(true)
	flaky.failLoad.Store(true)
	if _, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("issue on a failing disk: %v, want unavailable", err)
	}
	flaky.fail.Store(false)
	flaky.failLoad.Store(false)
	for name, call := range map[string]func() error{
		"issue": func() error {
			_, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
			return err
		},
		"get":       func() error { _, err := svc.GetTicket(kiosk, demo.OfficeID, first.ID); return err },
		"call next": func() error { _, err := svc.CallNext(op, demo.OfficeID, "w1", false); return err },
		"snapshot":  func() error { _, err := svc.GetSnapshot(op, demo.OfficeID); return err },
		"ready":     svc.Ready,
	} {
		if err := call(); domain.ErrorCode(err) != domain.CodeUnavailable {
			t.Errorf("%s after the state could not be reloaded: %v, want unavailable", name, err)
		}
	}
}

func TestLogin(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	svc := openDemo(t, st, Options{})
	for _, tc := range []struct{ login, password string }{{"operator1", "wrong"}, {"nobody", "demo"}, {"", ""}} {
		_, err := svc.Login(context.Background(), tc.login, tc.password)
		if domain.ErrorCode(err) != domain.CodeUnauthorized {
			t.Errorf("login %q/%q: %v, want unauthorized", tc.login, tc.password, err)
		}
	}
	a, err := svc.Login(context.Background(), "hall", "demo")
	if err != nil {
		t.Fatal(err)
	}
	// A password change invalidates what was issued for the old one.
	admin := as("admin", svc, t)
	if _, err := svc.PutAccount(admin, domain.AccountInput{Account: domain.Account{Login: "hall", Role: domain.RoleHall, OfficeID: demo.OfficeID}, Password: "new-secret"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CheckActor(context.Background(), a); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("old token's actor still accepted: %v", err)
	}
}

// Devices pair with a one-time code and lose access when revoked; the
// credential survives a restart, a used or expired code does not work.
func TestDevicePairingAndRevocation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talon.db")
	st := openStore(t, path)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	svc := openDemo(t, st, Options{Now: clock})
	ctx := context.Background()
	admin := as("admin", svc, t)
	changed := make(chan struct{}, 16)
	svc.OnAccessChanged(func() { changed <- struct{}{} })

	code, err := svc.CreatePairingCode(admin, demo.OfficeID, "rating3")
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.PairDevice(ctx, strings.ToLower(code.Code))
	if err != nil {
		t.Fatalf("pair with the code as typed in lower case: %v", err)
	}
	a, err := svc.CheckDevice(ctx, p.Credential)
	if err != nil || a.Role != domain.RoleDevice || a.DeviceKind != domain.DeviceRating || a.WindowID != "w3" {
		t.Fatalf("device actor %+v, %v", a, err)
	}
	if _, err := svc.PairDevice(ctx, code.Code); domain.ErrorCode(err) != domain.CodeNotFound || !strings.Contains(domain.ErrorMessage(err), "уже использован") {
		t.Fatalf("a used code: %v", err)
	}
	if _, err := svc.Login(ctx, "rating3", "demo"); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("a device logged in with a password: %v", err)
	}
	forged := p.Credential[:len(p.Credential)-4] + "0000"
	if _, err := svc.CheckDevice(ctx, forged); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("a forged credential: %v", err)
	}

	late, err := svc.CreatePairingCode(admin, demo.OfficeID, "kiosk1")
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(domain.PairingCodeTTL)
	mu.Unlock()
	if _, err := svc.PairDevice(ctx, late.Code); domain.ErrorCode(err) != domain.CodeConflict || !strings.Contains(domain.ErrorMessage(err), "истёк") {
		t.Fatalf("an expired code: %v", err)
	}

	svc.Close()
	svc = openDemo(t, st, Options{Now: clock})
	if _, err := svc.CheckDevice(ctx, p.Credential); err != nil {
		t.Fatalf("the credential did not survive a restart: %v", err)
	}
	svc.OnAccessChanged(func() { changed <- struct{}{} })
	if _, err := svc.RevokeDevice(as("admin", svc, t), demo.OfficeID, "rating3"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("revocation did not tell the streams to recheck")
	}
	if _, err := svc.CheckDevice(ctx, p.Credential); domain.ErrorCode(err) != domain.CodeUnauthorized || !strings.Contains(domain.ErrorMessage(err), "привяжите его заново") {
		t.Fatalf("a revoked device still works: %v", err)
	}
}

// A logout ends the session for every token of it, also after a restart,
// and other sessions of the same login go on.
func TestLogoutEndsTheSession(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	svc := openDemo(t, st, Options{})
	ctx := context.Background()
	a, err := svc.Login(ctx, "hall", "demo")
	if err != nil {
		t.Fatal(err)
	}
	a.SessionID, a.SessionStarted = "s-desk", time.Now()
	other := a
	other.SessionID = "s-phone"
	before := svc.access.Load()
	if err := svc.EndSession(domain.WithActor(ctx, a)); err != nil {
		t.Fatal(err)
	}
	// A logout copies the ended sessions, not every account and terminal.
	after := svc.access.Load()
	if reflect.ValueOf(after.people).UnsafePointer() != reflect.ValueOf(before.people).UnsafePointer() ||
		reflect.ValueOf(after.devices).UnsafePointer() != reflect.ValueOf(before.devices).UnsafePointer() ||
		after.directory != before.directory || !after.ended["s-desk"] || before.ended["s-desk"] {
		t.Fatalf("a logout copied the access table's parts it does not change, or not the ended sessions")
	}
	if _, err := svc.CheckActor(ctx, a); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("a token of the ended session still works: %v", err)
	}
	if _, err := svc.CheckActor(ctx, other); err != nil {
		t.Fatalf("another session of the login ended too: %v", err)
	}
	svc.Close()
	svc = openDemo(t, st, Options{})
	if _, err := svc.CheckActor(ctx, a); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("the logout was forgotten over a restart: %v", err)
	}
}

func BenchmarkIssueTicket(b *testing.B) {
	for _, clients := range []int{1, 50} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			st, err := store.Open(filepath.Join(b.TempDir(), "talon.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			svc, err := Open(context.Background(), Options{Store: st, BcryptCost: 4, TickEvery: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			defer svc.Close()
			creds, err := demo.Seed(context.Background(), svc, "demo")
			if err != nil {
				b.Fatal(err)
			}
			a, err := svc.CheckDevice(context.Background(), creds["kiosk1"])
			if err != nil {
				b.Fatal(err)
			}
			ctx := domain.WithActor(context.Background(), a)
			// SetParallelism multiplies by GOMAXPROCS; ask for at least clients goroutines.
			b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			before := svc.Stats()
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := svc.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			after := svc.Stats()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
			b.ReportMetric(float64(after.Operations-before.Operations)/float64(after.Commits-before.Commits), "ops/commit")
		})
	}
}

// TestPostponedTicketReturnsByItself lets the service's own ticker bring a
// postponed ticket back, and the event reach the publisher.
func TestPostponedTicketReturnsByItself(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	clock := &testClock{t: time.Now()}
	svc := openDemo(t, st, Options{Now: clock.Now, TickEvery: 10 * time.Millisecond})
	rec := &recorder{}
	svc.SetPublisher(rec)
	kiosk, op := as("kiosk1", svc, t), as("operator1", svc, t)
	tk, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.OpenWindowSession(op, demo.OfficeID, "w1"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CallNext(op, demo.OfficeID, "w1", false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PostponeTicket(op, demo.OfficeID, tk.ID, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	clock.Advance(5 * time.Minute)
	waitStatus(t, svc, kiosk, tk.ID, domain.StatusWaiting)
	// Events are published after the commit answers, so the state can be
	// read a moment before its event is out.
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec.mu.Lock()
		last := rec.events[len(rec.events)-1]
		rec.mu.Unlock()
		if last.Type == domain.EventTicketReturned && last.Actor == domain.System.Login {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("last published event %s by %s, want ticket.returned by system", last.Type, last.Actor)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestOldTicketComesFromTheStore asks for a ticket of a past day, which the
// engine no longer keeps in memory.
func TestOldTicketComesFromTheStore(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	clock := &testClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	svc := openDemo(t, st, Options{Now: clock.Now, TickEvery: 10 * time.Millisecond})
	kiosk := as("kiosk1", svc, t)
	old, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(72 * time.Hour)
	// The day closes: the ticket is cancelled, then forgotten by the engine.
	waitStatus(t, svc, kiosk, old.ID, domain.StatusCancelled)
	// Let the next ticks drop it from memory, then ask again.
	time.Sleep(100 * time.Millisecond)
	got, err := svc.GetTicket(kiosk, demo.OfficeID, old.ID)
	if err != nil || got.Number != old.Number || got.Status != domain.StatusCancelled {
		t.Fatalf("ticket of three days ago: %+v, %v", got, err)
	}
	_, err = svc.GetTicket(kiosk, demo.OfficeID, "0000000000000000000000000000")
	if domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("unknown ticket: %v", err)
	}
	_, err = svc.GetTicket(kiosk, "elsewhere", old.ID)
	if domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("ticket of another office: %v", err)
	}
}

// Regression: an unknown login was compared against a hash of the lowest
// cost (~1.5 ms against ~60 ms for a wrong password), which told which
// logins exist. The decoy has the cost real passwords are hashed with.
func TestUnknownLoginCostsAsMuchAsAWrongPassword(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	svc := openDemo(t, st, Options{BcryptCost: 6})
	if cost, err := bcrypt.Cost(svc.decoyHash()); err != nil || cost != 6 {
		t.Fatalf("decoy hash cost %d (%v), want the cost of real passwords, 6", cost, err)
	}
}

// Regression: changing an account hashed the new password before checking
// that the caller may change it, so anyone could make the server burn CPU.
// With the highest bcrypt cost a hash takes hours: a refusal that comes back
// at once was decided before hashing.
func TestRefusedPasswordChangeIsNotHashed(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	seeded := openDemo(t, st, Options{})
	seeded.Close()
	svc := openDemo(t, st, Options{BcryptCost: bcrypt.MaxCost})
	hall := as("hall", svc, t)
	done := make(chan error, 1)
	go func() {
		_, err := svc.PutAccount(hall, domain.AccountInput{Account: domain.Account{Login: "admin", Role: domain.RoleAdmin}, Password: "taken-over"})
		done <- err
	}()
	select {
	case err := <-done:
		if domain.ErrorCode(err) != domain.CodeForbidden {
			t.Fatalf("hall changing the region administrator: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the refused change is still hashing its password")
	}
}

// Names and phones of bookings are purged once the visit is more than the
// retention time ago, in memory and on disk; the booking itself stays.
func TestPersonalDataPurge(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	clock := &testClock{t: time.Now()}
	svc := openDemo(t, st, Options{Now: clock.Now, PersonalDataRetention: 30 * 24 * time.Hour})
	hall := as("hall", svc, t)
	day := clock.Now().Add(24 * time.Hour).In(time.UTC).Format(time.DateOnly)
	slots, err := svc.ListAppointmentSlots(hall, demo.OfficeID, "consultation", day)
	if err != nil || len(slots) == 0 {
		t.Fatalf("slots: %v, %v", slots, err)
	}
	ap, err := svc.CreateAppointment(hall, demo.OfficeID, domain.NewAppointment{ServiceID: "consultation", Start: slots[0].Start, Name: "Иванов И. И.", Phone: "+79990001122"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc.PurgePersonalData(context.Background()); err != nil || n != 0 {
		t.Fatalf("a purge before the visit changed %d bookings (%v)", n, err)
	}
	clock.Advance(32 * 24 * time.Hour)
	if n, err := svc.PurgePersonalData(context.Background()); err != nil || n != 1 {
		t.Fatalf("purge after the retention: %d, %v; want 1", n, err)
	}
	if n, err := svc.PurgePersonalData(context.Background()); err != nil || n != 0 {
		t.Fatalf("a second purge: %d, %v; want nothing left", n, err)
	}
	svc.Close()
	var appointments []domain.Appointment
	if err := st.Load(context.Background(), "2000-01-01", func(state domain.State) error {
		appointments = state.Appointments
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, a := range appointments {
		if a.ID == ap.ID && (a.Name != "" || a.Phone != "" || a.Code != ap.Code) {
			t.Fatalf("on disk after the purge: %+v", a)
		}
	}
	left, err := st.PersonalData(context.Background(), "", "9999-12-31")
	if err != nil || len(left) != 0 {
		t.Fatalf("personal data left in the store: %+v, %v", left, err)
	}
}

// A call-next with finish_current on an empty queue is refused, but its
// finish is committed: it is there after a restart, and the refusal says so.
func TestFinishOnEmptyQueueIsCommitted(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	svc := openDemo(t, st, Options{})
	kiosk, op := as("kiosk1", svc, t), as("operator1", svc, t)
	tk, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.OpenWindowSession(op, demo.OfficeID, "w1"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CallNext(op, demo.OfficeID, "w1", false); err != nil {
		t.Fatal(err)
	}
	_, err = svc.CallNext(op, demo.OfficeID, "w1", true)
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeEmpty || de.Finished == nil || de.Finished.ID != tk.ID {
		t.Fatalf("call-next on an empty queue: %v, want queue_empty with %s finished", err, tk.Number)
	}
	svc.Close()
	again := openDemo(t, st, Options{})
	got, err := again.GetTicket(as("operator1", again, t), demo.OfficeID, tk.ID)
	if err != nil || got.Status != domain.StatusDone {
		t.Fatalf("after a restart the ticket is %s (%v), want done", got.Status, err)
	}
}
