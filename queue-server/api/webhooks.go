package api

import (
	"net/http"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The integrations' webhook subscriptions, for administrators.

func listWebhooks(b domain.Webhooks) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "integration")
		if err != nil {
			return nil, err
		}
		return list(b.ListWebhooks(r.Context(), p[0]))
	}
}

func putWebhook(b domain.Webhooks) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "integration", "webhook")
		if err != nil {
			return nil, err
		}
		var w domain.Webhook
		if err := decodeJSON(r.Body, &w, false); err != nil {
			return nil, err
		}
		if err := bind("integration_id", &w.IntegrationID, p[0]); err != nil {
			return nil, err
		}
		if err := bind("id", &w.ID, p[1]); err != nil {
			return nil, err
		}
		// The server makes secrets; one sent in is not taken.
		w.Secret = ""
		if err := w.Validate(); err != nil {
			return nil, err
		}
		return result(b.PutWebhook(durable(r), w))
	}
}

func deleteWebhook(b domain.Webhooks) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "integration", "webhook")
		if err != nil {
			return nil, err
		}
		if err := decodeJSON(r.Body, &struct{}{}, true); err != nil {
			return nil, err
		}
		return done(b.DeleteWebhook(durable(r), p[0], p[1]))
	}
}

func rotateWebhookSecret(b domain.Webhooks) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "integration", "webhook")
		if err != nil {
			return nil, err
		}
		if err := decodeJSON(r.Body, &struct{}{}, true); err != nil {
			return nil, err
		}
		return result(b.RotateWebhookSecret(durable(r), p[0], p[1]))
	}
}

func listWebhookDeliveries(b domain.Webhooks) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "integration", "webhook")
		if err != nil {
			return nil, err
		}
		dq, err := deliveryQuery(r.URL.Query())
		if err != nil {
			return nil, err
		}
		return list(b.ListWebhookDeliveries(r.Context(), p[0], p[1], dq))
	}
}
