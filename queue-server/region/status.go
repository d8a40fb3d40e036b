package region

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/queue-server/domain"
)

// linkPoll is how often the node looks at its leaf link: the embedded
// server has no callback for a leaf connection coming or going.
const linkPoll = time.Second

// watchLink records when the leaf link comes up or goes down, and logs it:
// an engineer reading the log sees when the office was cut off.
func (n *Node) watchLink() {
	defer close(n.watchDone)
	t := time.NewTicker(linkPoll)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
		}
		up := n.Linked()
		n.mu.Lock()
		changed := up != n.linked
		if changed {
			n.linked, n.since = up, time.Now()
		}
		n.mu.Unlock()
		switch {
		case changed && up:
			n.log.Info("region: the link to the region is up", "office", n.office)
		case changed:
			n.log.Warn("region: the link to the region is down; the office goes on and its events wait in its stream", "office", n.office)
		}
	}
}

// statusWait bounds the look at the office stream and its source consumer;
// both are local, so only a stuck embedded server takes longer.
const statusWait = 2 * time.Second

// Status is how the office's link to the region goes. The unsent events
// are those of the office stream the region's source consumer has not had
// confirmed; before the office joined, the region has none of them.
func (p *Publisher) Status(ctx context.Context) domain.RegionLink {
	n := p.node
	n.mu.Lock()
	linked, since := n.linked, n.since
	n.mu.Unlock()
	st := domain.RegionLink{Enabled: true, OfficeID: n.office, Linked: linked, Since: &since, Published: p.Cursor(),
		Alert: !linked && time.Since(since) >= n.alertAfter}
	p.mu.Lock()
	if p.fatal != nil {
		st.Error = p.fatal.Error()
	}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, statusWait)
	defer cancel()
	info, err := n.stream.Info(ctx)
	if err != nil {
		st.Error = "поток событий офиса не читается: " + err.Error()
		return st
	}
	last := info.State.LastSeq
	st.Unsent = last
	c, err := n.stream.PushConsumer(ctx, SourceConsumer)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		return st
	case err != nil:
		st.Error = "источник региона в потоке офиса не читается: " + err.Error()
		return st
	}
	st.Joined = true
	if done := c.CachedInfo().AckFloor.Stream; done < last {
		st.Unsent = last - done
	} else {
		st.Unsent = 0
	}
	return st
}
