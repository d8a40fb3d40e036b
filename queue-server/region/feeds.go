package region

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/integrations/mdm"
	"github.com/talonqueue/talon/queue-server/integrations/mkgu"
	"github.com/talonqueue/talon/queue-server/outbox"
)

// The regional feeds send ИАС МКГУ the rates packet of every rating and
// ИС МДМ the objects of every event of the region's offices, from the
// events the regional server applies (docs/region.md, "Feeds"). A packet
// is queued in the transaction that applies its event, so it exists once
// whether the event came once or again; each office's packets of a channel
// go out one after another in the office's order. The regional server's
// file holds, besides region_offices and the statistics:
//
//	region_feeds/
//	  <channel>/                    mkgu.rates, mdm
//	    <office id>/
//	      <event seq, uint64 BE>  -> outbox.Message (JSON), waiting, in the office's order
//	region_feed_state/
//	  <channel>/<office id>       -> feedState: delivered and refused counts, the head's failure
//	region_feed_dead/
//	  <message id>                -> outbox.Message refused for good, with the refusal
//
// A delivered packet is deleted; its id, the same as the office server's
// own feed would give it, goes as the Idempotency-Key of every attempt, so
// a receiver takes it once although a crash between its answer and the
// deletion sends it again.
var (
	bucketFeeds     = []byte("region_feeds")
	bucketFeedState = []byte("region_feed_state")
	bucketFeedDead  = []byte("region_feed_dead")
)

func createFeedBuckets(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketFeeds, bucketFeedState, bucketFeedDead} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("region: create bucket %s: %w", name, err)
		}
	}
	return nil
}

// Catalog is what the region knows of an office to make its packets: the
// office (МКГУ vendor id, ОКАТО, МДМ UID, sandbox) and its services (names,
// purposes, ФРГУ ids). Events carry only ids.
type Catalog struct {
	Office   domain.Office    `json:"office"`
	Services []domain.Service `json:"services"`
}

func (c *Catalog) service(id string) (domain.Service, bool) {
	for _, s := range c.Services {
		if s.ID == id {
			return s, true
		}
	}
	return domain.Service{}, false
}

// FeedsConfig configures the regional feeds; only Senders is required.
type FeedsConfig struct {
	// Senders deliver the channels fed, by channel (mkgu.ChannelRates,
	// mdm.Channel); no packet is made for a channel not here.
	Senders map[string]outbox.Sender
	// MinBackoff and MaxBackoff bound the wait before the failed head of an
	// office's queue is sent again, doubling from MinBackoff; 1 s and 5 min
	// when zero.
	MinBackoff, MaxBackoff time.Duration
	// SendTimeout bounds one attempt; 30 s when zero.
	SendTimeout time.Duration
	Logger      *slog.Logger
}

// Feeds queues and delivers the regional feeds; Regional.Feed attaches it.
type Feeds struct {
	cfg  FeedsConfig
	log  *slog.Logger
	db   *bolt.DB
	wake chan struct{}

	mu     sync.Mutex
	warned map[string]bool // offices whose missing catalogue was logged
}

// NewFeeds makes the feeds cfg describes.
func NewFeeds(cfg FeedsConfig) *Feeds {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 30 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Feeds{cfg: cfg, log: log, wake: make(chan struct{}, 1), warned: map[string]bool{}}
}

// feedBatch is how many packets of an office one worker takes at a time:
// their deletions after delivery share one commit.
const feedBatch = 100

