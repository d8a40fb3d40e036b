package api

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/auth"
	"github.com/talonqueue/talon/queue-server/domain"
)

// Integrations: the region administrator's register of other systems.

func listIntegrations(b domain.Integrations) endpoint {
	return func(r *http.Request) (any, error) { return list(b.ListIntegrations(r.Context())) }
}

func getIntegration(b domain.Integrations) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "integration")
		if err != nil {
			return nil, err
		}
		return b.GetIntegration(r.Context(), p[0])
	}
}

func putIntegration(b domain.Integrations) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "integration")
		if err != nil {
			return nil, err
		}
		var in domain.Integration
		if err := decodeJSON(r.Body, &in, false); err != nil {
			return nil, err
		}
		if err := bind("id", &in.ID, p[0]); err != nil {
			return nil, err
		}
		return b.PutIntegration(durable(r), in)
	}
}

func deleteIntegration(b domain.Integrations) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "integration")
		if err != nil {
			return nil, err
		}
		return done(b.DeleteIntegration(durable(r), p[0]))
	}
}

func issueIntegrationKey(b domain.Integrations) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "integration")
		if err != nil {
			return nil, err
		}
		return b.IssueIntegrationKey(durable(r), p[0])
	}
}

func revokeIntegrationKey(b domain.Integrations) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "integration")
		if err != nil {
			return nil, err
		}
		return b.RevokeIntegrationKey(durable(r), p[0])
	}
}

// oauthTokenRequest is RFC 6749's client credentials grant (section 4.4),
// form-encoded as the RFC says or as JSON; the client may also authenticate
// with HTTP Basic (section 2.3.1).
type oauthTokenRequest struct {
	GrantType    string `json:"grant_type"`
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
}

// oauthTokenResponse is RFC 6749's access token response (section 5.1).
type oauthTokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// oauthError is RFC 6749's error response (section 5.2), with the reason
// in Russian as error_description.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// oauthToken exchanges an integration's client credentials for a bearer
// token of the usual lifetime. It answers in RFC 6749's shapes, which OAuth2
// libraries parse, rather than the API's error shape. Every attempt that
// names an integration is journaled, as logins are.
func oauthToken(b domain.Auth, j domain.Journal, tokens *auth.Issuer, guard *auth.LoginGuard) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		answer := func(status int, v any) {
			body, _ := json.Marshal(v)
			writeBody(w, status, "application/json; charset=utf-8", body)
		}
		req, err := parseOAuthToken(r)
		if err != nil {
			answer(http.StatusBadRequest, oauthError{Error: "invalid_request", Description: domain.ErrorMessage(err)})
			return
		}
		if req.GrantType != "client_credentials" {
			answer(http.StatusBadRequest, oauthError{Error: "unsupported_grant_type", Description: "поддерживается только grant_type=client_credentials"})
			return
		}
		login := domain.IntegrationLogin(req.ClientID)
		tried := domain.WithActor(r.Context(), domain.Actor{Login: login, Role: domain.RoleIntegration})
		if err := guard.Check(r, login); err != nil {
			_ = record(tried, j, "oauthToken", "integration/"+req.ClientID, err)
			answer(http.StatusTooManyRequests, oauthError{Error: "invalid_client", Description: domain.ErrorMessage(err)})
			return
		}
		a, err := b.CheckIntegration(r.Context(), domain.IntegrationKeyOf(req.ClientID, req.ClientSecret))
		if domain.ErrorCode(err) == domain.CodeUnauthorized || err == nil {
			guard.Record(r, login, err == nil)
		}
		if err != nil {
			_ = record(tried, j, "oauthToken", "integration/"+req.ClientID, err)
			w.Header().Set("WWW-Authenticate", `Basic realm="talon"`)
			answer(http.StatusUnauthorized, oauthError{Error: "invalid_client", Description: "неверные client_id или client_secret, либо ключ интеграции отозван"})
			return
		}
		if err := record(domain.WithActor(r.Context(), a), j, "oauthToken", "integration/"+req.ClientID, nil); err != nil {
			answer(http.StatusServiceUnavailable, oauthError{Error: "temporarily_unavailable", Description: domain.ErrorMessage(err)})
			return
		}
		token, exp, err := tokens.Issue(a)
		if err != nil {
			answer(http.StatusInternalServerError, oauthError{Error: "server_error", Description: "внутренняя ошибка сервера"})
			return
		}
		answer(http.StatusOK, oauthTokenResponse{AccessToken: token, TokenType: "Bearer", ExpiresIn: int64(time.Until(exp).Round(time.Second).Seconds())})
	})
}

func parseOAuthToken(r *http.Request) (oauthTokenRequest, error) {
	var req oauthTokenRequest
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		if err := decodeJSON(r.Body, &req, false); err != nil {
			return req, err
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return req, invalid("тело запроса больше %d байт", tooBig.Limit)
			}
			return req, invalid("тело запроса — не форма application/x-www-form-urlencoded: %v", err)
		}
		req = oauthTokenRequest{GrantType: r.PostForm.Get("grant_type"), ClientID: r.PostForm.Get("client_id"), ClientSecret: r.PostForm.Get("client_secret")}
	default:
		return req, invalid("передайте параметры формой (application/x-www-form-urlencoded) или JSON")
	}
	if id, secret, ok := r.BasicAuth(); ok {
		// RFC 6749 section 2.3.1: the credentials are form-encoded before Basic.
		var err error
		if req.ClientID, err = url.QueryUnescape(id); err != nil {
			return req, invalid("client_id в заголовке Authorization закодирован неверно")
		}
		if req.ClientSecret, err = url.QueryUnescape(secret); err != nil {
			return req, invalid("client_secret в заголовке Authorization закодирован неверно")
		}
	}
	if !domain.IsID(req.ClientID) || strings.TrimSpace(req.ClientSecret) == "" {
		return req, invalid("укажите client_id (идентификатор интеграции) и client_secret")
	}
	return req, nil
}
