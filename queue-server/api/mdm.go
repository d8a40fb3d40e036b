package api

import (
	"net/http"
	"strconv"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/journal"
)

// mdmFeed answers a page of the office's ИС МДМ objects of a period; from
// and to are read as the journal reads them: dates of the office's zone or
// RFC 3339 times.
func mdmFeed(b domain.Backend) endpoint {
	return func(r *http.Request) (any, error) {
		officeID, loc, err := journalChain(r, b, true)
		if err != nil {
			return nil, err
		}
		query := r.URL.Query()
		var q domain.MDMQuery
		if q.From, q.To, err = journal.ParsePeriod(query, loc); err != nil {
			return nil, err
		}
		if s := query.Get("after"); s != "" {
			if q.After, err = strconv.ParseUint(s, 10, 64); err != nil {
				return nil, invalid("after — номер события (seq последнего полученного объекта), а не %q", s)
			}
		}
		if s := query.Get("limit"); s != "" {
			if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 || q.Limit > domain.MaxMDMPage {
				return nil, invalid("limit — число объектов от 1 до %d, а не %q", domain.MaxMDMPage, s)
			}
		}
		return list(b.GetMDMFeed(r.Context(), officeID, q))
	}
}