type feedState struct {
	Delivered uint64 `json:"delivered"`
	Dead      uint64 `json:"dead,omitempty"`
	// LastSeq is the event whose packet was delivered or refused last.
	LastSeq uint64 `json:"last_seq,omitempty"`
	// Attempts and LastError are the failures of the packet at the head,
	// while it keeps failing.
	Attempts  int    `json:"attempts,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

// FeedProgress is one office's feed on one channel: how many packets wait,
// how many were delivered and refused for good, and why the first waiting
// one failed last.
type FeedProgress struct {
	Channel   string `json:"channel"`
	OfficeID  string `json:"office_id"`
	Pending   int    `json:"pending"`
	Delivered uint64 `json:"delivered"`
	Dead      uint64 `json:"dead"`
	LastSeq   uint64 `json:"last_seq"`
	Attempts  int    `json:"attempts,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

// messages are the packets of ev, an event of an office with catalogue c
// and zone, on the channels fed: МДМ's objects of the event for an office
// with an МДМ UID, the rates packet of a rating (the events packet carries
// the applicant's phone, which never leaves the office: the office node
// sends it). A sandboxed office feeds nothing, as on its own server.
func (f *Feeds) messages(ev domain.Event, c *Catalog, zone *time.Location) []domain.OutboxMessage {
	if c.Office.Sandbox {
		return nil
	}
	var out []domain.OutboxMessage
	if _, ok := f.cfg.Senders[mdm.Channel]; ok && c.Office.MDMUID != "" {
		out = append(out, mdm.Messages(c.Office, zone, c.service, ev)...)
	}
	if _, ok := f.cfg.Senders[mkgu.ChannelRates]; ok && ev.Type == domain.EventTicketRated && ev.Rating != nil {
		s, _ := c.service(ev.Rating.ServiceID)
		msgs, err := mkgu.Messages(*ev.Rating, c.Office, s, "", ev.Rating.RatedAt)
		if err != nil {
			// The office's own export refused the rating for the same
			// reason and journaled it there, where it is put right.
			f.log.Warn("region: a rating not exported to МКГУ", "office", ev.OfficeID, "rating", ev.Rating.ID, "err", err)
		}
		out = append(out, msgs...)
	}
	return out
}

// put queues, in tx, the packets of events the regional server applies in
// it; office gives an office's record and zone.
func (f *Feeds) put(tx *bolt.Tx, events []domain.Event, office func(id string) (OfficeInfo, *time.Location)) error {
	root := tx.Bucket(bucketFeeds)
	for _, ev := range events {
		info, zone := office(ev.OfficeID)
		if info.Feeds == nil {
			f.warnOnce(ev.OfficeID)
			continue
		}
		for _, m := range f.messages(ev, info.Feeds, zone) {
			ch, err := root.CreateBucketIfNotExists([]byte(m.Channel))
			if err == nil {
				ch, err = ch.CreateBucketIfNotExists([]byte(ev.OfficeID))
			}
			if err != nil {
				return fmt.Errorf("region: feed %s of office %q: %w", m.Channel, ev.OfficeID, err)
			}
			raw, err := json.Marshal(outbox.Message{OutboxMessage: m})
			if err != nil {
				return fmt.Errorf("region: encode %s: %w", m.ID, err)
			}
			if err := ch.Put(seqKey(ev.Seq), raw); err != nil {
				return fmt.Errorf("region: queue %s: %w", m.ID, err)
			}
		}
	}
	return nil
}

func (f *Feeds) warnOnce(officeID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.warned[officeID] {
		f.warned[officeID] = true
		f.log.Warn("region: an office joined without its file feeds nothing to МКГУ and МДМ from the region; join it again with --office-file", "office", officeID)
	}
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// notify wakes the workers after a commit that may have queued packets.
func (f *Feeds) notify() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Run delivers the queued packets until ctx ends: one worker per office
// and channel, each sending its office's packets in order, so an office
// whose receiver fails holds back only its own.
func (f *Feeds) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	workers := map[[2]string]chan struct{}{}
	for {
		queues, err := f.queues()
		if err != nil {
			f.log.Error("region: list the feeds' queues", "err", err)
		}
		for _, q := range queues {
			s, ok := f.cfg.Senders[q[0]]
			if _, running := workers[q]; running || !ok {
				continue
			}
			wake := make(chan struct{}, 1)
			workers[q] = wake
			wg.Go(func() { f.work(ctx, q[0], q[1], s, wake) })
		}
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
			for _, w := range workers {
				select {
				case w <- struct{}{}:
				default:
				}
			}
		}
	}
}

