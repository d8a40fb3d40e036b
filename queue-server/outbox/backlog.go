package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Backlog is how many messages of one channel wait for delivery and how
// many were refused for good, for monitoring.
type Backlog struct {
	Channel       string
	Pending, Dead int
}

// deadField is how a dead message's JSON names its DeadAt; delivered and
// pending ones leave the field out (omitzero). DeadAt is Message's last
// field, so it sits in the record's last deadTail bytes, after the body:
// Backlog looks there only (a test of Backlog fails if the order changes).
var deadField = []byte(`"dead_at":`)

// deadTail holds `"dead_at":"` + an RFC 3339 time with nanoseconds and a
// zone + `"}`, with room to spare.
const deadTail = 64

// Backlog counts each channel's pending and dead messages, in channel
// order. Pending messages are counted by their due entries, without
// reading them. Dead ones have no index: every record's tail is looked at
// and only those that end with a dead_at field are decoded (see
// BenchmarkBacklog for what that costs).
func (o *Outbox) Backlog(ctx context.Context) ([]Backlog, error) {
	counts := map[string]*Backlog{}
	of := func(ch string) *Backlog {
		b := counts[ch]
		if b == nil {
			b = &Backlog{Channel: ch}
			counts[ch] = b
		}
		return b
	}
	err := o.view(func(tx *bolt.Tx) error {
		msgs, due, err := buckets(tx)
		if err != nil {
			return err
		}
		err = due.ForEachBucket(func(ch []byte) error {
			n := 0
			c := due.Bucket(ch).Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				n++
			}
			if n > 0 {
				of(string(ch)).Pending = n
			}
			return nil
		})
		if err != nil {
			return err
		}
		return msgs.ForEach(func(k, v []byte) error {
			if !bytes.Contains(v[max(0, len(v)-deadTail):], deadField) {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			var m struct {
				Channel     string    `json:"channel"`
				DeliveredAt time.Time `json:"delivered_at"`
				DeadAt      time.Time `json:"dead_at"`
			}
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("outbox: decode %s: %w", k, err)
			}
			if m.DeliveredAt.IsZero() && !m.DeadAt.IsZero() {
				of(m.Channel).Dead++
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := make([]Backlog, 0, len(counts))
	for _, b := range counts {
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b Backlog) int { return strings.Compare(a.Channel, b.Channel) })
	return out, nil
}
