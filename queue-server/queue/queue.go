// Package queue runs the engine: one writer goroutine applies operations to
// the in-memory state in batches and commits each batch to the store in one
// fsynced transaction (group commit), answers callers only after that commit,
// and publishes the events after it. Readers share a lock with the writer, so
// they never see state that is not yet on disk.
package queue

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
	"github.com/talonqueue/talon/queue-server/integrations/mdm"
	"github.com/talonqueue/talon/queue-server/outbox"
)

// Publisher receives the events of every successful commit, in order. It
// must not block.
type Publisher interface {
	Publish(events []domain.Event)
}

// Options configure a Service.
type Options struct {
	Store domain.Store
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// BcryptCost hashes passwords; bcrypt.DefaultCost when 0.
	BcryptCost int
	// PersonalDataRetention is how long after the visit an applicant's name
	// and phone are kept; 30 days when 0.
	PersonalDataRetention time.Duration
	// SessionMax is the longest a person's login session lasts, however
	// often its token is refreshed; a logout is remembered that long. 24 h when 0.
	SessionMax time.Duration
	// MaxBatch bounds how many operations share one commit.
	MaxBatch int
	// TickEvery is how often postponed tickets and day ends are checked.
	TickEvery time.Duration
	Logger    *slog.Logger
	// NoJournal turns the audit journal off. It exists only to measure what
	// the journal costs; a real server always keeps it.
	NoJournal bool
	// Export makes the messages to other systems (the МКГУ packets) of a
	// stored rating; they are committed in the rating's transaction, so a
	// rating is exported if and only if it is stored. nil exports nothing.
	// An error skips the export, never the rating: see Service.export.
	Export func(rec domain.RatingRecord, office domain.Office, service domain.Service) ([]domain.OutboxMessage, error)
	// MDM pushes the ИС МДМ feed: every event of an office with an МДМ UID,
	// not in sandbox, that maps to МДМ objects is committed with its
	// outbox message (channel mdm). The feed for a period is read whether
	// or not it is pushed.
	MDM bool
	// Outbox is the store's outbox, whose delivery state managers read;
	// without it ListOutbox and RedeliverMessage answer unavailable.
	Outbox *outbox.Outbox
	// OnCommit is told of every transaction the writer attempted: how many
	// operations it carried, how long the store took and whether it failed.
	// It runs on the writer's goroutine after the lock is released, so it
	// must be quick (monitoring counts it; nil is nothing).
	OnCommit func(ops int, took time.Duration, err error)
}

// Service is the queue server's implementation of domain.Backend.
type Service struct {
	opts  Options
	store domain.Store
	log   *slog.Logger
	cfg   engine.Config

	mu sync.RWMutex // guards eng; the writer holds it across apply and commit
	// applying is held by the writer only while it changes eng (applying a
	// batch, reloading after a failed commit), not through the fsync:
	// emptyCall reads under it alone (see there).
	applying sync.RWMutex
	eng      *engine.Engine
	broken   error  // set when the state could not be reloaded after a failed commit
	chains   chains // the journal's heads, written by the writer under mu

	// access answers token and credential checks without the lock the
	// writer holds through every fsync; it is replaced after commits that
	// change logins, devices or sessions, and onAccess is told.
	access   atomic.Pointer[accessTable]
	onAccess atomic.Pointer[func()]
	pub      atomic.Pointer[Publisher]
	// commits and committed count durable transactions and the operations
	// they carried, to show how well commits are grouped.
	commits, committed atomic.Uint64
	ops                chan op
	decoyOnce          sync.Once
	decoy              []byte
	quit               chan struct{}
	done               chan struct{}
	closed             sync.Once
}

var _ domain.Backend = (*Service)(nil)

type op struct {
	ctx   context.Context
	en    *entry
	apply func(e *engine.Engine, ch *domain.Changes) (any, error)
	res   chan result
}

type result struct {
	v   any
	err error
}

// legacySecretSetting is where servers before the key file kept the token key.
const legacySecretSetting = "token_secret"

