package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Integrations: other systems' access, and a client used by one of them.

// WithIntegrationKey authenticates every request with an integration's key.
func WithIntegrationKey(key string) Option { return WithToken(key) }

func (c *Client) ListIntegrations(ctx context.Context) ([]domain.Integration, error) {
	return get[[]domain.Integration](ctx, c, path("integrations"))
}

func (c *Client) GetIntegration(ctx context.Context, id string) (domain.Integration, error) {
	return get[domain.Integration](ctx, c, path("integrations", id))
}

func (c *Client) PutIntegration(ctx context.Context, in domain.Integration) (domain.Integration, error) {
	return put(ctx, c, path("integrations", in.ID), in)
}

func (c *Client) DeleteIntegration(ctx context.Context, id string) error {
	return del(ctx, c, path("integrations", id))
}

func (c *Client) IssueIntegrationKey(ctx context.Context, id string) (domain.IntegrationKey, error) {
	return post[domain.IntegrationKey](ctx, c, path("integrations", id, "key"), nil)
}

func (c *Client) RevokeIntegrationKey(ctx context.Context, id string) (domain.Integration, error) {
	return post[domain.Integration](ctx, c, path("integrations", id, "revoke"), nil)
}

// CheckIntegration confirms over GET /me that the client's own key works.
func (c *Client) CheckIntegration(ctx context.Context, key string) (domain.Actor, error) {
	if key != c.Token() {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "клиент работает с другим ключом интеграции")
	}
	return c.Me(ctx)
}

// SetOperator makes the calls that follow act for an operator, named by
// their Talon id or case-system id (an integration granted "serve"); ""
// makes them the integration's own again.
func (c *Client) SetOperator(operator string) {
	c.mu.Lock()
	c.operator = operator
	c.mu.Unlock()
}

// ActAsOperator asks whom the integration would act as for operator in the office.
func (c *Client) ActAsOperator(ctx context.Context, officeID, operator string) (domain.Actor, error) {
	var a domain.Actor
	err := c.send(ctx, request{method: http.MethodGet, path: "/me?" + url.Values{"office": {officeID}}.Encode(), out: &a, operator: operator})
	return a, err
}
