package engine

import (
	"slices"
	"sort"

	"github.com/talonqueue/talon/queue-server/domain"
)

// webhooks are the integrations' subscriptions by id, shared by every
// office: emit reads them to queue each event's deliveries in the event's
// own transaction.
type webhooks map[string]*domain.Webhook

// deliver appends the outbox messages of an event of o: one per enabled
// subscription that takes it, of an enabled integration that works with the
// office now. A test office feeds only sandbox integrations' subscriptions,
// and a working office only production ones: trying an integration out
// reaches no production receiver, and a sandbox receiver gets no real
// applicant's data.
func (o *office) deliver(ch *domain.Changes, ev domain.Event) {
	if len(o.hooks) == 0 {
		return
	}
	ids := make([]string, 0, len(o.hooks))
	for id, w := range o.hooks {
		in := o.integrations[w.IntegrationID]
		if in == nil || in.Disabled || in.Sandbox != o.info.Sandbox || !slices.Contains(in.OfficeIDs, ev.OfficeID) {
			continue
		}
		if w.Wants(ev.OfficeID, ev.Type) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids) // the same changes from the same state, replays included
	for _, id := range ids {
		ch.Outbox = append(ch.Outbox, domain.WebhookMessage(o.hooks[id], ev))
	}
}

// webhookManager checks that the actor may manage some subscriptions of
// the integration: an administrator, or the integration itself when granted
// the webhooks operation.
func webhookManager(a domain.Actor, integrationID string) error {
	if a.Role != domain.RoleIntegration {
		return authorize(a, a.OfficeID, permWebhooks)
	}
	if a.IntegrationID != integrationID || !a.Grants.Allows(domain.OpWebhooks) {
		return domain.Errorf(domain.CodeForbidden, "интеграция ведёт только свои подписки, и только с операцией webhooks")
	}
	return nil
}

// authorizeWebhook checks that the actor may manage a subscription of the
// integration with the scope: for every office of it, or for all the
// integration's offices when it names none. An office administrator thus
// manages the subscriptions of their office alone, a region administrator
// every one, an integration its own within its offices.
func authorizeWebhook(a domain.Actor, integrationID string, officeIDs []string) error {
	if err := webhookManager(a, integrationID); err != nil {
		return err
	}
	if a.Role == domain.RoleIntegration {
		for _, id := range officeIDs {
			if !a.CanAccessOffice(id) {
				return domain.Errorf(domain.CodeForbidden, "у интеграции нет доступа к офису %q", id)
			}
		}
		return nil
	}
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
	if err := webhookManager(a, integrationID); err != nil {
		return nil, err
	}
	out := []domain.Webhook{}
	for _, w := range sortedValues(e.hooks, func(x, y *domain.Webhook) bool { return x.ID < y.ID }) {
		if w.IntegrationID == integrationID && authorizeWebhook(a, integrationID, w.OfficeIDs) == nil {
			w.Secret = ""
			out = append(out, w)
		}
	}
	return out, nil
}

// webhook returns the integration's subscription the actor may manage.
func (e *Engine) webhook(a domain.Actor, integrationID, id string) (*domain.Webhook, error) {
	if err := webhookManager(a, integrationID); err != nil {
		return nil, err
	}
	w := e.hooks[id]
	if w == nil || w.IntegrationID != integrationID {
		return nil, domain.Errorf(domain.CodeNotFound, "подписка %q интеграции %q не найдена", id, integrationID)
	}
	if err := authorizeWebhook(a, integrationID, w.OfficeIDs); err != nil {
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
	if err := authorizeWebhook(a, in.IntegrationID, in.OfficeIDs); err != nil {
		return domain.Webhook{}, err
	}
	holder := e.integrations[in.IntegrationID]
	if holder == nil {
		return domain.Webhook{}, domain.Errorf(domain.CodeNotFound, "интеграция %q не найдена: сначала её регистрирует администратор региона", in.IntegrationID)
	}
	for _, id := range in.OfficeIDs {
		if _, err := e.office(id); err != nil {
			return domain.Webhook{}, err
		}
		if !slices.Contains(holder.OfficeIDs, id) {
			return domain.Webhook{}, domain.Errorf(domain.CodeInvalid, "интеграция %q не работает с офисом %q: подписка получает события только офисов интеграции", in.IntegrationID, id)
		}
	}
	now := e.cfg.Now()
	in.UpdatedAt = now
	old := e.hooks[in.ID]
	if old != nil {
		// Whose it is is told only to whoever may manage it.
		if err := authorizeWebhook(a, old.IntegrationID, old.OfficeIDs); err != nil {
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