// Open loads the state from the store and starts the writer.
func Open(ctx context.Context, opts Options) (*Service, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.PersonalDataRetention <= 0 {
		opts.PersonalDataRetention = 30 * 24 * time.Hour
	}
	if opts.SessionMax <= 0 {
		opts.SessionMax = 24 * time.Hour
	}
	if opts.TickEvery <= 0 {
		opts.TickEvery = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Service{
		opts: opts, store: opts.Store, log: opts.Logger,
		cfg: engine.Config{Now: opts.Now, NewID: newID, NewCode: newCode, NewPairingCode: newPairingCode, NewSecret: newSecret, NewStatusToken: newStatusToken, TZ: time.LoadLocation},
		ops: make(chan op), quit: make(chan struct{}), done: make(chan struct{}),
	}
	if opts.MDM {
		s.cfg.MDM = mdm.Messages
	}
	if err := s.reload(ctx); err != nil {
		return nil, err
	}
	go s.run()
	go s.tick()
	// Servers before the key file kept the token key in the database, and
	// so in every backup: it is dropped (its tokens stop working).
	if s.eng.Setting(legacySecretSetting) != "" {
		en := &entry{action: "putSetting", object: "setting/" + legacySecretSetting}
		_, err := write(domain.WithActor(ctx, domain.System), s, en, func(e *engine.Engine, ch *domain.Changes) (struct{}, error) {
			e.PutSetting(legacySecretSetting, "", ch)
			return struct{}{}, nil
		})
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("remove the token key from the database: %w", err)
		}
	}
	return s, nil
}

// reload replaces the engine with the state on disk.
func (s *Service) reload(ctx context.Context) error {
	since := s.opts.Now().UTC().AddDate(0, 0, -2).Format(time.DateOnly)
	var (
		eng  *engine.Engine
		last map[string]domain.JournalRecord
	)
	// The engine is built inside the store's read, from records decoded
	// one at a time, so that a busy day is never in memory twice.
	err := s.store.Load(ctx, since, func(st domain.State) error {
		var err error
		eng, err = engine.Load(s.cfg, st)
		last = st.JournalLast
		return err
	})
	if err != nil {
		return fmt.Errorf("load state: %w", err)
	}
	s.eng = eng
	s.loadChains(last)
	s.refreshActors(nil)
	return nil
}

// accessTable is who may call: people by login, paired devices by
// engine.DeviceKey, and the sessions that were ended early.
type accessTable struct {
	people       map[string]domain.Actor
	devices      map[string]engine.DeviceCredential
	integrations map[string]engine.IntegrationCredential
	directory    *engine.Directory
	ended        map[string]bool
}

// refreshActors copies the access table's parts that c may have changed
// from the engine, or all of them when c is nil. Copying only those keeps a
// logout (a setting) or a device's pairing from copying every account and
// terminal of the region under the writer's lock. The maps are never
// changed once stored, so a new table may share the ones it keeps.
// It reports whether any part was copied.
func (s *Service) refreshActors(c *domain.Changes) bool {
	var t accessTable
	if old := s.access.Load(); old != nil {
		t = *old
	}
	// Deleting an office takes its devices and operators with it: every
	// part is copied again after any deletion, which is rare.
	all := c == nil || len(c.Deletions) > 0
	refreshed := false
	if all || len(c.Accounts) > 0 {
		t.people, refreshed = s.eng.Actors(), true
	}
	if all || len(c.Devices) > 0 {
		t.devices, refreshed = s.eng.DeviceCredentials(), true
	}
	if all || len(c.Integrations) > 0 {
		t.integrations, refreshed = s.eng.IntegrationCredentials(), true
	}
	if all || len(c.Offices) > 0 || len(c.Operators) > 0 {
		t.directory, refreshed = s.eng.Directory(), true
	}
	if all || len(c.Settings) > 0 {
		t.ended, refreshed = s.eng.RevokedSessions(), true
	}
	if refreshed {
		s.access.Store(&t)
	}
	return refreshed
}

// OnAccessChanged sets f to be called (on its own goroutine) after every
// commit that may have taken someone's access away, so that open streams
// can be checked again.
func (s *Service) OnAccessChanged(f func()) { s.onAccess.Store(&f) }

// Ready reports whether the service can take requests: it cannot after a
// failed commit whose state could not be reloaded from disk.
func (s *Service) Ready() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.broken != nil {
		return s.unavailable()
	}
	return nil
}

// Stats are counters of the write path since start.
type Stats struct {
	Commits    uint64 // durable transactions
	Operations uint64 // operations they carried
}

// Stats returns the write path's counters.
func (s *Service) Stats() Stats {
	return Stats{Commits: s.commits.Load(), Operations: s.committed.Load()}
}

// SetPublisher sets where committed events go; before it is set they go nowhere.
func (s *Service) SetPublisher(p Publisher) { s.pub.Store(&p) }

