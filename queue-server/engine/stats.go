package engine

import (
	"fmt"

	"github.com/talonqueue/talon/queue-server/domain"
)

// StatsScope authorizes a statistics report and completes its query: with
// no office named, every office the actor may see; with no period, today
// in the first office's zone. The store checks the rest of the query.
func (e *Engine) StatsScope(a domain.Actor, q *domain.StatsQuery) error {
	if len(q.OfficeIDs) == 0 {
		offices, err := e.ListOffices(a)
		if err != nil {
			return err
		}
		for _, o := range offices {
			q.OfficeIDs = append(q.OfficeIDs, o.ID)
		}
		if len(q.OfficeIDs) == 0 {
			return domain.Errorf(domain.CodeNotFound, "у вас нет доступа ни к одному офису")
		}
	}
	var first *office
	for _, id := range q.OfficeIDs {
		o, err := e.officeAs(a, id, permStats)
		if err != nil {
			return err
		}
		if first == nil {
			first = o
		}
	}
	today := first.day(e.cfg.Now())
	if q.From == "" {
		q.From = today
	}
	if q.To == "" {
		q.To = max(today, q.From)
	}
	if q.By == "" {
		q.By = domain.StatsByService
	}
	return nil
}

// LabelStats names the rows of a report for people: services, operators,
// windows and offices by their names in the report's offices, the rest in
// words. A row of something since deleted keeps its id.
func (e *Engine) LabelStats(r *domain.StatsReport) {
	for i := range r.Rows {
		r.Rows[i].Label = r.Query.By.Label(r.Rows[i].Key, func(by domain.StatsDim, key string) string { return e.statsName(r.Query, by, key) })
	}
}

// statsName is the name of an office, or of a service, operator or window
// of the report's offices; "" when there is none.
func (e *Engine) statsName(q domain.StatsQuery, by domain.StatsDim, key string) string {
	if by == domain.StatsByOffice {
		if o := e.offices[key]; o != nil {
			return o.info.Name
		}
		return ""
	}
	for _, id := range q.OfficeIDs {
		o := e.offices[id]
		if o == nil {
			continue
		}
		switch by {
		case domain.StatsByService:
			if s := o.services[key]; s != nil {
				return s.Name
			}
		case domain.StatsByOperator:
			if op := o.operators[key]; op != nil {
				return op.FullName
			}
		case domain.StatsByWindow:
			if w := o.windows[key]; w != nil && w.Name != "" {
				return w.Name
			} else if w != nil {
				return fmt.Sprintf("Окно %d", w.Number)
			}
		}
	}
	return ""
}
