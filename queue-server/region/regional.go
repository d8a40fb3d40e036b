package region

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	bolt "go.etcd.io/bbolt"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/stats"
)

// The regional server's file holds, besides the statistics' own bucket
// (stats.CreateBuckets):
//
//	region_meta/
//	  schema -> "1"
//	region_offices/
//	  <office id> -> JSON officeState: the seq of the last event applied,
//	                 how many came again after they were applied
//
// An event's effects and its office's new last seq are written in one
// transaction, so a crash anywhere leaves either both or neither, and an
// event that comes again is recognised by its seq.
var (
	bucketMeta    = []byte("region_meta")
	bucketOffices = []byte("region_offices")
	keySchema     = []byte("schema")
)

// schema is the layout this code reads and writes; a later layout comes
// with its migration from this one.
const schema = "1"

// ConsumerName is the regional server's durable consumer of RegionStream.
const ConsumerName = "regional-server"

const (
	// maxBatch bounds the events applied in one transaction: a backlog
	// flows in large commits, a quiet office's event in its own.
	maxBatch = 500
	// ackWait is how long a message the server took but did not confirm
	// (it was killed) waits before it comes again.
	ackWait = 5 * time.Second
	// retryLater is when a message that came before its office's previous
	// one, or before its office was known, is offered again.
	retryLater = time.Second
)

type officeState struct {
	LastSeq  uint64 `json:"last_seq"`
	Repeated uint64 `json:"repeated,omitempty"`
}

// OfficeProgress is how far the region has applied an office's events.
// Repeated counts the events that came again after they were applied (an
// acknowledgement lost with a connection or a crash) and were skipped.
type OfficeProgress struct {
	OfficeID string `json:"office_id"`
	LastSeq  uint64 `json:"last_seq"`
	Repeated uint64 `json:"repeated"`
}

// Regional is the regional server: it consumes RegionStream durably and
// applies every office's events once and in the office's order to the
// regional statistics in its own bbolt file.
type Regional struct {
	db    *bolt.DB
	log   *slog.Logger
	feeds *Feeds // nil: no regional feeds

	mu    sync.Mutex
	known map[string]knownOffice
	// applied is told each batch's events after their commit (OnApplied).
	applied func([]domain.Event)
}

// knownOffice is an office's record in OfficesBucket as last read, with its
// zone loaded and the record's revision, so an older read never replaces
// a newer one.
type knownOffice struct {
	info OfficeInfo
	zone *time.Location
	rev  uint64
}

// OnApplied has f told the events of every batch applied, after its
// commit, in each office's order; set it before Run.
func (r *Regional) OnApplied(f func([]domain.Event)) { r.applied = f }

// OpenRegional opens (or creates) the regional server's file.
func OpenRegional(path string, log *slog.Logger) (*Regional, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("файл регионального сервера %s не открыт (не запущен ли уже другой сервер с этой папкой данных?): %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return fmt.Errorf("region: create buckets in %s: %w", path, err)
		}
		switch v := meta.Get(keySchema); {
		case v == nil:
			if err := meta.Put(keySchema, []byte(schema)); err != nil {
				return fmt.Errorf("region: schema of %s: %w", path, err)
			}
		case string(v) != schema:
			return fmt.Errorf("файл %s записан другой версией регионального сервера (схема %s, эта версия читает %s)", path, v, schema)
		}
		if _, err := tx.CreateBucketIfNotExists(bucketOffices); err != nil {
			return fmt.Errorf("region: create buckets in %s: %w", path, err)
		}
		if err := createFeedBuckets(tx); err != nil {
			return err
		}
		return stats.CreateBuckets(tx)
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Regional{db: db, log: log, known: map[string]knownOffice{}}, nil
}

// Feed makes the packets of f's channels from every event applied from now
// on, queued in the transaction that applies the event; f delivers them.
// Call it before Run.
func (r *Regional) Feed(f *Feeds) {
	f.db = r.db
	r.feeds = f
}

// Close closes the file.
func (r *Regional) Close() error { return r.db.Close() }

// Progress lists the offices the region has events of, in id order.
func (r *Regional) Progress() ([]OfficeProgress, error) {
	var out []OfficeProgress
	err := r.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOffices).ForEach(func(k, v []byte) error {
			var st officeState
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("region: state of office %q: %w", k, err)
			}
			out = append(out, OfficeProgress{OfficeID: string(k), LastSeq: st.LastSeq, Repeated: st.Repeated})
			return nil
		})
	})
	return out, err
}

