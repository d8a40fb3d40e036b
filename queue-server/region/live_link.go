package region

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	// linkEvery is how often the dashboard asks each office's domain for
	// its stream: whether the leaf link answers, and how far the region is
	// behind the office.
	linkEvery = 2 * time.Second
	// linkWait is how long an office's domain has to answer before its
	// link counts as down.
	linkWait = 1500 * time.Millisecond
)

// WatchLinks asks every joined office's own domain, through nc, for its
// stream's last event every linkEvery until ctx ends, and pushes the
// offices whose link or lag changed. Offices joined since the start come
// in here too.
func (l *Live) WatchLinks(ctx context.Context, nc *nats.Conn) {
	js, err := jetstream.New(nc)
	if err != nil {
		l.reg.log.Error("region: the dashboard cannot watch the offices' links", "err", err)
		return
	}
	tick := time.NewTicker(linkEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		ids, err := l.reg.loadZones(ctx, js)
		if err != nil {
			continue // the cluster is away; its offices keep their last state
		}
		answers := make([]linkAnswer, len(ids))
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Go(func() {
				last, ok := streamLast(ctx, nc, id)
				answers[i] = linkAnswer{id, last, ok}
			})
		}
		wg.Wait()
		l.links(answers)
	}
}

type linkAnswer struct {
	id     string
	last   uint64
	linked bool
}

// links records what the offices' domains answered and pushes the offices
// whose link or lag changed, and those seen for the first time.
func (l *Live) links(answers []linkAnswer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, a := range answers {
		_, known := l.offices[a.id]
		f := l.office(a.id)
		if f == nil {
			continue
		}
		old := f.link
		f.link.Checked, f.link.Linked = true, a.linked
		if a.linked {
			at := now
			f.link.StreamSeq, f.link.LastLinkedAt = a.last, &at
		}
		if l.ready && (!known || !old.Checked || old.Linked != a.linked || old.StreamSeq != f.link.StreamSeq) {
			l.hub.office(f.view(now))
		}
	}
}

// streamLast is the last seq of office id's own stream, asked of its
// domain across the leaf link; ok is false while the domain does not
// answer.
func streamLast(ctx context.Context, nc *nats.Conn, id string) (last uint64, ok bool) {
	ojs, err := jetstream.NewWithDomain(nc, OfficeDomain(id))
	if err != nil {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(ctx, linkWait)
	defer cancel()
	s, err := ojs.Stream(ctx, OfficeStream(id))
	if err != nil {
		return 0, false
	}
	return s.CachedInfo().State.LastSeq, true
}
