// Package outbox delivers messages to other systems (МКГУ packets, webhooks,
// the МДМ feed) at least once and durably. A message is written with Put in
// the same bbolt transaction as the change that causes it, so it exists if
// and only if the change does; a Dispatcher then sends it through the
// channel's Sender, retrying with exponential backoff, and records every
// outcome in the same file before it moves on. The message's ID goes with
// every attempt as the idempotency key, so a receiver that deduplicates by it
// sees each message once although a crash between its answer and our record
// can send it twice.
//
// The store owns the file and creates these buckets in a migration
// (CreateBuckets); this package owns what is inside them:
//
//	outbox/
//	  msg/<id>                    -> Message (JSON)
//	  due/<channel>/<at><id>      -> empty   (at: NextAt, Unix ns, uint64 big-endian)
//
// A message is pending while it has a due entry; delivered and dead ones
// have none. Delivery order within a channel is not kept: МКГУ and webhook
// receivers take each message on its own, so a message that keeps failing
// does not hold back the ones behind it.
package outbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketOutbox = []byte("outbox")
	bucketMsg    = []byte("msg")
	bucketDue    = []byte("due")
)

// States of a message.
const (
	StatePending   = domain.DeliveryPending
	StateDelivered = domain.DeliveryDelivered
	StateDead      = domain.DeliveryDead
)

