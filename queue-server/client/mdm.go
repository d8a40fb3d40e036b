package client

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// GetMDMFeed reads one page of the office's ИС МДМ objects of a period.
func (c *Client) GetMDMFeed(ctx context.Context, officeID string, q domain.MDMQuery) ([]domain.MDMObject, error) {
	v := url.Values{}
	if !q.From.IsZero() {
		v.Set("from", q.From.Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.Format(time.RFC3339Nano))
	}
	if q.After > 0 {
		v.Set("after", strconv.FormatUint(q.After, 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	p := office(officeID, "mdm")
	if len(v) > 0 {
		p += "?" + v.Encode()
	}
	return get[[]domain.MDMObject](ctx, c, p)
}
