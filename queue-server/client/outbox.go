package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Deliveries to other systems.

func (c *Client) ListOutbox(ctx context.Context, officeID string, q domain.DeliveryQuery) ([]domain.Delivery, error) {
	v := url.Values{}
	for name, val := range map[string]string{"channel": q.Channel, "state": q.State, "after": q.After} {
		if val != "" {
			v.Set(name, val)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	p := office(officeID, "outbox")
	if len(v) > 0 {
		p += "?" + v.Encode()
	}
	return get[[]domain.Delivery](ctx, c, p)
}

func (c *Client) RedeliverMessage(ctx context.Context, officeID, messageID string) (domain.Delivery, error) {
	return post[domain.Delivery](ctx, c, office(officeID, "outbox", messageID, "redeliver"), nil)
}
