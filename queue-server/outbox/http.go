package outbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// Post sends body to url as one attempt of m: the Content-Type and headers
// are m's, and Idempotency-Key is m.ID on every attempt. It maps the answer
// the way receivers mean it: 2xx and 409 (the receiver already has this key)
// are delivered, other 4xx are Permanent, and 5xx, timeouts and dropped
// connections are retried.
func Post(ctx context.Context, c *http.Client, url string, m Message, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("outbox: request to %s: %w", url, err))
	}
	for k, v := range m.Headers {
		req.Header.Set(k, v)
	}
	if m.ContentType != "" {
		req.Header.Set("Content-Type", m.ContentType)
	}
	req.Header.Set("Idempotency-Key", m.ID)
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("outbox: post %s to %s: %w", m.ID, url, err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode < 300, resp.StatusCode == http.StatusConflict:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests:
		return Permanent(fmt.Errorf("outbox: %s refused %s: %s %s", url, m.ID, resp.Status, bytes.TrimSpace(text)))
	}
	return fmt.Errorf("outbox: %s answered %s for %s: %s", url, resp.Status, m.ID, bytes.TrimSpace(text))
}