// Stats reports the regional statistics; without offices, over every
// office the region has events of.
func (r *Regional) Stats(q domain.StatsQuery) (domain.StatsReport, error) {
	if len(q.OfficeIDs) == 0 {
		p, err := r.Progress()
		if err != nil {
			return domain.StatsReport{}, err
		}
		for _, o := range p {
			q.OfficeIDs = append(q.OfficeIDs, o.OfficeID)
		}
		if len(q.OfficeIDs) == 0 {
			return domain.StatsReport{Query: q}, nil // no office has events yet: nothing to count
		}
	}
	// No period: today, in the first office's zone, as an office's report.
	if q.From == "" {
		zone := r.zone(q.OfficeIDs[0])
		if zone == nil {
			zone = time.UTC
		}
		q.From = time.Now().In(zone).Format(time.DateOnly)
	}
	if q.To == "" {
		q.To = q.From
	}
	var rep domain.StatsReport
	err := r.db.View(func(tx *bolt.Tx) error {
		var err error
		rep, err = stats.Report(tx, q, nil)
		return err
	})
	for i := range rep.Rows {
		rep.Rows[i].Label = q.By.Label(rep.Rows[i].Key, func(by domain.StatsDim, key string) string { return r.statsName(q, by, key) })
	}
	return rep, err
}

// Run consumes the regional stream until ctx ends. It creates the stream
// and its durable consumer if they are missing, and waits for the cluster
// while it cannot: a regional node restarting is no reason to stop.
func (r *Regional) Run(ctx context.Context, js jetstream.JetStream) error {
	for ctx.Err() == nil {
		kv, it, err := r.subscribe(ctx, js)
		if err != nil {
			r.log.Warn("region: the regional stream is not available yet", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		wctx, stopWatch := context.WithCancel(ctx)
		go r.watchOffices(wctx, kv)
		err = r.consume(ctx, kv, it)
		stopWatch()
		if err != nil {
			return err
		}
	}
	return nil
}

// watchOffices keeps the offices' records as they are and as they change:
// an office joined again with a new file feeds with its new catalogue. A
// record the watch has not brought yet is read when its office's first
// event comes (zonesOf).
func (r *Regional) watchOffices(ctx context.Context, kv jetstream.KeyValue) {
	w, err := kv.WatchAll(ctx)
	if err != nil {
		r.log.Warn("region: watching the offices' records", "err", err)
		return
	}
	defer func() { _ = w.Stop() }()
	for e := range w.Updates() {
		if e == nil || e.Operation() != jetstream.KeyValuePut {
			continue
		}
		if err := r.learn(e); err != nil {
			r.log.Warn("region: an office's record", "err", err)
		}
	}
}

// consume applies what it pulls until ctx ends or the consumer is gone
// (deleted by hand: Run makes it again, and the offices' last seqs skip
// what was applied).
func (r *Regional) consume(ctx context.Context, kv jetstream.KeyValue, it jetstream.MessagesContext) error {
	msgs := make(chan jetstream.Msg, maxBatch)
	go func() {
		defer close(msgs)
		for {
			m, err := it.Next()
			switch {
			case errors.Is(err, jetstream.ErrMsgIteratorClosed):
				return
			case errors.Is(err, jetstream.ErrConsumerDeleted), errors.Is(err, jetstream.ErrConsumerNotFound):
				r.log.Warn("region: the regional server's consumer is gone; making it again", "err", err)
				it.Stop()
				return
			case err != nil:
				r.log.Warn("region: reading the regional stream", "err", err)
				continue
			}
			msgs <- m
		}
	}()
	defer func() {
		it.Stop()
		// Taken but not applied: offered again at once to the next start.
		for m := range msgs {
			_ = m.Nak()
		}
	}()
	for {
		var batch []jetstream.Msg
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-msgs:
			if !ok {
				return nil
			}
			batch = append(batch, m)
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case m, ok := <-msgs:
				if !ok {
					break fill
				}
				batch = append(batch, m)
			default:
				break fill
			}
		}
		if err := r.zonesOf(ctx, kv, batch); err != nil {
			r.log.Warn("region: time zones of offices", "err", err)
		}
		done, later, err := r.apply(batch)
		if err != nil {
			return err
		}
		for _, m := range done {
			_ = m.Ack()
		}
		for _, m := range later {
			_ = m.NakWithDelay(retryLater)
		}
	}
}

// subscribe makes sure of the stream and the durable consumer and starts
// pulling from it.
func (r *Regional) subscribe(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, jetstream.MessagesContext, error) {
	if err := EnsureStream(ctx, js); err != nil {
		return nil, nil, err
	}
	kv, err := offices(ctx, js)
	if err != nil {
		return nil, nil, err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, RegionStream, jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		Description:   "Региональный сервер Talon",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxAckPending: 4 * maxBatch,
		Replicas:      Replicas,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("потребитель регионального потока %s не создан: %w", RegionStream, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2 * maxBatch))
	if err != nil {
		return nil, nil, fmt.Errorf("чтение регионального потока %s: %w", RegionStream, err)
	}
	return kv, it, nil
}

// zonesOf looks up the records of the offices in batch not yet known.
func (r *Regional) zonesOf(ctx context.Context, kv jetstream.KeyValue, batch []jetstream.Msg) error {
	var errs error
	for _, m := range batch {
		id := m.Headers().Get(HeaderOffice)
		if r.zone(id) != nil {
			continue
		}
		e, err := kv.Get(ctx, id)
		if err == nil {
			err = r.learn(e)
		}
		if err != nil {
			errs = errors.Join(errs, fmt.Errorf("office %q: %w", id, err))
		}
	}
	return errs
}

