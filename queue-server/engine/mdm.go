package engine

import (
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// MDMSource is what the МДМ mapping reads besides the events: the office,
// its zone and a copy of its catalogue, by service id.
type MDMSource struct {
	Office   domain.Office
	Zone     *time.Location
	Services map[string]domain.Service
}

// Service finds a service of the catalogue.
func (s MDMSource) Service(id string) (domain.Service, bool) {
	v, ok := s.Services[id]
	return v, ok
}

// MDMFeed authorizes reading the office's МДМ feed for q's period, fills in
// an open period (from the start of its last office-local day; to now) and
// returns what the mapping reads. An office without its МДМ UID has no
// feed: its objects could not say whose they are.
func (e *Engine) MDMFeed(a domain.Actor, officeID string, q *domain.MDMQuery) (MDMSource, error) {
	o, err := e.officeAs(a, officeID, permMDM)
	if err != nil {
		return MDMSource{}, err
	}
	if o.info.MDMUID == "" {
		return MDMSource{}, domain.Errorf(domain.CodeConflict, "у офиса «%s» не указан UID ИС МДМ: администратор задаёт его в настройках офиса", o.info.Name)
	}
	if q.To.IsZero() {
		q.To = e.cfg.Now()
	}
	if q.From.IsZero() {
		y, m, d := q.To.Add(-time.Nanosecond).In(o.loc).Date()
		q.From = time.Date(y, m, d, 0, 0, 0, 0, o.loc)
	}
	if !q.From.Before(q.To) {
		return MDMSource{}, domain.Errorf(domain.CodeInvalid, "начало периода (from) должно быть раньше его конца (to)")
	}
	switch {
	case q.Limit == 0:
		q.Limit = domain.MaxMDMPage
	case q.Limit < 0 || q.Limit > domain.MaxMDMPage:
		return MDMSource{}, domain.Errorf(domain.CodeInvalid, "limit — число объектов от 1 до %d", domain.MaxMDMPage)
	}
	src := MDMSource{Office: o.info, Zone: o.loc, Services: make(map[string]domain.Service, len(o.services))}
	for id, s := range o.services {
		src.Services[id] = *s
	}
	return src, nil
}
