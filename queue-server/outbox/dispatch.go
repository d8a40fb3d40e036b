package outbox

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Sender delivers one message to its receiver. nil means the receiver has
// it; an error wrapped with Permanent means it never will (the message goes
// dead at once); any other error is retried with backoff.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// Lifetime is a Sender whose messages are retried for a time of their own,
// a webhook's say, rather than Config.DeadAfter; zero keeps DeadAfter.
type Lifetime interface {
	Lifetime() time.Duration
}

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as a refusal that retrying cannot change.
func Permanent(err error) error { return permanent{err} }

// IsPermanent reports whether err was marked by Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// Config tunes a Dispatcher; only Route is required.
type Config struct {
	// Route names the sender of a channel; false leaves the channel's
	// messages waiting (a webhook whose subscription is gone, say).
	Route func(channel string) (Sender, bool)
	// Concurrency is how many messages of one channel are in flight; 16 when zero.
	Concurrency int
	// MinBackoff and MaxBackoff bound the wait before a retry, which doubles
	// with each attempt from MinBackoff and is jittered down to half so that
	// many messages failing together do not retry together; 1 s and 5 min
	// when zero.
	MinBackoff, MaxBackoff time.Duration
	// DeadAfter is how long after its creation a failing message keeps being
	// retried before it goes dead; 72 h when zero.
	DeadAfter time.Duration
	// SendTimeout bounds one attempt; 30 s when zero.
	SendTimeout time.Duration
	// RecoverAfter is how long a channel must have gone without a delivery
	// (or have had none since Run began) for its next delivery to count as
	// the receiver's return: every message of the channel waiting out a
	// backoff is then made due at once, so that a backlog from an outage
	// drains in seconds instead of over MaxBackoff. A receiver that refuses
	// one message while taking the others keeps delivering and so does not
	// pull that message forward again and again. 10 s when zero.
	RecoverAfter time.Duration
	// OnState is called after a message's delivered or dead state has been
	// committed, from the channel's goroutine: the journal hook.
	OnState func(Message)
	// Logger receives failed attempts; nothing when nil.
	Logger *slog.Logger
}

// Dispatcher runs one worker per channel with pending messages.
type Dispatcher struct {
	o   *Outbox
	cfg Config
	log *slog.Logger
}

