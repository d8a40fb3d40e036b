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

// Integrations' webhook subscriptions.

func hookPath(integrationID string, rest ...string) string {
	return path(append([]string{"integrations", integrationID, "webhooks"}, rest...)...)
}

func (c *Client) ListWebhooks(ctx context.Context, integrationID string) ([]domain.Webhook, error) {
	return get[[]domain.Webhook](ctx, c, hookPath(integrationID))
}

func (c *Client) PutWebhook(ctx context.Context, w domain.Webhook) (domain.Webhook, error) {
	return put(ctx, c, hookPath(w.IntegrationID, w.ID), w)
}

func (c *Client) DeleteWebhook(ctx context.Context, integrationID, webhookID string) error {
	return del(ctx, c, hookPath(integrationID, webhookID))
}

func (c *Client) RotateWebhookSecret(ctx context.Context, integrationID, webhookID string) (domain.Webhook, error) {
	return post[domain.Webhook](ctx, c, hookPath(integrationID, webhookID, "rotate-secret"), nil)
}

func (c *Client) ListWebhookDeliveries(ctx context.Context, integrationID, webhookID string, q domain.DeliveryQuery) ([]domain.Delivery, error) {
	v := url.Values{}
	for name, val := range map[string]string{"state": q.State, "after": q.After} {
		if val != "" {
			v.Set(name, val)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	p := hookPath(integrationID, webhookID, "deliveries")
	if len(v) > 0 {
		p += "?" + v.Encode()
	}
	return get[[]domain.Delivery](ctx, c, p)
}
