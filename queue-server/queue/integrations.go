package queue

import (
	"context"
	"crypto/subtle"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
)

var errIntegrationKey = domain.Errorf(domain.CodeUnauthorized, "ключ интеграции недействителен: его отозвали или заменили, либо интеграцию отключили; новый ключ выдаёт администратор региона")

func (s *Service) ListIntegrations(ctx context.Context) ([]domain.Integration, error) {
	return read(s, func(e *engine.Engine) ([]domain.Integration, error) { return e.ListIntegrations(actor(ctx)) })
}

func (s *Service) GetIntegration(ctx context.Context, id string) (domain.Integration, error) {
	return read(s, func(e *engine.Engine) (domain.Integration, error) { return e.GetIntegration(actor(ctx), id) })
}

func (s *Service) PutIntegration(ctx context.Context, in domain.Integration) (domain.Integration, error) {
	return write(ctx, s, &entry{action: "putIntegration", object: "integration/" + in.ID}, func(e *engine.Engine, ch *domain.Changes) (domain.Integration, error) {
		return e.PutIntegration(actor(ctx), in, ch)
	})
}

func (s *Service) DeleteIntegration(ctx context.Context, id string) error {
	_, err := write(ctx, s, &entry{action: "deleteIntegration", object: "integration/" + id}, func(e *engine.Engine, ch *domain.Changes) (struct{}, error) {
		return struct{}{}, e.DeleteIntegration(actor(ctx), id, ch)
	})
	return err
}

func (s *Service) IssueIntegrationKey(ctx context.Context, id string) (domain.IntegrationKey, error) {
	return write(ctx, s, &entry{action: "issueIntegrationKey", object: "integration/" + id}, func(e *engine.Engine, ch *domain.Changes) (domain.IntegrationKey, error) {
		return e.IssueIntegrationKey(actor(ctx), id, ch)
	})
}

func (s *Service) RevokeIntegrationKey(ctx context.Context, id string) (domain.Integration, error) {
	return write(ctx, s, &entry{action: "revokeIntegrationKey", object: "integration/" + id}, func(e *engine.Engine, ch *domain.Changes) (domain.Integration, error) {
		return e.RevokeIntegrationKey(actor(ctx), id, ch)
	})
}

// CheckIntegration checks an integration key against the hash of its
// secret, like CheckDevice, without waiting for the writer.
func (s *Service) CheckIntegration(ctx context.Context, key string) (domain.Actor, error) {
	id, secret, ok := domain.ParseIntegrationKey(key)
	if !ok {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "ключ интеграции повреждён: он выглядит как tik1:<интеграция>:<секрет>")
	}
	c, ok := s.access.Load().integrations[id]
	if !ok || subtle.ConstantTimeCompare([]byte(c.Hash), []byte(domain.HashSecret(secret))) != 1 {
		return domain.Actor{}, errIntegrationKey
	}
	return c.Actor, nil
}

// ActAsOperator turns the integration in ctx into the operator it names.
func (s *Service) ActAsOperator(ctx context.Context, officeID, operator string) (domain.Actor, error) {
	return s.access.Load().directory.ActAsOperator(actor(ctx), officeID, operator)
}
