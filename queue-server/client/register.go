package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/talonqueue/talon/queue-server/domain"
)

// ImportRegister sends a file exported from ФРГУ as it is; the server reads it.
func (c *Client) ImportRegister(ctx context.Context, officeID string, f domain.RegisterFile) (domain.RegisterReport, error) {
	v := url.Values{"format": {f.Format}}
	if f.DryRun {
		v.Set("dry_run", "true")
	}
	ct := "text/plain"
	if f.Charset != "" {
		ct += "; charset=" + f.Charset
	}
	var out domain.RegisterReport
	err := c.send(ctx, request{method: http.MethodPost, path: office(officeID, "catalog", "import") + "?" + v.Encode(),
		file: f.Data, contentType: ct, out: &out})
	return out, err
}
