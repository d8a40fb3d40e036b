package engine

import (
	"sort"

	"github.com/talonqueue/talon/queue-server/domain"
)

// webhooks are the integrations' subscriptions by id, shared by every
// office: emit reads them to queue each event's deliveries in the event's
// own transaction.
type webhooks map[string]*domain.Webhook

// deliver appends the outbox messages of an event of o: one per enabled
// subscription that takes it. A sandbox office feeds no other system.
func (o *office) deliver(ch *domain.Changes, ev domain.Event) {
	if o.info.Sandbox || len(o.hooks) == 0 {
		return
	}
	ids := make([]string, 0, len(o.hooks))
	for id, w := range o.hooks {
		if w.Wants(ev.OfficeID, ev.Type) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids) // the same changes from the same state, replays included
	for _, id := range ids {
		ch.Outbox = append(ch.Outbox, domain.WebhookMessage(o.hooks[id], ev))
	}
}

// authorizeWebhook checks that the actor may manage a subscription with the
// scope: for every office of it, or for the whole region when it names none.
// An office administrator thus manages the subscriptions of their office
// alone, a region administrator every one.
func authorizeWebhook(a domain.Actor, officeIDs []string) error {
	if len(officeIDs) == 0 {
		if err := authorize(a, a.OfficeID, permWebhooks); err != nil {
			return err
		}
		if !a.CanAccessOffice("") {
			return domain.Errorf(domain.CodeForbidden, "подписки на события всех офисов ведёт только администратор региона: укажите офисы подписки")
		}
		return nil
	}
	for _, id := range officeIDs {
		if err := authorize(a, id, permWebhooks); err != nil {
			return err
		}
	}
	return nil
}

// ListWebhooks returns the integration's subscriptions that the actor may
// manage, without their secrets.
func (e *Engine) ListWebhooks(a domain.Actor, integrationID string) ([]domain.Webhook, error) {
	if err := authorize(a, a.OfficeID, permWebhooks); err != nil {
		return nil, err
	}
	out := []domain.Webhook{}
	for _, w := range sortedValues(e.hooks, func(x, y *domain.Webhook) bool { return x.ID < y.ID }) {
		if w.IntegrationID == integrationID && authorizeWebhook(a, w.OfficeIDs) == nil {
			w.Secret = ""
			out = append(out, w)
		}
	}
	return out, nil
}

// webhook returns the integration's subscription the actor may manage.
func (e *Engine) webhook(a domain.Actor, integrationID, id string) (*domain.Webhook, error) {
	if err := authorize(a, a.OfficeID, permWebhooks); err != nil {
		return nil, err
	}
	w := e.hooks[id]
	if w == nil || w.IntegrationID != integrationID {
		return nil, domain.Errorf(domain.CodeNotFound, "подписка %q интеграции %q не найдена", id, integrationID)
	}
	if err := authorizeWebhook(a, w.OfficeIDs); err != nil {
		return nil, err
	}
	return w, nil
}

// PutWebhook creates a subscription, with a new secret that only this
// answer carries, or changes one, keeping its secret. The actor must be
// allowed both the old scope and the new one.
func (e *Engine) PutWebhook(a domain.Actor, in domain.Webhook, ch *domain.Changes) (domain.Webhook, error) {
	if err := in.Validate(); err != nil {
		return domain.Webhook{}, err
	}
	if err := authorizeWebhook(a, in.OfficeIDs); err != nil {
		return domain.Webhook{}, err
	}
	for _, id := range in.OfficeIDs {
		if _, err := e.office(id); err != nil {
			return domain.Webhook{}, err
		}
	}
	now := e.cfg.Now()
	in.UpdatedAt = now
	old := e.hooks[in.ID]
	if old != nil {
		// Whose it is is told only to whoever may manage it.
		if err := authorizeWebhook(a, old.OfficeIDs); err != nil {
			return domain.Webhook{}, err
		}
		if old.IntegrationID != in.IntegrationID {
			return domain.Webhook{}, domain.Errorf(domain.CodeConflict, "подписка %q уже есть у интеграции %q: выберите другой идентификатор", in.ID, old.IntegrationID)
		}
		in.CreatedAt, in.Secret, in.SecretRotatedAt = old.CreatedAt, old.Secret, old.SecretRotatedAt
	} else {
		in.CreatedAt, in.Secret, in.SecretRotatedAt = now, e.cfg.NewSecret(), now
	}
	e.hooks[in.ID] = &in
	ch.Webhooks = append(ch.Webhooks, in)
	out := in
	if old != nil {
		out.Secret = ""
	}
	return out, nil
}

// RotateWebhookSecret gives the subscription a new secret, returned this
// once; deliveries are signed with it from the next attempt on.
func (e *Engine) RotateWebhookSecret(a domain.Actor, integrationID, id string, ch *domain.Changes) (domain.Webhook, error) {
	w, err := e.webhook(a, integrationID, id)
	if err != nil {
		return domain.Webhook{}, err
	}
	now := e.cfg.Now()
	w.Secret, w.SecretRotatedAt, w.UpdatedAt = e.cfg.NewSecret(), now, now
	ch.Webhooks = append(ch.Webhooks, *w)
	return *w, nil
}

// DeleteWebhook removes a subscription; its queued deliveries go dead when
// their turn comes, with the reason.
func (e *Engine) DeleteWebhook(a domain.Actor, integrationID, id string, ch *domain.Changes) error {
	if _, err := e.webhook(a, integrationID, id); err != nil {
		return err
	}
	delete(e.hooks, id)
	ch.Deletions = append(ch.Deletions, domain.Deletion{Kind: domain.KindWebhook, ID: id})
	return nil
}

// AuthorizeWebhookDeliveries checks that the actor may read the delivery
// log of the integration's subscription.
func (e *Engine) AuthorizeWebhookDeliveries(a domain.Actor, integrationID, id string) error {
	_, err := e.webhook(a, integrationID, id)
	return err
}

// WebhookTarget is a subscription as the sender needs it at each attempt:
// its address and current secret. It is no operation of anyone's and
// checks no actor.
func (e *Engine) WebhookTarget(id string) (domain.Webhook, bool) {
	w := e.hooks[id]
	if w == nil {
		return domain.Webhook{}, false
	}
	return *w, true
}
