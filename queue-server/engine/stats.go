package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"

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
		r.Rows[i].Label = e.statsLabel(r.Query, r.Query.By, r.Rows[i].Key)
	}
}

var (
	weekdayWords = [...]string{"понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"}
	weekdayShort = [...]string{"пн", "вт", "ср", "чт", "пт", "сб", "вс"}
)

func (e *Engine) statsLabel(q domain.StatsQuery, by domain.StatsDim, key string) string {
	switch by {
	case domain.StatsByHour:
		h, err := strconv.Atoi(key)
		if err != nil {
			return key
		}
		return fmt.Sprintf("%02d:00–%02d:00", h, h+1)
	case domain.StatsByWeekday:
		if d, err := strconv.Atoi(key); err == nil && d >= 1 && d <= 7 {
			return weekdayWords[d-1]
		}
	case domain.StatsByDay:
		if t, err := time.Parse(time.DateOnly, key); err == nil {
			return t.Format("02.01.2006") + ", " + weekdayShort[(int(t.Weekday())+6)%7]
		}
	case domain.StatsByPurpose:
		if w := domain.Purpose(key).Words(); w != "" {
			return w
		}
	case domain.StatsByServiceHour:
		service, hour, ok := strings.Cut(key, "|")
		if ok {
			return e.statsLabel(q, domain.StatsByService, service) + ", " + e.statsLabel(q, domain.StatsByHour, hour)
		}
	case domain.StatsByOffice:
		if o := e.offices[key]; o != nil {
			return o.info.Name
		}
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
	return key
}
