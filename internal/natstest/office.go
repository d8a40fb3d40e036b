package natstest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Office stands in for an office node until the tests run real ones: a
// leaf node in its own domain, linked to the region through a Proxy, with
// the office's stream, publishing messages the way an office node does
// (stream seq n is the office's event n, enforced by the expected last
// sequence).
type Office struct {
	Node  *Node
	Proxy *Proxy
	nc    *nats.Conn
	js    jetstream.JetStream
	// Domain is the office's JetStream domain; Stream and Subject are its
	// stream and the subject it holds.
	Domain, Stream, Subject string
	seqHeader               string

	mu   sync.Mutex // Publish and Last may be called from different goroutines
	last uint64
}

// StartOffice starts a leaf node in domain, linked through a new proxy to
// the cluster's leaf listeners, and creates stream (listening on subject)
// in it. seqHeader is the header that repeats a message's event seq.
func StartOffice(ctx context.Context, dir string, c *Cluster, domain, stream, subject, seqHeader string) (*Office, error) {
	p, err := NewProxy(c.LeafURLs())
	if err != nil {
		return nil, err
	}
	n, err := StartLeaf(ctx, dir, domain, p.URL())
	if err != nil {
		p.Stop()
		return nil, err
	}
	o := &Office{Node: n, Proxy: p, Domain: domain, Stream: stream, Subject: subject, seqHeader: seqHeader}
	if err := o.connect(ctx); err != nil {
		o.Stop()
		return nil, err
	}
	s, err := o.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: stream, Subjects: []string{subject}, Storage: jetstream.FileStorage, Replicas: 1,
	})
	if err != nil {
		o.Stop()
		return nil, fmt.Errorf("office stream %s: %w", stream, err)
	}
	o.last = s.CachedInfo().State.LastSeq
	return o, nil
}

func (o *Office) connect(ctx context.Context) error {
	nc, err := nats.Connect(o.Node.URL, nats.MaxReconnects(-1))
	if err != nil {
		return err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return err
	}
	o.nc, o.js = nc, js
	return nil
}

// Last is the seq of the office's last event.
func (o *Office) Last() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last
}

// Publish appends the office's next event: body with headers, the seq
// header set to the event's seq, refused by the stream unless it is the
// next one.
func (o *Office) Publish(ctx context.Context, headers map[string]string, body []byte) (uint64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := nats.NewMsg(o.Subject)
	for k, v := range headers {
		m.Header.Set(k, v)
	}
	seq := o.last + 1
	m.Header.Set(o.seqHeader, strconv.FormatUint(seq, 10))
	m.Data = body
	ack, err := o.js.PublishMsg(ctx, m, jetstream.WithExpectLastSequence(o.last))
	if err != nil {
		return 0, fmt.Errorf("publish event %d to %s: %w", seq, o.Stream, err)
	}
	o.last = ack.Sequence
	return seq, nil
}

// Reachable asks for the office's stream through nc, a connection to the
// region: it answers only while the leaf link is up. A test that cuts the
// link checks with it that the cut is real (a leaf node that learnt the
// cluster's other addresses would go round a proxy).
func (o *Office) Reachable(ctx context.Context, nc *nats.Conn) bool {
	js, err := jetstream.NewWithDomain(nc, o.Domain)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err = js.Stream(ctx, o.Stream)
	return err == nil
}

// Restart kills the office's node and starts it again, as a crash would.
func (o *Office) Restart(ctx context.Context) error {
	o.nc.Close()
	o.Node.Kill()
	if err := o.Node.Start(ctx); err != nil {
		return err
	}
	return o.connect(ctx)
}

// Stop ends the office's node and its proxy.
func (o *Office) Stop() {
	if o.nc != nil {
		o.nc.Close()
	}
	o.Node.Stop()
	o.Proxy.Stop()
}
