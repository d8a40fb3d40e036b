package region

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/queue-server/domain"
)

// EventLog is the office's event log with the region cursor beside it
// (package store).
type EventLog interface {
	Events(ctx context.Context, officeID string, after uint64, limit int) ([]domain.Event, error)
	RegionCursor(ctx context.Context, officeID string) (uint64, error)
	SetRegionCursor(ctx context.Context, officeID string, seq uint64) error
}

// Publisher copies the office's committed events from its log to its
// stream, in order, each exactly once: event seq N is stream seq N, and
// every publish says which stream seq it expects last (N-1), so a message
// that is already there is refused rather than stored twice, whatever
// happened between a commit, its publish and the cursor's save.
//
// It runs beside the queue's writer: a commit only wakes it (Publish), and
// it reads the events back from the store, so a slow or stuck stream never
// holds a request. The stream is local (the node's own JetStream), so it
// keeps accepting while the region's link is down; JetStream's sourcing
// carries the backlog to the region when the link returns.
type Publisher struct {
	node *Node
	log  EventLog
	logr *slog.Logger
	wake chan struct{}

	mu     sync.Mutex
	cursor uint64 // last event in the stream
	fatal  error  // why Run stopped for good, for Status
}

// Tuning of the publisher. A batch is what one read of the log returns.
// After a commit wakes it, the publisher lingers a moment so that the
// commits of a busy moment go out in batches: a publish per commit, each
// a write to the stream's files, slowed issueTicket by 17-34 % at p50 on
// two cores where a linger of 20 ms left no difference (make bench).
// The cursor is saved at most every saveEvery: it is one more fsynced
// bbolt transaction the queue's writer waits behind, and a cursor behind
// the stream costs nothing but a look at the stream on the next start.
const (
	batch        = 256
	linger       = 20 * time.Millisecond
	saveEvery    = time.Second
	publishWait  = 5 * time.Second
	retryAfter   = time.Second
	wrongLastSeq = jetstream.JSErrCodeStreamWrongLastSequence
)

// NewPublisher makes the node's publisher of its office's log; Run starts it.
func (n *Node) NewPublisher(log EventLog, logger *slog.Logger) *Publisher {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Publisher{node: n, log: log, logr: logger, wake: make(chan struct{}, 1)}
}

// Publish wakes the publisher after a commit; it never blocks. The events
// themselves are read from the store, which holds them durably.
func (p *Publisher) Publish([]domain.Event) {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Cursor is the seq of the last event known to be in the stream.
func (p *Publisher) Cursor() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cursor
}

func (p *Publisher) setCursor(seq uint64) {
	p.mu.Lock()
	p.cursor = seq
	p.mu.Unlock()
}

// Run publishes until ctx ends, then saves the cursor. It returns an error
// only when it cannot go on: the stream holds events the log does not.
func (p *Publisher) Run(ctx context.Context) error {
	office := p.node.office
	saved, err := p.log.RegionCursor(ctx, office)
	if err != nil {
		return err
	}
	p.setCursor(saved)
	defer func() {
		if cur := p.Cursor(); cur != saved {
			if err := p.log.SetRegionCursor(context.Background(), office, cur); err != nil {
				p.logr.Error("region: save the cursor at stop", "cursor", cur, "err", err)
			}
		}
	}()
	for {
		err := p.sync(ctx)
		var fatal *StreamAheadError
		if err == nil {
			break
		}
		if errors.As(err, &fatal) {
			return p.stopped(err)
		}
		p.logr.Warn("region: the office stream cannot be read yet", "err", err)
		if !sleep(ctx, retryAfter) {
			return nil
		}
	}
	lastSave := time.Now()
	for {
		more, err := p.publishBatch(ctx)
		var fatal *StreamAheadError
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &fatal):
			return p.stopped(err)
		case err != nil:
			p.logr.Warn("region: publish failed, retrying", "cursor", p.Cursor(), "err", err)
			if !sleep(ctx, retryAfter) {
				return nil
			}
			continue
		}
		if cur := p.Cursor(); cur != saved && time.Since(lastSave) >= saveEvery {
			if err := p.log.SetRegionCursor(ctx, office, cur); err == nil {
				saved = cur
			} else if ctx.Err() == nil {
				p.logr.Error("region: save the cursor", "cursor", cur, "err", err)
			}
			lastSave = time.Now()
		}
		if more {
			continue
		}
		if !p.wait(ctx, p.Cursor() != saved, saveEvery-time.Since(lastSave)) || !sleep(ctx, linger) {
			return nil
		}
	}
}

