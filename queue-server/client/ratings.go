package client

import (
	"context"
	"net/url"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Ratings.

func (c *Client) CurrentRatingForm(ctx context.Context, officeID string) (domain.RatingForm, error) {
	return get[domain.RatingForm](ctx, c, office(officeID, "rating-forms", "current"))
}

func (c *Client) SubmitRating(ctx context.Context, officeID string, r domain.NewRating) (domain.Rating, error) {
	return post[domain.Rating](ctx, c, office(officeID, "ratings"), r)
}

// PendingRating asks by window or, for a scanned QR, by ticket; nothing
// to rate is an error with domain.CodeEmpty.
func (c *Client) PendingRating(ctx context.Context, officeID string, q domain.PendingQuery) (domain.RatingRequest, error) {
	v := url.Values{}
	if q.WindowID != "" {
		v.Set("window", q.WindowID)
	}
	if q.TicketID != "" {
		v.Set("ticket", q.TicketID)
	}
	return get[domain.RatingRequest](ctx, c, office(officeID, "ratings", "pending")+"?"+v.Encode())
}

func (c *Client) GetRatingSummary(ctx context.Context, officeID string, q domain.RatingQuery) (domain.RatingSummary, error) {
	v := url.Values{}
	if !q.From.IsZero() {
		v.Set("from", q.From.Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.Format(time.RFC3339Nano))
	}
	for name, val := range map[string]string{"service": q.ServiceID, "operator": q.OperatorID, "window": q.WindowID, "group_by": q.GroupBy} {
		if val != "" {
			v.Set(name, val)
		}
	}
	p := office(officeID, "ratings", "summary")
	if len(v) > 0 {
		p += "?" + v.Encode()
	}
	return get[domain.RatingSummary](ctx, c, p)
}