// queues lists the channel and office of every queue there is.
func (f *Feeds) queues() ([][2]string, error) {
	var out [][2]string
	err := f.db.View(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketFeeds)
		return root.ForEachBucket(func(ch []byte) error {
			return root.Bucket(ch).ForEachBucket(func(office []byte) error {
				out = append(out, [2]string{string(ch), string(office)})
				return nil
			})
		})
	})
	return out, err
}

// queued is a waiting packet and the seq of its event.
type queued struct {
	seq uint64
	m   outbox.Message
}

// work sends an office's packets of a channel in order. A packet the
// receiver refuses for good is set aside and the next one goes; one that
// fails otherwise is sent again after a backoff, before anything behind it.
func (f *Feeds) work(ctx context.Context, channel, office string, s outbox.Sender, wake <-chan struct{}) {
	failures := 0
	for ctx.Err() == nil {
		head, err := f.head(channel, office)
		if err != nil {
			f.log.Error("region: read a feed's queue", "channel", channel, "office", office, "err", err)
			failures++
			select {
			case <-ctx.Done():
			case <-time.After(f.backoff(failures)):
			}
			continue
		}
		if len(head) == 0 {
			select {
			case <-ctx.Done():
			case <-wake:
			}
			continue
		}
		var delivered, dead []queued
		var failed *queued
		for _, q := range head {
			sctx, cancel := context.WithTimeout(ctx, f.cfg.SendTimeout)
			err := s.Send(sctx, q.m)
			cancel()
			if ctx.Err() != nil {
				break // cut short by the stop: sent again at the next start
			}
			switch {
			case err == nil:
				delivered = append(delivered, q)
				continue
			case outbox.IsPermanent(err):
				q.m.DeadAt, q.m.LastError, q.m.Attempts = time.Now(), err.Error(), q.m.Attempts+1
				f.log.Error("region: a packet refused for good; the next one goes", "id", q.m.ID, "channel", channel, "office", office, "err", err)
				dead = append(dead, q)
				continue
			}
			q.m.LastError, q.m.Attempts = err.Error(), q.m.Attempts+1
			f.log.Warn("region: a packet not delivered; the office's next ones wait for it", "id", q.m.ID, "channel", channel, "office", office, "attempt", q.m.Attempts, "err", err)
			failed = &q
			break
		}
		if len(delivered)+len(dead) == 0 && failed == nil {
			continue // cut short before any answer
		}
		if err := f.record(channel, office, delivered, dead, failed); err != nil {
			// The packets stay queued and go again, under the same keys.
			f.log.Error("region: record a feed's deliveries", "channel", channel, "office", office, "err", err)
			failed = &queued{}
		}
		if failed == nil || ctx.Err() != nil {
			failures = 0
			continue
		}
		failures++
		select {
		case <-ctx.Done():
		case <-time.After(f.backoff(failures)):
		}
	}
}