// NewDispatcher delivers o's messages as cfg says.
func NewDispatcher(o *Outbox, cfg Config) *Dispatcher {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	if cfg.DeadAfter <= 0 {
		cfg.DeadAfter = 72 * time.Hour
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 30 * time.Second
	}
	if cfg.RecoverAfter <= 0 {
		cfg.RecoverAfter = 10 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{o: o, cfg: cfg, log: log}
}

// Run delivers until ctx ends, then waits for its workers. Attempts cut short
// by the end are not recorded: those messages stay pending and are sent again
// by the next Run, with the same idempotency key.
func (d *Dispatcher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	workers := map[string]chan struct{}{}
	for {
		channels, err := d.o.channels()
		if err != nil {
			d.log.Error("outbox: list channels", "err", err)
		}
		for _, ch := range channels {
			if _, ok := workers[ch]; ok {
				continue
			}
			s, ok := d.cfg.Route(ch)
			if !ok {
				continue
			}
			wake := make(chan struct{}, 1)
			workers[ch] = wake
			wg.Go(func() { d.work(ctx, ch, s, wake) })
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.o.wake:
			for _, w := range workers {
				select {
				case w <- struct{}{}:
				default:
				}
			}
		}
	}
}

// channels lists the channels that have or had pending messages.
func (o *Outbox) channels() ([]string, error) {
	var out []string
	err := o.view(func(tx *bolt.Tx) error {
		_, due, err := buckets(tx)
		if err != nil {
			return err
		}
		return due.ForEachBucket(func(k []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	return out, err
}

// work sends a channel's due messages, up to Concurrency at a time, and
// sleeps until the next one is due, a new one is notified or one finishes.
// Attempts that finish together are recorded in one transaction, so a
// backlog is not held to one fsync per message.
func (d *Dispatcher) work(ctx context.Context, channel string, s Sender, wake <-chan struct{}) {
	inflight := map[string]bool{}
	done := make(chan attempt, d.cfg.Concurrency)
	var lastDelivered time.Time // zero: none since Run began
	for {
		// An attempt cut short by the end may arrive before ctx.Done is
		// chosen below; its message must not be picked up again. Attempts
		// that finished before the end are still recorded.
		if ctx.Err() != nil {
			var rest []attempt
			for range inflight {
				rest = append(rest, <-done)
			}
			d.record(rest, false, channel)
			return
		}
		ready, next, err := d.o.due(channel, d.o.now(), d.cfg.Concurrency-len(inflight), inflight)
		if err != nil {
			d.log.Error("outbox: read due messages", "channel", channel, "err", err)
		}
		for _, m := range ready {
			inflight[m.ID] = true
			go func() { done <- d.attempt(ctx, s, m) }()
		}
		var timer <-chan time.Time
		var t *time.Timer
		if !next.IsZero() && len(inflight) < d.cfg.Concurrency {
			t = time.NewTimer(time.Until(next))
			timer = t.C
		}
		select {
		case a := <-done:
			finished := []attempt{a}
			for more := true; more; {
				select {
				case a := <-done:
					finished = append(finished, a)
				default:
					more = false
				}
			}
			recovered := false
			for _, a := range finished {
				delete(inflight, a.m.ID)
				if !a.cut && a.m.State() == StateDelivered {
					recovered = recovered || lastDelivered.IsZero() || a.m.DeliveredAt.Sub(lastDelivered) >= d.cfg.RecoverAfter
					lastDelivered = a.m.DeliveredAt
				}
			}
			d.record(finished, recovered, channel)
		case <-wake:
		case <-timer:
		case <-ctx.Done():
		}
		if t != nil {
			t.Stop()
		}
	}
}

// due returns up to n pending messages of channel due by now that are not in
// skip, and when the first later one is due (zero: none).
func (o *Outbox) due(channel string, now time.Time, n int, skip map[string]bool) (ready []Message, next time.Time, err error) {
	err = o.view(func(tx *bolt.Tx) error {
		msgs, due, err := buckets(tx)
		if err != nil {
			return err
		}
		ch := due.Bucket([]byte(channel))
		if ch == nil {
			return nil
		}
		c := ch.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			at := time.Unix(0, int64(binary.BigEndian.Uint64(k)))
			id := string(k[8:])
			if skip[id] {
				continue
			}
			if at.After(now) {
				next = at
				return nil
			}
			if len(ready) >= n {
				return nil
			}
			m, ok, err := load(msgs, id)
			if err != nil {
				return err
			}
			if ok {
				ready = append(ready, m)
			}
		}
		return nil
	})
	return ready, next, err
}

// attempt is one finished attempt: the message as it is to be stored, and
// the due time it was stored with.
type attempt struct {
	m      Message
	prevAt time.Time
	cut    bool // cut short by shutdown: nothing to record
}

// attempt sends m once and works out its new state.
func (d *Dispatcher) attempt(ctx context.Context, s Sender, m Message) attempt {
	sctx, cancel := context.WithTimeout(ctx, d.cfg.SendTimeout)
	err := s.Send(sctx, m)
	cancel()
	if ctx.Err() != nil {
		return attempt{m: m, cut: true}
	}
	now := d.o.now()
	a := attempt{m: m, prevAt: m.NextAt}
	a.m.Attempts++
	deadAfter := d.cfg.DeadAfter
	if l, ok := s.(Lifetime); ok && l.Lifetime() > 0 {
		deadAfter = l.Lifetime()
	}
	switch {
	case err == nil:
		// The body is forgotten once delivered: some hold personal data
		// (an МКГУ events packet carries the applicant's phone).
		a.m.DeliveredAt, a.m.LastError, a.m.Body = now, "", nil
	case IsPermanent(err) || now.Sub(m.CreatedAt) >= deadAfter:
		a.m.DeadAt, a.m.LastError = now, err.Error()
	default:
		a.m.LastError = err.Error()
		a.m.NextAt = now.Add(d.backoff(a.m.Attempts))
	}
	if err != nil {
		d.log.Warn("outbox: attempt failed", "id", m.ID, "channel", m.Channel, "attempt", a.m.Attempts, "err", err)
	}
	return a
}

// record commits finished attempts, then reports the final ones. When the
// receiver has recovered, the channel's backed-off messages are made due
// in the same transaction.
func (d *Dispatcher) record(finished []attempt, recovered bool, channel string) {
	err := d.o.db.Update(func(tx *bolt.Tx) error {
		msgs, due, err := buckets(tx)
		if err != nil {
			return err
		}
		for _, a := range finished {
			if a.cut {
				continue
			}
			if err := write(msgs, due, a.m, a.prevAt); err != nil {
				return err
			}
		}
		if recovered {
			return hurry(msgs, due, channel, d.o.now())
		}
		return nil
	})
	if err != nil {
		// The messages stay as they were stored: pending, sent again later.
		d.log.Error("outbox: record attempts", "err", err)
		return
	}
	if d.cfg.OnState == nil {
		return
	}
	for _, a := range finished {
		if !a.cut && a.m.State() != StatePending {
			d.cfg.OnState(a.m)
		}
	}
}

// hurry makes every message of the channel due later than now due now.
// Messages in flight are due already and are left alone.
func hurry(msgs, due *bolt.Bucket, channel string, now time.Time) error {
	ch := due.Bucket([]byte(channel))
	if ch == nil {
		return nil
	}
	var later []string
	c := ch.Cursor()
	for k, _ := c.Seek(dueKey(now.Add(time.Nanosecond), "")); k != nil; k, _ = c.Next() {
		later = append(later, string(k[8:]))
	}
	for _, id := range later {
		m, ok, err := load(msgs, id)
		if err != nil {
			return err
		}
		if !ok || m.State() != StatePending {
			continue
		}
		prev := m.NextAt
		m.NextAt = now
		if err := write(msgs, due, m, prev); err != nil {
			return err
		}
	}
	return nil
}

// backoff is the wait after the given number of failed attempts.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	b := d.cfg.MinBackoff
	for i := 1; i < attempts && b < d.cfg.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, d.cfg.MaxBackoff)
	return b/2 + rand.N(b/2+1)
}