// stopped records why Run stops for good and returns it.
func (p *Publisher) stopped(err error) error {
	p.mu.Lock()
	p.fatal = err
	p.mu.Unlock()
	return err
}

// publishBatch publishes the next events of the log and reports whether
// there may be more to publish at once: a full batch, or a stream that was
// not where the cursor said.
func (p *Publisher) publishBatch(ctx context.Context) (more bool, err error) {
	office := p.node.office
	events, err := p.log.Events(ctx, office, p.Cursor(), batch)
	if err != nil {
		return false, fmt.Errorf("read the events after %d: %w", p.Cursor(), err)
	}
	for _, e := range events {
		last := p.Cursor()
		if e.Seq != last+1 {
			return false, fmt.Errorf("event %d follows %d in the log of office %s", e.Seq, last, office)
		}
		body, err := json.Marshal(e.Regional())
		if err != nil {
			return false, fmt.Errorf("encode event %d: %w", e.Seq, err)
		}
		msg := nats.NewMsg(OfficeSubject(office))
		msg.Header.Set(HeaderOffice, office)
		msg.Header.Set(HeaderSeq, strconv.FormatUint(e.Seq, 10))
		msg.Data = body
		pctx, cancel := context.WithTimeout(ctx, publishWait)
		ack, err := p.node.js.PublishMsg(pctx, msg, jetstream.WithExpectLastSequence(last))
		cancel()
		var apiErr *jetstream.APIError
		switch {
		case errors.As(err, &apiErr) && apiErr.ErrorCode == wrongLastSeq:
			// The stream is not where the cursor says: it holds events
			// published before a crash, or lost its unsynced tail.
			return true, p.sync(ctx)
		case err != nil:
			return false, fmt.Errorf("publish event %d: %w", e.Seq, err)
		case ack.Sequence != e.Seq:
			return false, fmt.Errorf("event %d stored as stream message %d", e.Seq, ack.Sequence)
		}
		p.setCursor(e.Seq)
	}
	return len(events) == batch, nil
}

// StreamAheadError is a stream holding more events than the office's log:
// a database restored from an older backup under a newer stream, or another
// server's stream folder. Publishing would give two events one seq. Last
// is the stream's last message.
type StreamAheadError struct{ Last uint64 }

func (e *StreamAheadError) Error() string {
	return fmt.Sprintf("в потоке событий офиса есть сообщение %d, а в журнале базы такого события нет: база восстановлена из старой копии или папка потока от другого сервера; "+
		"отправка событий в регион остановлена — удалите папку потока (она заполнится из журнала заново) и перезапустите сервер", e.Last)
}

// sync sets the cursor to the stream's last message. Messages beyond the
// cursor were published before a crash left the cursor unsaved; a stream
// behind the cursor lost its unsynced tail in a power cut, and the events
// are sent again from the log, under the same seqs. A stream ahead of the
// log is a *StreamAheadError; other errors pass.
func (p *Publisher) sync(ctx context.Context) error {
	office := p.node.office
	info, err := p.node.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("read the office stream: %w", err)
	}
	last, cur := info.State.LastSeq, p.Cursor()
	switch {
	case last > cur:
		events, err := p.log.Events(ctx, office, last-1, 1)
		if err != nil {
			return fmt.Errorf("read event %d: %w", last, err)
		}
		if len(events) == 0 {
			return &StreamAheadError{Last: last}
		}
		p.logr.Info("region: the stream holds events the cursor did not record; going on after them", "cursor", cur, "stream_last", last)
	case last < cur:
		p.logr.Warn("region: the stream lost events it had acknowledged; sending them again from the log", "cursor", cur, "stream_last", last)
	}
	p.setCursor(last)
	return nil
}

// wait waits for a commit, or for the cursor's save when one is due, and
// reports whether ctx is still alive.
func (p *Publisher) wait(ctx context.Context, unsaved bool, saveIn time.Duration) bool {
	var due <-chan time.Time
	if unsaved {
		t := time.NewTimer(saveIn)
		defer t.Stop()
		due = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-p.wake:
	case <-due:
	}
	return true
}

// sleep waits d or until ctx ends, and reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
