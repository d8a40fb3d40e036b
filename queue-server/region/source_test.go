package region_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/internal/natstest"
	"github.com/talonqueue/talon/queue-server/region"
)

// startOffice starts an office-like leaf node of office id, joined to the region.
func startOffice(t testing.TB, c *natstest.Cluster, id string) *natstest.Office {
	t.Helper()
	ctx := context.Background()
	o, err := natstest.StartOffice(ctx, t.TempDir(), c, region.OfficeDomain(id), region.OfficeStream(id), region.OfficeSubject(id), region.HeaderSeq)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Stop)
	nc, err := region.Connect(c.URLs(), "join")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// The leaf link comes up a moment after the leaf node answers.
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := region.Join(ctx, nc, region.OfficeInfo{ID: id, TimeZone: "Europe/Moscow"})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("join %s: %v", id, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return o
}

// publish sends n contract-shaped messages (the body is not an event here:
// the stream does not look inside).
func publish(t testing.TB, o *natstest.Office, id string, n int) {
	t.Helper()
	for range n {
		if _, err := o.Publish(context.Background(), map[string]string{region.HeaderOffice: id}, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
}

// regionHas waits until the regional stream holds want messages of each
// office and checks each office's are there once and in order.
func regionHas(t testing.TB, js jetstream.JetStream, want map[string]int) {
	t.Helper()
	total := 0
	for _, n := range want {
		total += n
	}
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s, err := js.Stream(ctx, region.RegionStream)
		if err == nil && s.CachedInfo().State.Msgs >= uint64(total) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the regional stream did not reach %d messages: %v %+v", total, err, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
	got := map[string]int{}
	// After a node's death the cluster elects new leaders for a few seconds.
	c, err := js.CreateConsumer(ctx, region.RegionStream, jetstream.ConsumerConfig{AckPolicy: jetstream.AckNonePolicy, InactiveThreshold: time.Minute})
	for tries := 0; err != nil && tries < 30; tries++ {
		time.Sleep(time.Second)
		c, err = js.CreateConsumer(ctx, region.RegionStream, jetstream.ConsumerConfig{AckPolicy: jetstream.AckNonePolicy, InactiveThreshold: time.Minute})
	}
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	for range total {
		m, err := c.Next(jetstream.FetchMaxWait(10 * time.Second))
		// A consumer just made on one node is known to the others a moment later.
		for tries := 0; errors.Is(err, nats.ErrNoResponders) && tries < 50; tries++ {
			time.Sleep(100 * time.Millisecond)
			m, err = c.Next(jetstream.FetchMaxWait(10 * time.Second))
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		office := m.Headers().Get(region.HeaderOffice)
		seq, _ := strconv.Atoi(m.Headers().Get(region.HeaderSeq))
		if seq != got[office]+1 {
			t.Fatalf("office %q: event %d after %d", office, seq, got[office])
		}
		got[office] = seq
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the regional stream holds %v, want %v", got, want)
	}
	s, _ := js.Stream(ctx, region.RegionStream)
	if n := s.CachedInfo().State.Msgs; n != uint64(total) {
		t.Fatalf("the regional stream holds %d messages, want %d", n, total)
	}
}

// Offices' streams reach the regional stream across their leaf links by
// durable sourcing; an office that keeps publishing while its link is cut
// catches up when it returns, each event once and in order, and the
// streams keep serving with one regional node down.
func TestSourcingAcrossLeafLinks(t *testing.T) {
	c := natstest.Start(t, region.RegionDomain)
	a, b := startOffice(t, c, "mfc-1"), startOffice(t, c, "mfc.2")
	nc, err := region.Connect(c.URLs(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)

	publish(t, a, "mfc-1", 50)
	publish(t, b, "mfc.2", 30)
	regionHas(t, js, map[string]int{"mfc-1": 50, "mfc.2": 30})

	a.Proxy.Stop()
	if a.Reachable(context.Background(), nc) {
		t.Fatal("the office answers through a cut link")
	}
	publish(t, a, "mfc-1", 200)
	publish(t, b, "mfc.2", 20)
	if err := a.Proxy.Start(); err != nil {
		t.Fatal(err)
	}
	regionHas(t, js, map[string]int{"mfc-1": 250, "mfc.2": 50})

	c.Nodes[0].Kill()
	publish(t, a, "mfc-1", 10)
	publish(t, b, "mfc.2", 10)
	regionHas(t, js, map[string]int{"mfc-1": 260, "mfc.2": 60})

	// The office's own node crashes and comes back with its stream.
	if err := a.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	publish(t, a, "mfc-1", 5)
	if err := c.Nodes[0].Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	regionHas(t, js, map[string]int{"mfc-1": 265, "mfc.2": 60})
}