// Message is an outgoing message with its delivery state.
type Message struct {
	domain.OutboxMessage
	Attempts    int       `json:"attempts"`
	NextAt      time.Time `json:"next_at,omitzero"` // the next attempt, while pending
	LastError   string    `json:"last_error,omitempty"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	DeadAt      time.Time `json:"dead_at,omitzero"`
}

// State is StatePending, StateDelivered or StateDead.
func (m Message) State() string {
	switch {
	case !m.DeliveredAt.IsZero():
		return StateDelivered
	case !m.DeadAt.IsZero():
		return StateDead
	}
	return StatePending
}

// CreateBuckets makes the outbox's buckets; the store's migration calls it.
func CreateBuckets(tx *bolt.Tx) error {
	root, err := tx.CreateBucketIfNotExists(bucketOutbox)
	if err != nil {
		return fmt.Errorf("outbox: create bucket: %w", err)
	}
	for _, name := range [][]byte{bucketMsg, bucketDue} {
		if _, err := root.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("outbox: create bucket %s: %w", name, err)
		}
	}
	return nil
}

// Created reports whether tx's file has the outbox's buckets (CreateBuckets).
func Created(tx *bolt.Tx) bool { return tx.Bucket(bucketOutbox) != nil }

// Check refuses a message Put would refuse, before a commit is logged.
func Check(m domain.OutboxMessage) error {
	if m.ID == "" || m.Channel == "" || m.CreatedAt.IsZero() {
		return fmt.Errorf("outbox: message needs id, channel and creation time (id %q, channel %q)", m.ID, m.Channel)
	}
	return nil
}

// Put adds m as a pending message inside tx, the caller's write transaction,
// due at once. A message whose ID is already stored is left as it is, so a
// change replayed after an unclear commit does not reset its delivery.
func Put(tx *bolt.Tx, m domain.OutboxMessage) error {
	if err := Check(m); err != nil {
		return err
	}
	msgs, due, err := buckets(tx)
	if err != nil {
		return err
	}
	if msgs.Get([]byte(m.ID)) != nil {
		return nil
	}
	return write(msgs, due, Message{OutboxMessage: m, NextAt: m.CreatedAt}, time.Time{})
}

func buckets(tx *bolt.Tx) (msgs, due *bolt.Bucket, err error) {
	root := tx.Bucket(bucketOutbox)
	if root == nil {
		return nil, nil, errors.New("outbox: no outbox bucket in the data file")
	}
	return root.Bucket(bucketMsg), root.Bucket(bucketDue), nil
}

// write stores m and moves its due entry from the one at prevAt (zero: none)
// to m.NextAt while pending.
func write(msgs, due *bolt.Bucket, m Message, prevAt time.Time) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("outbox: encode %s: %w", m.ID, err)
	}
	if err := msgs.Put([]byte(m.ID), raw); err != nil {
		return fmt.Errorf("outbox: put %s: %w", m.ID, err)
	}
	ch, err := due.CreateBucketIfNotExists([]byte(m.Channel))
	if err != nil {
		return fmt.Errorf("outbox: due bucket of %s: %w", m.Channel, err)
	}
	if !prevAt.IsZero() {
		if err := ch.Delete(dueKey(prevAt, m.ID)); err != nil {
			return fmt.Errorf("outbox: unschedule %s: %w", m.ID, err)
		}
	}
	if m.State() == StatePending {
		if err := ch.Put(dueKey(m.NextAt, m.ID), nil); err != nil {
			return fmt.Errorf("outbox: schedule %s: %w", m.ID, err)
		}
	}
	return nil
}

func dueKey(at time.Time, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(max(at.UnixNano(), 0)))
	return append(k, id...)
}

func load(msgs *bolt.Bucket, id string) (Message, bool, error) {
	raw := msgs.Get([]byte(id))
	if raw == nil {
		return Message{}, false, nil
	}
	var m Message
	if err := json.Unmarshal(raw, &m); err != nil {
		return Message{}, false, fmt.Errorf("outbox: decode %s: %w", id, err)
	}
	return m, true, nil
}

// Outbox reads and changes the stored messages of one data file.
type Outbox struct {
	db *bolt.DB
	// settle brings db up to date before a read: the store acknowledges
	// a commit before its messages reach db.
	settle func() error
	wake   chan struct{}
	now    func() time.Time
}

// New serves the outbox of db, whose buckets CreateBuckets made; every
// call fails on a file without them. settle, when not nil, is called
// before every read of db and must bring it up to date.
func New(db *bolt.DB, settle func() error) *Outbox {
	return &Outbox{db: db, settle: settle, wake: make(chan struct{}, 1), now: time.Now}
}

// view reads db brought up to date.
func (o *Outbox) view(fn func(*bolt.Tx) error) error {
	if o.settle != nil {
		if err := o.settle(); err != nil {
			return err
		}
	}
	return o.db.View(fn)
}

// Notify wakes the dispatcher after a transaction that Put messages has
// committed. It never blocks; several notifications before the dispatcher
// looks count as one.
func (o *Outbox) Notify() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Enqueue commits m on its own transaction and notifies: for messages that
// no other change comes with.
func (o *Outbox) Enqueue(m domain.OutboxMessage) error {
	if err := o.db.Update(func(tx *bolt.Tx) error { return Put(tx, m) }); err != nil {
		return err
	}
	o.Notify()
	return nil
}

func notFound(id string) error {
	return domain.Errorf(domain.CodeNotFound, "сообщение %s не найдено в очереди отправки", id)
}

// Get returns one message with its delivery state.
func (o *Outbox) Get(ctx context.Context, id string) (Message, error) {
	if err := ctx.Err(); err != nil {
		return Message{}, err
	}
	var m Message
	err := o.view(func(tx *bolt.Tx) error {
		msgs, _, err := buckets(tx)
		if err != nil {
			return err
		}
		var ok bool
		if m, ok, err = load(msgs, id); err == nil && !ok {
			err = notFound(id)
		}
		return err
	})
	return m, err
}

// Query selects messages; zero fields match everything.
type Query struct {
	OfficeID string
	Channel  string
	State    string // StatePending, StateDelivered or StateDead
	After    string // the last ID of the previous page
	Limit    int    // 0: MaxList
	// Prefix keeps the IDs that start with it; they are found by seeking,
	// not by reading the others (a webhook subscription's messages share
	// domain.WebhookMessagePrefix).
	Prefix string
}

// MaxList caps one List call.
const MaxList = 1000

// List returns messages in ID order, for a manager's delivery log.
func (o *Outbox) List(ctx context.Context, q Query) ([]Message, error) {
	if q.Limit <= 0 || q.Limit > MaxList {
		q.Limit = MaxList
	}
	var out []Message
	err := o.view(func(tx *bolt.Tx) error {
		msgs, _, err := buckets(tx)
		if err != nil {
			return err
		}
		c := msgs.Cursor()
		k, v := c.Seek([]byte(max(q.After, q.Prefix)))
		if q.After != "" && k != nil && string(k) == q.After {
			k, v = c.Next()
		}
		for ; k != nil && len(out) < q.Limit && bytes.HasPrefix(k, []byte(q.Prefix)); k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("outbox: decode %s: %w", k, err)
			}
			if (q.OfficeID == "" || m.OfficeID == q.OfficeID) && (q.Channel == "" || m.Channel == q.Channel) &&
				(q.State == "" || m.State() == q.State) {
				out = append(out, m)
			}
		}
		return nil
	})
	return out, err
}

// Redeliver makes a dead message pending again, due at once.
func (o *Outbox) Redeliver(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := o.db.Update(func(tx *bolt.Tx) error {
		msgs, due, err := buckets(tx)
		if err != nil {
			return err
		}
		m, ok, err := load(msgs, id)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(id)
		}
		if m.State() != StateDead {
			return domain.Errorf(domain.CodeConflict, "сообщение %s не отклонено окончательно (%s): повторная отправка не нужна", id, stateName(m.State()))
		}
		m.DeadAt, m.NextAt = time.Time{}, o.now()
		return write(msgs, due, m, time.Time{})
	})
	if err == nil {
		o.Notify()
	}
	return err
}

func stateName(s string) string {
	switch s {
	case StateDelivered:
		return "уже доставлено"
	case StateDead:
		return "отклонено"
	}
	return "ждёт отправки"
}

// Prune removes delivered and dead messages that reached that state before
// the given time, with their bodies: the retention of the delivery log and of
// the personal data some bodies hold. It returns how many it removed.
//
// The messages are looked through in a read transaction, which does not
// hold up commits however many there are (a webhook subscription adds one
// per event); only the removal takes the writer, and it checks each
// candidate again, as it may have been sent again meanwhile.
func (o *Outbox) Prune(ctx context.Context, before time.Time) (int, error) {
	var old []string
	err := o.view(func(tx *bolt.Tx) error {
		msgs, _, err := buckets(tx)
		if err != nil {
			return err
		}
		return msgs.ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("outbox: decode %s: %w", k, err)
			}
			if finishedBefore(m, before) {
				old = append(old, string(k))
			}
			return nil
		})
	})
	if err != nil || len(old) == 0 {
		return 0, err
	}
	n := 0
	err = o.db.Update(func(tx *bolt.Tx) error {
		msgs, _, err := buckets(tx)
		if err != nil {
			return err
		}
		for _, id := range old {
			m, ok, err := load(msgs, id)
			if err != nil {
				return err
			}
			if !ok || !finishedBefore(m, before) {
				continue
			}
			if err := msgs.Delete([]byte(id)); err != nil {
				return fmt.Errorf("outbox: delete %s: %w", id, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// finishedBefore reports whether m was delivered or went dead before t.
func finishedBefore(m Message, t time.Time) bool {
	done := m.DeliveredAt
	if done.IsZero() {
		done = m.DeadAt
	}
	return !done.IsZero() && done.Before(t)
}

// Delivery is m as managers see it: the state without the body.
func (m Message) Delivery() domain.Delivery {
	return domain.Delivery{ID: m.ID, Channel: m.Channel, OfficeID: m.OfficeID, State: m.State(), Attempts: m.Attempts,
		CreatedAt: m.CreatedAt, NextAt: m.NextAt, LastError: m.LastError, DeliveredAt: m.DeliveredAt, DeadAt: m.DeadAt}
}
