package engine

import (
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// What a case-management system (АИС МФЦ) asks of the queue beyond what
// terminals do; see domain/casesystem.go.

// poolRu names a pool in an error, in the genitive plural.
var poolRu = map[domain.Pool]string{
	domain.PoolPriority:   "льготных",
	domain.PoolRedirected: "перенаправленных",
	domain.PoolPostponed:  "отложенных",
}

// byCaseSystemID finds the operator of the office whom the case system
// knows by id (domain.Operator.CaseSystemID).
func (o *office) byCaseSystemID(id string) (*domain.Operator, error) {
	if id != "" {
		for _, op := range o.operators {
			if op.CaseSystemID == id {
				return op, nil
			}
		}
	}
	return nil, domain.Errorf(domain.CodeNotFound, "оператор с идентификатором %q в АИС МФЦ не найден в офисе «%s»", id, o.info.Name)
}

// GetWindowTicket is the ticket called or served at the window now.
func (e *Engine) GetWindowTicket(a domain.Actor, officeID, windowID string) (domain.Ticket, error) {
	o, err := e.officeAs(a, officeID, permView)
	if err != nil {
		return domain.Ticket{}, err
	}
	w := o.windows[windowID]
	if w == nil {
		return domain.Ticket{}, domain.Errorf(domain.CodeNotFound, "окно %q не найдено", windowID)
	}
	if s := o.sessions[windowID]; s != nil {
		if t := o.serving(s); t != nil {
			return shown(a, o.view(t, e.cfg.Now())), nil
		}
	}
	return domain.Ticket{}, domain.Errorf(domain.CodeEmpty, "в окне %d сейчас нет талона", w.Number)
}

// FindTickets checks a search by case number and returns its matches among
// the tickets in memory (the recent days); the queue adds older days from
// the store.
func (e *Engine) FindTickets(a domain.Actor, officeID string, q *domain.TicketQuery) ([]domain.Ticket, error) {
	o, err := e.officeAs(a, officeID, permCaseFind)
	if err != nil {
		return nil, err
	}
	q.CaseNumber = strings.TrimSpace(q.CaseNumber)
	if err := domain.CheckCaseNumber(q.CaseNumber); err != nil {
		return nil, err
	}
	now := e.cfg.Now()
	var out []domain.Ticket
	for t := range o.tickets.all() {
		if t.CaseNumber == q.CaseNumber {
			out = append(out, o.view(t, now))
		}
	}
	return out, nil
}

// ListOperatorCounts is today's work of the office's operators, or of the
// one ref names (by our id or the case system's).
func (e *Engine) ListOperatorCounts(a domain.Actor, officeID string, ref domain.OperatorRef) ([]domain.OperatorCounts, error) {
	o, err := e.officeAs(a, officeID, permOperatorCounts)
	if err != nil {
		return nil, err
	}
	ops, err := o.operatorsNamed(ref)
	if err != nil {
		return nil, err
	}
	now := e.cfg.Now()
	today := o.day(now)
	counts := make(map[string]*domain.OperatorCounts, len(ops))
	spent := map[string]time.Duration{}
	out := make([]domain.OperatorCounts, len(ops))
	for i, op := range ops {
		out[i] = domain.OperatorCounts{OperatorID: op.ID, CaseSystemID: op.CaseSystemID, FullName: op.FullName, Day: today, Status: domain.WindowClosed}
		counts[op.ID] = &out[i]
	}
	for t := range o.tickets.on(today, finished) {
		o.countSteps(t, counts, spent)
		if c := counts[t.TargetOperatorID]; c != nil && inQueue(t, today) {
			c.WaitingForOperator++
		}
	}
	for i := range out {
		c := &out[i]
		if c.Served > 0 {
			c.ServiceMeanSeconds = int(spent[c.OperatorID] / time.Duration(c.Served) / time.Second)
		}
		o.countWindow(c, now)
	}
	return out, nil
}

// operatorsNamed is the operator ref names, or all of them by id.
func (o *office) operatorsNamed(ref domain.OperatorRef) ([]*domain.Operator, error) {
	var op *domain.Operator
	switch {
	case ref.CaseSystemID != "":
		var err error
		if op, err = o.byCaseSystemID(ref.CaseSystemID); err != nil {
			return nil, err
		}
		if ref.OperatorID != "" && ref.OperatorID != op.ID {
			return nil, domain.Errorf(domain.CodeInvalid, "operator %q и case_system_id %q называют разных операторов", ref.OperatorID, ref.CaseSystemID)
		}
	case ref.OperatorID != "":
		if op = o.operators[ref.OperatorID]; op == nil {
			return nil, domain.Errorf(domain.CodeNotFound, "оператор %q не найден", ref.OperatorID)
		}
	default:
		all := sortedValues(o.operators, func(x, y *domain.Operator) bool { return x.ID < y.ID })
		out := make([]*domain.Operator, len(all))
		for i := range all {
			out[i] = o.operators[all[i].ID]
		}
		return out, nil
	}
	return []*domain.Operator{op}, nil
}

// countSteps adds what a ticket's history says operators did with it: a
// finish serves (timed from the start of service, or the call), a no-show,
// a postponement, and a redirect from the window the ticket was at.
func (o *office) countSteps(t *domain.Ticket, counts map[string]*domain.OperatorCounts, spent map[string]time.Duration) {
	var from *domain.Step
	for i := range t.History {
		st := &t.History[i]
		c := counts[st.OperatorID]
		switch st.Action {
		case domain.ActionCall, domain.ActionStart:
			from = st
		case domain.ActionFinish:
			if c != nil && from != nil {
				c.Served++
				spent[st.OperatorID] += max(st.At.Sub(from.At), 0)
			}
			from = nil
		case domain.ActionNoShow:
			if c != nil {
				c.NoShow++
			}
			from = nil
		case domain.ActionPostpone:
			if c != nil {
				c.Postponed++
			}
			from = nil
		case domain.ActionRedirect:
			if c != nil && i > 0 && (t.History[i-1].Status == domain.StatusCalled || t.History[i-1].Status == domain.StatusServing) {
				c.Redirected++
			}
			from = nil
		case domain.ActionRecall:
		default:
			from = nil
		}
	}
}

// countWindow fills in where the operator works now and what their window
// could call.
func (o *office) countWindow(c *domain.OperatorCounts, now time.Time) {
	for _, s := range o.sessions {
		w := o.windows[s.WindowID]
		if s.OperatorID != c.OperatorID || s.Status == domain.WindowClosed || w == nil {
			continue
		}
		c.WindowID, c.WindowNumber, c.Status = w.ID, w.Number, s.Status
		if t := o.serving(s); t != nil {
			c.InService, c.TicketID, c.TicketNumber = 1, t.ID, t.Number
		}
		op, today := o.operators[c.OperatorID], o.day(now)
		for _, t := range o.live {
			if _, ok := o.eligible(t, w, op); ok && o.callable(t, today, now) {
				c.Waiting++
			}
		}
		return
	}
}

// GetOfficeHours is when the office and its services work, today first.
func (e *Engine) GetOfficeHours(a domain.Actor, officeID string) (domain.OfficeHours, error) {
	o, err := e.officeAs(a, officeID, permView)
	if err != nil {
		return domain.OfficeHours{}, err
	}
	now := e.cfg.Now()
	local := now.In(o.loc)
	iso := (int(local.Weekday())+6)%7 + 1
	h := domain.OfficeHours{OfficeID: o.info.ID, TimeZone: o.info.TimeZone, Day: o.day(now), Weekday: iso,
		OpenNow: o.openNow(&domain.Service{}, now) == nil, Today: domain.WeekdayOf(o.info.Hours, iso),
		Week: domain.WeekdaysOf(o.info.Hours), Services: []domain.ServiceHours{}}
	for _, s := range o.serviceList() {
		if s.IsGroup || s.Hours == nil {
			continue
		}
		h.Services = append(h.Services, domain.ServiceHours{ServiceID: s.ID, Name: s.Name, OpenNow: o.openNow(&s, now) == nil,
			Today: domain.WeekdayOf(*s.Hours, iso), Week: domain.WeekdaysOf(*s.Hours)})
	}
	return h, nil
}
