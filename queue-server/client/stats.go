package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/talonqueue/talon/queue-server/domain"
)

func (c *Client) GetStats(ctx context.Context, q domain.StatsQuery) (domain.StatsReport, error) {
	v := url.Values{}
	for _, id := range q.OfficeIDs {
		v.Add("office", id)
	}
	for name, val := range map[string]string{"from": q.From, "to": q.To, "by": string(q.By)} {
		if val != "" {
			v.Set(name, val)
		}
	}
	p := "/stats"
	if len(v) > 0 {
		p += "?" + v.Encode()
	}
	return get[domain.StatsReport](ctx, c, p)
}

// GetServiceTimes asks for weeks of weekdays; 0 means the server's default.
func (c *Client) GetServiceTimes(ctx context.Context, officeID string, weeks int) (domain.ServiceTimes, error) {
	p := office(officeID, "times")
	if weeks != 0 {
		p += "?" + url.Values{"weeks": {strconv.Itoa(weeks)}}.Encode()
	}
	return get[domain.ServiceTimes](ctx, c, p)
}
