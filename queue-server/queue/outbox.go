package queue

import (
	"context"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
	"github.com/talonqueue/talon/queue-server/outbox"
)

// ListOutbox reads the office's deliveries from the outbox, outside the
// writer: the dispatcher changes them in transactions of its own.
func (s *Service) ListOutbox(ctx context.Context, officeID string, q domain.DeliveryQuery) ([]domain.Delivery, error) {
	if err := s.authorizeOutbox(ctx, officeID); err != nil {
		return nil, err
	}
	return s.listDeliveries(ctx, officeID, q, "")
}

// listDeliveries reads the deliveries of an office ("": every office)
// whose ids start with prefix.
func (s *Service) listDeliveries(ctx context.Context, officeID string, q domain.DeliveryQuery, prefix string) ([]domain.Delivery, error) {
	switch q.State {
	case "", domain.DeliveryPending, domain.DeliveryDelivered, domain.DeliveryDead:
	default:
		return nil, domain.Errorf(domain.CodeInvalid, "состояние отправки %q неизвестно: pending, delivered или dead", q.State)
	}
	msgs, err := s.opts.Outbox.List(ctx, outbox.Query{OfficeID: officeID, Channel: q.Channel, State: q.State, After: q.After, Limit: q.Limit, Prefix: prefix})
	if err != nil {
		return nil, err
	}
	out := make([]domain.Delivery, len(msgs))
	for i, m := range msgs {
		out[i] = m.Delivery()
	}
	return out, nil
}

// RedeliverMessage is journaled: a manager's decision to send again what
// the receiver refused.
func (s *Service) RedeliverMessage(ctx context.Context, officeID, messageID string) (domain.Delivery, error) {
	if err := s.authorizeOutbox(ctx, officeID); err != nil {
		return domain.Delivery{}, err
	}
	m, err := s.opts.Outbox.Get(ctx, messageID)
	if err == nil && m.OfficeID != officeID {
		err = domain.Errorf(domain.CodeNotFound, "сообщение %s не найдено в очереди отправки", messageID)
	}
	if err == nil {
		err = s.opts.Outbox.Redeliver(ctx, messageID)
	}
	if jerr := s.Record(ctx, domain.JournalEntry{Action: "redeliverMessage", OfficeID: officeID, Object: "message/" + messageID, Err: err}); jerr != nil {
		s.log.Error("journal a redelivery", "id", messageID, "err", jerr)
	}
	if err != nil {
		return domain.Delivery{}, err
	}
	m, err = s.opts.Outbox.Get(ctx, messageID)
	return m.Delivery(), err
}

func (s *Service) authorizeOutbox(ctx context.Context, officeID string) error {
	if _, err := read(s, func(e *engine.Engine) (struct{}, error) {
		return struct{}{}, e.AuthorizeOutbox(actor(ctx), officeID)
	}); err != nil {
		return err
	}
	if s.opts.Outbox == nil {
		return domain.Errorf(domain.CodeUnavailable, "очередь отправки в другие системы не подключена")
	}
	return nil
}
