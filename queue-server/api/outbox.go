package api

import (
	"net/http"
	"strconv"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The delivery state of the office's messages to other systems (the МКГУ
// packets), for its managers: states only, never the bodies.

func listOutbox(b domain.Deliveries) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		q := r.URL.Query()
		dq := domain.DeliveryQuery{Channel: q.Get("channel"), State: q.Get("state"), After: q.Get("after")}
		for name, v := range map[string]string{"channel": dq.Channel, "after": dq.After} {
			if err := checkOutboxID(name, v); err != nil {
				return nil, err
			}
		}
		if s := q.Get("limit"); s != "" {
			if dq.Limit, err = strconv.Atoi(s); err != nil || dq.Limit < 1 {
				return nil, invalid("limit — число сообщений от 1, а не %q", s)
			}
		}
		return list(b.ListOutbox(r.Context(), p[0], dq))
	}
}

// checkOutboxID refuses a channel or message id filter that none can be.
func checkOutboxID(name, v string) error {
	if v != "" && !domain.IsOutboxID(v) {
		return invalid("поле %s: может содержать только латинские буквы, цифры, точку, дефис, подчёркивание и двоеточие (до %d символов)", name, domain.MaxOutboxID)
	}
	return nil
}

func redeliverMessage(b domain.Deliveries) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "message")
		if err != nil {
			return nil, err
		}
		if err := decodeJSON(r.Body, &struct{}{}, true); err != nil {
			return nil, err
		}
		return result(b.RedeliverMessage(r.Context(), p[0], p[1]))
	}
}
