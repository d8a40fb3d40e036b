package api

import (
	"context"
	"net/http"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The phone centre: a phone and a call's outcome for a ticket or a booking
// (subject is "ticket" or "appointment", the path parameter naming it).

func recordPhone(subject string, rec func(ctx context.Context, officeID, id string, in domain.PhoneInput) (domain.Contact, error)) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", subject)
		if err != nil {
			return nil, err
		}
		var in domain.PhoneInput
		if err := decodeJSON(r.Body, &in, false); err != nil {
			return nil, err
		}
		return rec(durable(r), p[0], p[1], in)
	}
}

func getContact(subject string, get func(ctx context.Context, officeID, id string) (domain.Contact, error)) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", subject)
		if err != nil {
			return nil, err
		}
		return get(r.Context(), p[0], p[1])
	}
}

func notifyResult(subject string, notify func(ctx context.Context, officeID, id string, in domain.NoticeInput) (domain.Contact, error)) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", subject)
		if err != nil {
			return nil, err
		}
		var in domain.NoticeInput
		if err := decodeJSON(r.Body, &in, false); err != nil {
			return nil, err
		}
		return notify(durable(r), p[0], p[1], in)
	}
}

func phoneStatus(b domain.PhoneCentre) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		q := r.URL.Query()
		return b.PhoneStatus(r.Context(), p[0], domain.PhoneStatusQuery{Code: q.Get("code"), Number: q.Get("number")})
	}
}
