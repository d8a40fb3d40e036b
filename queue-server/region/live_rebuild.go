package region

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/queue-server/domain"
)

// rebuildFetch is how many messages Rebuild asks for at once.
const rebuildFetch = 1000

// Rebuild makes the live state again from the regional stream, before the
// regional server applies anything (call it before Regional.Run): every
// office joined, and the events of today (from the earliest office-local
// midnight among them) up to what region.db says was applied; the events
// after that come through Apply. Today is enough: the office's own day
// change cancels the tickets and closes the windows left from the day
// before, and those events come after midnight. It waits for the cluster
// while it cannot reach it, like Run, until it has rebuilt or ctx ends.
func (l *Live) Rebuild(ctx context.Context, js jetstream.JetStream) {
	for {
		err := l.rebuild(ctx, js)
		if err == nil || ctx.Err() != nil {
			return
		}
		l.reg.log.Warn("region: the dashboard's live state is not rebuilt yet", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (l *Live) rebuild(ctx context.Context, js jetstream.JetStream) error {
	if err := EnsureStream(ctx, js); err != nil {
		return err
	}
	joined, err := l.reg.loadZones(ctx, js)
	if err != nil {
		return err
	}
	progress, err := l.reg.Progress()
	if err != nil {
		return err
	}
	applied := map[string]uint64{}
	for _, p := range progress {
		applied[p.OfficeID] = p.LastSeq
	}
	folds := map[string]*officeFold{}
	now := l.now()
	start := now
	for _, id := range joined {
		zone := l.reg.counted(id)
		if zone == nil {
			continue // a test office: not on the dashboard
		}
		folds[id] = newOfficeFold(id, zone)
		folds[id].name = l.reg.officeName(id)
		y, m, d := now.In(folds[id].zone).Date()
		if midnight := time.Date(y, m, d, 0, 0, 0, 0, folds[id].zone); midnight.Before(start) {
			start = midnight
		}
	}
	n, err := l.replay(ctx, js, start, folds, applied)
	if err != nil {
		return err
	}
	for id, f := range folds {
		f.lastSeq = max(f.lastSeq, applied[id])
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.offices, l.ready = folds, true
	l.hub.broadcast(liveMessage{Type: "snapshot", Ready: true, Offices: l.snapshot()})
	l.reg.log.Info("region: the dashboard's live state rebuilt", "offices", len(folds), "events", n, "since", start)
	return nil
}

// replay folds the regional stream's messages from start, each office's
// only up to its applied seq.
func (l *Live) replay(ctx context.Context, js jetstream.JetStream, start time.Time, folds map[string]*officeFold, applied map[string]uint64) (int, error) {
	s, err := js.Stream(ctx, RegionStream)
	if err != nil {
		return 0, err
	}
	st := s.CachedInfo().State
	if st.Msgs == 0 || st.LastTime.Before(start) {
		return 0, nil
	}
	cons, err := js.OrderedConsumer(ctx, RegionStream, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartTimePolicy,
		OptStartTime:  &start,
	})
	if err != nil {
		return 0, fmt.Errorf("чтение регионального потока %s с %s: %w", RegionStream, start.Format(time.RFC3339), err)
	}
	folded := 0
	for {
		// Everything wanted is stored already: what is not there at once
		// is not coming.
		batch, err := cons.FetchNoWait(rebuildFetch)
		if err != nil {
			return folded, err
		}
		got, last := 0, false
		for m := range batch.Messages() {
			got++
			meta, err := m.Metadata()
			if err != nil {
				return folded, err
			}
			// Through the stream's last message when the rebuild began:
			// what came since is applied by the consumer after it.
			last = meta.NumPending == 0 || meta.Sequence.Stream >= st.LastSeq
			id := m.Headers().Get(HeaderOffice)
			seq, perr := strconv.ParseUint(m.Headers().Get(HeaderSeq), 10, 64)
			f := folds[id]
			if f == nil || perr != nil || seq > applied[id] || seq <= f.lastSeq {
				continue
			}
			var e domain.Event
			if err := json.Unmarshal(m.Data(), &e); err != nil || e.OfficeID != id || e.Seq != seq {
				continue // the consumer refuses it too, and it waits there
			}
			f.apply(e)
			folded++
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return folded, err
		}
		if last || got == 0 {
			return folded, nil
		}
	}
}

// listWait bounds the listing of the joined offices. The list comes from a
// watcher, which, unlike JetStream's requests, has no timeout of its own:
// a regional server restarted while a cluster node died once never rebuilt
// its dashboard nor applied anything, and this wait is the one on that path
// that nothing bounded (the likely cause, not a proven one).
const listWait = 30 * time.Second

// loadZones reads every joined office's record into the zones the
// regional server applies with, and lists the offices.
func (r *Regional) loadZones(ctx context.Context, js jetstream.JetStream) ([]string, error) {
	kv, err := offices(ctx, js)
	if err != nil {
		return nil, err
	}
	listCtx, cancel := context.WithTimeout(ctx, listWait)
	defer cancel()
	lister, err := kv.ListKeys(listCtx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = lister.Stop() }()
	var ids []string
	for id := range lister.Keys() {
		ids = append(ids, id)
		if r.zone(id) != nil {
			continue // a zone stays what the office joined with, as apply's lookups keep it
		}
		e, err := kv.Get(listCtx, id)
		if err != nil {
			return nil, fmt.Errorf("office %q: %w", id, err)
		}
		if err := r.learn(e); err != nil {
			return nil, fmt.Errorf("office %q: %w", id, err)
		}
	}
	// The keys end early, with no error, when the wait runs out.
	if err := listCtx.Err(); err != nil {
		return nil, fmt.Errorf("список офисов региона %s не прочитан за %s: %w", OfficesBucket, listWait, err)
	}
	return ids, nil
}
