package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The routes a case-management system (АИС МФЦ) uses beside the
// terminals' ones: see domain/casesystem.go.

func getWindowTicket(b domain.Tickets) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "window")
		if err != nil {
			return nil, err
		}
		return result(b.GetWindowTicket(r.Context(), p[0], p[1]))
	}
}

func findTickets(b domain.Tickets) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		q := domain.TicketQuery{CaseNumber: strings.TrimSpace(r.URL.Query().Get("case_number"))}
		if q.CaseNumber == "" {
			return nil, invalid("укажите номер дела в параметре case_number")
		}
		if err := domain.CheckCaseNumber(q.CaseNumber); err != nil {
			return nil, err
		}
		return list(b.FindTickets(r.Context(), p[0], q))
	}
}

func listOperatorCounts(b domain.Tickets) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		q := r.URL.Query()
		ref := domain.OperatorRef{OperatorID: q.Get("operator"), CaseSystemID: q.Get("case_system_id")}
		if err := checkField("operator", ref.OperatorID, false); err != nil {
			return nil, err
		}
		if err := checkField("case_system_id", ref.CaseSystemID, false); err != nil {
			return nil, err
		}
		return list(b.ListOperatorCounts(r.Context(), p[0], ref))
	}
}

func getServiceTimes(b domain.Statistics) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		weeks := 0
		if v := r.URL.Query().Get("weeks"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > domain.MaxTimesWeeks {
				return nil, invalid("параметр weeks — число недель от 1 до %d", domain.MaxTimesWeeks)
			}
			weeks = n
		}
		return result(b.GetServiceTimes(r.Context(), p[0], weeks))
	}
}