// head reads the first feedBatch packets of an office's queue.
func (f *Feeds) head(channel, office string) ([]queued, error) {
	var out []queued
	err := f.db.View(func(tx *bolt.Tx) error {
		q := queue(tx, channel, office)
		if q == nil {
			return nil
		}
		c := q.Cursor()
		for k, v := c.First(); k != nil && len(out) < feedBatch; k, v = c.Next() {
			var m outbox.Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("region: decode a packet of event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, queued{seq: binary.BigEndian.Uint64(k), m: m})
		}
		return nil
	})
	return out, err
}

func queue(tx *bolt.Tx, channel, office string) *bolt.Bucket {
	ch := tx.Bucket(bucketFeeds).Bucket([]byte(channel))
	if ch == nil {
		return nil
	}
	return ch.Bucket([]byte(office))
}

// record removes the delivered packets from the queue, moves the refused
// ones aside and notes the failure of the head, in one commit.
func (f *Feeds) record(channel, office string, delivered, dead []queued, failed *queued) error {
	return f.db.Update(func(tx *bolt.Tx) error {
		q := queue(tx, channel, office)
		if q == nil {
			return fmt.Errorf("region: no queue of %s for office %q", channel, office)
		}
		stateKey := []byte(channel + "/" + office)
		states := tx.Bucket(bucketFeedState)
		var st feedState
		if v := states.Get(stateKey); v != nil {
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("region: state of feed %s: %w", stateKey, err)
			}
		}
		for _, d := range delivered {
			if err := q.Delete(seqKey(d.seq)); err != nil {
				return err
			}
			st.Delivered++
			st.LastSeq = d.seq
		}
		for _, d := range dead {
			raw, err := json.Marshal(d.m)
			if err != nil {
				return fmt.Errorf("region: encode %s: %w", d.m.ID, err)
			}
			if err := tx.Bucket(bucketFeedDead).Put([]byte(d.m.ID), raw); err != nil {
				return err
			}
			if err := q.Delete(seqKey(d.seq)); err != nil {
				return err
			}
			st.Dead++
			st.LastSeq = max(st.LastSeq, d.seq)
		}
		st.Attempts, st.LastError = 0, ""
		if failed != nil {
			raw, err := json.Marshal(failed.m)
			if err != nil {
				return fmt.Errorf("region: encode %s: %w", failed.m.ID, err)
			}
			if err := q.Put(seqKey(failed.seq), raw); err != nil {
				return err
			}
			st.Attempts, st.LastError = failed.m.Attempts, failed.m.LastError
		}
		raw, _ := json.Marshal(st)
		return states.Put(stateKey, raw)
	})
}

// backoff is the wait after the given number of failures in a row,
// jittered down to half so that offices failing together do not retry
// together.
func (f *Feeds) backoff(failures int) time.Duration {
	b := f.cfg.MinBackoff
	for i := 1; i < failures && b < f.cfg.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, f.cfg.MaxBackoff)
	return b/2 + rand.N(b/2+1)
}

// Progress lists every office's feed on every channel, by channel and office.
func (f *Feeds) Progress() ([]FeedProgress, error) {
	var out []FeedProgress
	err := f.db.View(func(tx *bolt.Tx) error {
		seen := map[string]int{}
		err := tx.Bucket(bucketFeedState).ForEach(func(k, v []byte) error {
			var st feedState
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("region: state of feed %s: %w", k, err)
			}
			ch, office, _ := cutKey(string(k))
			seen[string(k)] = len(out)
			out = append(out, FeedProgress{Channel: ch, OfficeID: office, Delivered: st.Delivered, Dead: st.Dead, LastSeq: st.LastSeq,
				Attempts: st.Attempts, LastError: st.LastError})
			return nil
		})
		if err != nil {
			return err
		}
		root := tx.Bucket(bucketFeeds)
		return root.ForEachBucket(func(ch []byte) error {
			return root.Bucket(ch).ForEachBucket(func(office []byte) error {
				n := root.Bucket(ch).Bucket(office).Stats().KeyN
				key := string(ch) + "/" + string(office)
				i, ok := seen[key]
				if !ok {
					i = len(out)
					out = append(out, FeedProgress{Channel: string(ch), OfficeID: string(office)})
				}
				out[i].Pending = n
				return nil
			})
		})
	})
	slices.SortFunc(out, func(a, b FeedProgress) int {
		return cmp.Or(strings.Compare(a.Channel, b.Channel), strings.Compare(a.OfficeID, b.OfficeID))
	})
	return out, err
}

// cutKey splits a state key: channels hold no '/', office ids neither.
func cutKey(k string) (channel, office string, ok bool) { return strings.Cut(k, "/") }