// Close stops the writer after the operations already accepted; it does not
// close the store.
func (s *Service) Close() {
	s.closed.Do(func() { close(s.quit) })
	<-s.done
}

// write submits an operation to the writer and waits for its commit. Once
// accepted, the operation's fate no longer depends on ctx: the caller learns
// the outcome even if it stopped waiting, so nothing acknowledged is lost.
// en names the operation for the journal; f may fill in what it learns.
func write[T any](ctx context.Context, s *Service, en *entry, f func(e *engine.Engine, ch *domain.Changes) (T, error)) (T, error) {
	var zero T
	o := op{
		ctx: ctx, en: en,
		apply: func(e *engine.Engine, ch *domain.Changes) (any, error) { return f(e, ch) },
		res:   make(chan result, 1),
	}
	select {
	case s.ops <- o:
	case <-s.quit:
		return zero, domain.Errorf(domain.CodeUnavailable, "сервер очереди останавливается, повторите через минуту")
	case <-ctx.Done():
		return zero, domain.Errorf(domain.CodeUnavailable, "запрос прерван: %v", ctx.Err())
	}
	r := <-o.res
	if r.err != nil {
		return zero, r.err
	}
	return r.v.(T), nil
}

// read runs f under the shared lock.
func read[T any](s *Service, f func(e *engine.Engine) (T, error)) (T, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.broken != nil {
		var zero T
		return zero, s.unavailable()
	}
	return f(s.eng)
}

func (s *Service) unavailable() error {
	return &domain.Error{Code: domain.CodeUnavailable, Message: "хранилище очереди недоступно: обратитесь к администратору", Err: s.broken}
}

func (s *Service) run() {
	defer close(s.done)
	batch := make([]op, 0, s.opts.MaxBatch)
	for {
		var first op
		select {
		case first = <-s.ops:
		case <-s.quit:
			return
		}
		batch = append(batch[:0], first)
	collect:
		for len(batch) < s.opts.MaxBatch {
			select {
			case o := <-s.ops:
				batch = append(batch, o)
			default:
				break collect
			}
		}
		s.commit(batch)
	}
}

// commit applies a batch and makes it durable in one transaction.
func (s *Service) commit(batch []op) {
	results := make([]result, len(batch))
	var all domain.Changes
	var took time.Duration
	var commitErr error
	committed := false
	s.mu.Lock()
	if s.broken != nil {
		for i := range results {
			results[i].err = s.unavailable()
		}
	} else {
		s.applying.Lock()
		for i, o := range batch {
			var ch domain.Changes
			v, err := o.apply(s.eng, &ch)
			results[i] = result{v, err}
			switch {
			case err == nil, partlyDone(err):
				s.journal(o, v, err, &ch)
				all.Merge(ch)
			case journaledRefusal(err):
				var refusal domain.Changes
				s.journal(o, nil, err, &refusal)
				all.Merge(refusal)
			}
		}
		s.applying.Unlock()
		if !all.Empty() {
			start := time.Now()
			commitErr = s.store.Commit(context.Background(), all)
			took, committed = time.Since(start), true
			if err := commitErr; err != nil {
				s.failed(err, results)
				all = domain.Changes{}
			} else {
				s.commits.Add(1)
				s.committed.Add(uint64(len(batch)))
				s.logHeads(all.JournalHeads)
				if s.refreshActors(&all) {
					if f := s.onAccess.Load(); f != nil {
						go (*f)()
					}
				}
			}
		}
	}
	s.mu.Unlock()
	if committed && s.opts.OnCommit != nil {
		s.opts.OnCommit(len(batch), took, commitErr)
	}
	for i, o := range batch {
		o.res <- results[i]
	}
	if p := s.pub.Load(); p != nil && len(all.Events) > 0 {
		(*p).Publish(all.Events)
	}
}

// partlyDone reports whether a refused operation changed state before it
// was refused (domain.Error.Finished): its changes are committed like a
// success's, or the memory would hold what the disk does not.
func partlyDone(err error) bool {
	var e *domain.Error
	return errors.As(err, &e) && e.Finished != nil
}

