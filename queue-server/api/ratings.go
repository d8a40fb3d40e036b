package api

import (
	"net/http"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/journal"
)

// Ratings of the service: the rating terminal's form, pending request and
// submission, and the managers' summary.

func submitRating(b domain.Ratings) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		var nr domain.NewRating
		if err := decodeJSON(r.Body, &nr, false); err != nil {
			return nil, err
		}
		return result(b.SubmitRating(durable(r), p[0], nr))
	}
}

func pendingRating(b domain.Ratings) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		q := r.URL.Query()
		pq := domain.PendingQuery{WindowID: q.Get("window"), TicketID: q.Get("ticket")}
		if err := checkField("window", pq.WindowID, false); err != nil {
			return nil, err
		}
		if err := checkField("ticket", pq.TicketID, false); err != nil {
			return nil, err
		}
		return result(b.PendingRating(r.Context(), p[0], pq))
	}
}

// ratingSummary reads from and to as the journal does: dates of the
// office's time zone or RFC 3339 times.
func ratingSummary(b domain.Backend) endpoint {
	return func(r *http.Request) (any, error) {
		officeID, loc, err := journalChain(r, b, true)
		if err != nil {
			return nil, err
		}
		q := r.URL.Query()
		rq := domain.RatingQuery{ServiceID: q.Get("service"), OperatorID: q.Get("operator"), WindowID: q.Get("window"), GroupBy: q.Get("group_by")}
		if rq.From, rq.To, err = journal.ParsePeriod(q, loc); err != nil {
			return nil, err
		}
		for name, v := range map[string]string{"service": rq.ServiceID, "operator": rq.OperatorID, "window": rq.WindowID} {
			if err := checkField(name, v, false); err != nil {
				return nil, err
			}
		}
		return result(b.GetRatingSummary(r.Context(), officeID, rq))
	}
}
