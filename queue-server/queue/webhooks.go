package queue

import (
	"context"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
)

func (s *Service) ListWebhooks(ctx context.Context, integrationID string) ([]domain.Webhook, error) {
	return read(s, func(e *engine.Engine) ([]domain.Webhook, error) { return e.ListWebhooks(actor(ctx), integrationID) })
}

// webhookEntry journals a change of a subscription in the chain of its
// office when it has one, else in the region's.
func webhookEntry(action, id string, officeIDs []string) *entry {
	en := &entry{action: action, object: "webhook/" + id}
	if len(officeIDs) == 1 {
		en.officeID = officeIDs[0]
	}
	return en
}

func (s *Service) PutWebhook(ctx context.Context, w domain.Webhook) (domain.Webhook, error) {
	return write(ctx, s, webhookEntry("putWebhook", w.ID, w.OfficeIDs), func(e *engine.Engine, ch *domain.Changes) (domain.Webhook, error) {
		return e.PutWebhook(actor(ctx), w, ch)
	})
}

func (s *Service) DeleteWebhook(ctx context.Context, integrationID, webhookID string) error {
	en := webhookEntry("deleteWebhook", webhookID, nil)
	_, err := write(ctx, s, en, func(e *engine.Engine, ch *domain.Changes) (struct{}, error) {
		en.officeID = webhookOffice(e, webhookID)
		return struct{}{}, e.DeleteWebhook(actor(ctx), integrationID, webhookID, ch)
	})
	return err
}

func (s *Service) RotateWebhookSecret(ctx context.Context, integrationID, webhookID string) (domain.Webhook, error) {
	en := webhookEntry("rotateWebhookSecret", webhookID, nil)
	return write(ctx, s, en, func(e *engine.Engine, ch *domain.Changes) (domain.Webhook, error) {
		en.officeID = webhookOffice(e, webhookID)
		return e.RotateWebhookSecret(actor(ctx), integrationID, webhookID, ch)
	})
}

// webhookOffice is the office whose journal a change of the subscription
// goes to: its only office, or none (the region).
func webhookOffice(e *engine.Engine, id string) string {
	if w, ok := e.WebhookTarget(id); ok && len(w.OfficeIDs) == 1 {
		return w.OfficeIDs[0]
	}
	return ""
}

// ListWebhookDeliveries reads the subscription's channel of the outbox,
// across offices, outside the writer.
func (s *Service) ListWebhookDeliveries(ctx context.Context, integrationID, webhookID string, q domain.DeliveryQuery) ([]domain.Delivery, error) {
	if _, err := read(s, func(e *engine.Engine) (struct{}, error) {
		return struct{}{}, e.AuthorizeWebhookDeliveries(actor(ctx), integrationID, webhookID)
	}); err != nil {
		return nil, err
	}
	if s.opts.Outbox == nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "очередь отправки в другие системы не подключена")
	}
	q.Channel = domain.WebhookChannel(webhookID)
	return s.listDeliveries(ctx, "", q, domain.WebhookMessagePrefix(webhookID))
}

// WebhookTarget is the subscription's address and current secret for the
// webhook sender, read at each attempt; false when it is gone.
func (s *Service) WebhookTarget(id string) (domain.Webhook, bool, error) {
	type target struct {
		w  domain.Webhook
		ok bool
	}
	t, err := read(s, func(e *engine.Engine) (target, error) {
		w, ok := e.WebhookTarget(id)
		return target{w, ok}, nil
	})
	return t.w, t.ok, err
}
