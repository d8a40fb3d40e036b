package api

import (
	"net/http"
	"net/url"
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
		dq, err := deliveryQuery(r.URL.Query())
		if err != nil {
			return nil, err
		}
		return list(b.ListOutbox(r.Context(), p[0], dq))
	}
}

// deliveryQuery reads a delivery log's filter and page from the query; a
// route without channel (a subscription's own log) never gets one, as the
// router refuses parameters a route does not list.
func deliveryQuery(q url.Values) (domain.DeliveryQuery, error) {
	dq := domain.DeliveryQuery{Channel: q.Get("channel"), State: q.Get("state"), After: q.Get("after")}
	for name, v := range map[string]string{"channel": dq.Channel, "after": dq.After} {
		if err := checkOutboxID(name, v); err != nil {
			return dq, err
		}
	}
	if s := q.Get("limit"); s != "" {
		var err error
		if dq.Limit, err = strconv.Atoi(s); err != nil || dq.Limit < 1 {
			return dq, invalid("limit — число сообщений от 1, а не %q", s)
		}
	}
	return dq, nil
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