// learn keeps an office's record unless a newer one is known.
func (r *Regional) learn(e jetstream.KeyValueEntry) error {
	var info OfficeInfo
	if err := json.Unmarshal(e.Value(), &info); err != nil {
		return err
	}
	loc, err := time.LoadLocation(info.TimeZone)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if k, ok := r.known[e.Key()]; !ok || k.rev < e.Revision() {
		r.known[e.Key()] = knownOffice{info: info, zone: loc, rev: e.Revision()}
	}
	return nil
}

func (r *Regional) zone(officeID string) *time.Location {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.known[officeID].zone
}

// counted is the zone the regional statistics and dashboard count an
// office's events in: nil for a test office (its catalogue says sandbox),
// kept out of the region's figures as an office server keeps it out of its
// own (stats.Zone).
func (r *Regional) counted(officeID string) *time.Location {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.known[officeID]
	if k.info.Feeds != nil && k.info.Feeds.Office.Sandbox {
		return nil
	}
	return k.zone
}

// officeName is an office's name from its catalogue; "" without one.
func (r *Regional) officeName(officeID string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.known[officeID].info.Feeds; c != nil {
		return c.Office.Name
	}
	return ""
}

// statsName names a report's office or service from the offices'
// catalogues; "" when none has it. Staff and windows are not in a
// catalogue: their rows keep their ids.
func (r *Regional) statsName(q domain.StatsQuery, by domain.StatsDim, key string) string {
	switch by {
	case domain.StatsByOffice:
		return r.officeName(key)
	case domain.StatsByService:
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, id := range q.OfficeIDs {
			if c := r.known[id].info.Feeds; c != nil {
				if s, ok := c.service(key); ok {
					return s.Name
				}
			}
		}
	}
	return ""
}

// office is an office's record and zone as known.
func (r *Regional) office(officeID string) (OfficeInfo, *time.Location) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.known[officeID]
	return k.info, k.zone
}

// apply applies the batch's events that are next in their office's order
// in one transaction. done are the messages applied or already applied
// before, later those to be offered again: ahead of their office's order
// (a message before them is still on its way back), of an office whose
// time zone is not known yet, or that cannot be read.
func (r *Regional) apply(batch []jetstream.Msg) (done, later []jetstream.Msg, err error) {
	var applied []domain.Event
	err = r.db.Update(func(tx *bolt.Tx) error {
		done, later = done[:0], later[:0]
		b := tx.Bucket(bucketOffices)
		states := map[string]*officeState{}
		stateOf := func(id string) (*officeState, error) {
			if st, ok := states[id]; ok {
				return st, nil
			}
			st := &officeState{}
			if v := b.Get([]byte(id)); v != nil {
				if err := json.Unmarshal(v, st); err != nil {
					return nil, fmt.Errorf("region: state of office %q: %w", id, err)
				}
			}
			states[id] = st
			return st, nil
		}
		var events []domain.Event
		var changed []string
		for _, m := range batch {
			id := m.Headers().Get(HeaderOffice)
			seq, perr := strconv.ParseUint(m.Headers().Get(HeaderSeq), 10, 64)
			if id == "" || perr != nil {
				r.log.Error("region: a message without its office or seq", "office", id, "seq", m.Headers().Get(HeaderSeq))
				later = append(later, m)
				continue
			}
			st, err := stateOf(id)
			if err != nil {
				return err
			}
			switch {
			case seq <= st.LastSeq:
				st.Repeated++
				if !slices.Contains(changed, id) {
					changed = append(changed, id)
				}
				done = append(done, m)
				continue
			case seq > st.LastSeq+1, r.zone(id) == nil:
				later = append(later, m)
				continue
			}
			var e domain.Event
			if err := json.Unmarshal(m.Data(), &e); err != nil || e.OfficeID != id || e.Seq != seq {
				r.log.Error("region: an event that does not match its headers; the office's events wait for it",
					"office", id, "seq", seq, "event_office", e.OfficeID, "event_seq", e.Seq, "err", err)
				later = append(later, m)
				continue
			}
			events = append(events, e)
			if !slices.Contains(changed, id) {
				changed = append(changed, id)
			}
			st.LastSeq = seq
			done = append(done, m)
		}
		if err := stats.Apply(tx, events, func(id string) (*time.Location, error) { return r.counted(id), nil }); err != nil {
			return err
		}
		if r.feeds != nil {
			if err := r.feeds.put(tx, events, r.office); err != nil {
				return err
			}
		}
		applied = events
		slices.Sort(changed)
		for _, id := range changed {
			v, _ := json.Marshal(states[id])
			if err := b.Put([]byte(id), v); err != nil {
				return fmt.Errorf("region: state of office %q: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("region: apply %d events: %w", len(batch), err)
	}
	if r.feeds != nil {
		r.feeds.notify()
	}
	if r.applied != nil && len(applied) > 0 {
		r.applied(applied)
	}
	return done, later, nil
}