// failed handles a commit that did not reach the disk: every operation of the
// batch is refused and the state goes back to what the disk holds.
func (s *Service) failed(err error, results []result) {
	s.log.Error("commit failed; operations refused, state reloaded", "err", err)
	refusal := error(&domain.Error{Code: domain.CodeUnavailable, Message: "не удалось сохранить изменение, повторите попытку", Err: err})
	var de *domain.Error
	if errors.As(err, &de) && de.Code != domain.CodeInternal {
		refusal = err
	}
	for i := range results {
		if results[i].err == nil || partlyDone(results[i].err) {
			results[i] = result{err: refusal}
		}
	}
	s.applying.Lock()
	defer s.applying.Unlock()
	// Let go of the engine before the state on disk is loaded again, so
	// that the collector may take it while its successor is built: a
	// region's day is some 200 MiB, and two at once, when the disk is
	// already in trouble, could cross the memory limit. If the reload
	// fails, broken stops everything that would look at the engine.
	s.eng = nil
	if rerr := s.reload(context.Background()); rerr != nil {
		s.log.Error("state could not be reloaded; refusing all operations", "err", rerr)
		s.broken = rerr
	}
}

// tick lets time change the state: postponed tickets return, days close;
// and once an hour personal data past its retention time is purged.
func (s *Service) tick() {
	t := time.NewTicker(s.opts.TickEvery)
	defer t.Stop()
	var purged time.Time
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			ctx := domain.WithActor(context.Background(), domain.System)
			_, err := write(ctx, s, &entry{tick: true}, func(e *engine.Engine, ch *domain.Changes) (struct{}, error) {
				s.keepHeads(ch)
				e.Tick(ch)
				return struct{}{}, nil
			})
			if err != nil && domain.ErrorCode(err) != domain.CodeUnavailable {
				s.log.Error("tick", "err", err)
			}
			if now := s.opts.Now(); now.Sub(purged) >= time.Hour {
				purged = now
				if _, err := s.PurgePersonalData(context.Background()); err != nil && domain.ErrorCode(err) != domain.CodeUnavailable {
					s.log.Error("purge personal data", "err", err)
				}
				if _, err := s.PurgeRatingPhones(context.Background()); err != nil && domain.ErrorCode(err) != domain.CodeUnavailable {
					s.log.Error("purge rating phones", "err", err)
				}
				if _, err := s.PurgeContacts(context.Background()); err != nil && domain.ErrorCode(err) != domain.CodeUnavailable {
					s.log.Error("purge the phone centre's contacts", "err", err)
				}
			}
		}
	}
}

// PurgePersonalData removes the names and phones of bookings whose visit
// was more than the retention time ago, and returns how many it changed.
// Bookings of past days live only in the store, so they are read there,
// outside the writer, from the day the last purge reached.
func (s *Service) PurgePersonalData(ctx context.Context) (int, error) {
	before := s.opts.Now().Add(-s.opts.PersonalDataRetention).UTC().Format(time.DateOnly)
	from, err := read(s, func(e *engine.Engine) (string, error) { return e.PersonalDataPurgedBefore(), nil })
	if err != nil || from >= before {
		return 0, err
	}
	found, err := s.store.PersonalData(ctx, from, before)
	if err != nil {
		return 0, err
	}
	// One record in the region's chain per purge: how many bookings, up to which day.
	en := &entry{action: "purgePersonalData", region: true}
	n, err := write(domain.WithActor(ctx, domain.System), s, en, func(e *engine.Engine, ch *domain.Changes) (int, error) {
		n := e.PurgePersonalData(found, before, ch)
		en.object = fmt.Sprintf("appointments/%d/before/%s", n, before)
		return n, nil
	})
	if err == nil && n > 0 {
		s.log.Info("personal data purged", "bookings", n, "visits_before", before)
	}
	return n, err
}

// newID and newCode use crypto/rand, whose Read never returns an error (it
// aborts the program if the kernel cannot supply randomness).
//
// An id starts with the milliseconds since the epoch, so ids of new records
// sort last and the store appends to its trees instead of splitting pages all
// over them; the random tail keeps ids unique and unguessable.
func newID() string {
	var b [14]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	return hex.EncodeToString(b[:])
}

func newPairingCode() string {
	var b [domain.PairingCodeLen]byte
	_, _ = rand.Read(b[:])
	return domain.PairingCodeFrom(b)
}

func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newStaffCard is a staff card's code: 128 random bits.
func newStaffCard() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return domain.StaffCardFrom(b)
}

// newStatusToken is 128 random bits: the key to a ticket's public page.
func newStatusToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func newCode() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%06d", binary.BigEndian.Uint32(b[:])%1_000_000)
}
