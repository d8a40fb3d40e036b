package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// MaxPostpone bounds how long a ticket can be set aside.
const MaxPostpone = 4 * time.Hour

// openNow checks the office's and the service's hours at now.
func (o *office) openNow(s *domain.Service, now time.Time) error {
	local := now.In(o.loc)
	minute := local.Hour()*60 + local.Minute()
	check := func(w domain.Week, what string) error {
		d := w[local.Weekday()]
		if d.Closed() {
			return domain.Errorf(domain.CodeConflict, "%s сегодня не работает", what)
		}
		open, close, err := d.Minutes()
		if err != nil {
			return err
		}
		if minute < open || minute >= close {
			return domain.Errorf(domain.CodeConflict, "%s сегодня работает с %s до %s", what, d.Open, d.Close)
		}
		return nil
	}
	if err := check(o.info.Hours, "Офис"); err != nil {
		return err
	}
	if s.Hours != nil {
		return check(*s.Hours, fmt.Sprintf("Услуга «%s»", s.Name))
	}
	return nil
}

// issuable returns the service if live tickets can be issued for it now.
func (o *office) issuable(serviceID string, now time.Time) (*domain.Service, error) {
	s := o.services[serviceID]
	switch {
	case s == nil:
		return nil, domain.Errorf(domain.CodeNotFound, "услуга %q не найдена", serviceID)
	case s.IsGroup:
		return nil, domain.Errorf(domain.CodeInvalid, "«%s» — раздел меню: выберите услугу в нём", s.Name)
	}
	if err := o.refusal(s, now); err != nil {
		return nil, err
	}
	return s, nil
}

// refusal says why IssueTicket refuses a live ticket for the service now:
// disabled, outside its or the office's hours, or out of tickets for today.
// The kiosk menu shows the same sentence (availability).
func (o *office) refusal(s *domain.Service, now time.Time) error {
	if s.Disabled {
		return domain.Errorf(domain.CodeConflict, "услуга «%s» сейчас не предоставляется", s.Name)
	}
	if err := o.openNow(s, now); err != nil {
		return err
	}
	if s.DailyLimit > 0 && o.liveIssued(s.ID, o.day(now)) >= s.DailyLimit {
		return domain.Errorf(domain.CodeConflict, "талоны на услугу «%s» на сегодня закончились", s.Name)
	}
	return nil
}

// liveIssued counts the live tickets (not check-ins) issued for the service on day.
func (o *office) liveIssued(serviceID, day string) int {
	n := 0
	for t := range o.tickets.on(day, finishedBrief) {
		if t.OriginalServiceID == serviceID && t.AppointmentID == "" {
			n++
		}
	}
	return n
}

// availability is what the kiosk menu says of a service: IssueTicket's
// refusal, and besides it that no window could call the ticket now (no
// session open at a window that serves it and whose operator may; a break
// counts as open, the operator comes back). That last one only disables
// the menu button: IssueTicket still issues, since windows open and close
// minute by minute (operators log in at opening time) and a ticket taken
// then simply waits, while the menu keeps applicants from taking tickets
// nobody is there to call.
func (o *office) availability(s *domain.Service, now time.Time) error {
	if err := o.refusal(s, now); err != nil {
		return err
	}
	for _, w := range o.windows {
		ses := o.sessions[w.ID]
		if ses == nil || ses.Status == domain.WindowClosed {
			continue
		}
		if op := o.operators[ses.OperatorID]; op != nil && o.weight(w, op, s.ID) > 0 {
			return nil
		}
	}
	return domain.Errorf(domain.CodeConflict, "сейчас ни одно окно не принимает по услуге «%s»", s.Name)
}

// newTicket allocates the next number of the prefix for today and records the counter.
func (e *Engine) newTicket(o *office, s *domain.Service, now time.Time, ch *domain.Changes) *domain.Ticket {
	day := o.day(now)
	key := day + "/" + s.Prefix
	o.counters[key]++
	n := o.counters[key]
	ch.Counters = append(ch.Counters, domain.Counter{OfficeID: o.info.ID, Day: day, Prefix: s.Prefix, Last: n})
	t := &domain.Ticket{
		ID: e.cfg.NewID(), OfficeID: o.info.ID, Number: fmt.Sprintf("%s%03d", s.Prefix, n), Day: day,
		ServiceID: s.ID, OriginalServiceID: s.ID, Status: domain.StatusWaiting, CreatedAt: now, QueuedAt: now,
		StatusToken: e.cfg.NewStatusToken(), Purpose: s.Purpose,
	}
	o.putTicket(t)
	return t
}

// IssueTicket gives an applicant a live ticket.
func (e *Engine) IssueTicket(a domain.Actor, officeID string, req domain.IssueRequest, ch *domain.Changes) (domain.Ticket, error) {
	p := permIssue
	if req.PriorityCategoryID != "" {
		p = permIssuePriority
	}
	o, err := e.officeAs(a, officeID, p)
	if err != nil {
		return domain.Ticket{}, err
	}
	now := e.cfg.Now()
	day := o.day(now)
	if req.IdempotencyKey != "" {
		if prev, ok := o.idem.get(day, req.IdempotencyKey); ok {
			if !o.issued(prev, req.ServiceID) {
				return domain.Ticket{}, domain.Errorf(domain.CodeConflict, "ключ повтора запроса уже использован для другой услуги")
			}
			if t := o.tickets.at(prev.ticket); t != nil {
				return issued(a, o.view(t, now)), nil
			}
		}
	}
	s, err := o.issuable(req.ServiceID, now)
	if err != nil {
		return domain.Ticket{}, err
	}
	var cat *domain.PriorityCategory
	doc := strings.TrimSpace(req.PriorityDocument)
	if req.PriorityCategoryID != "" {
		if cat = o.categories[req.PriorityCategoryID]; cat == nil {
			return domain.Ticket{}, domain.Errorf(domain.CodeNotFound, "льготная категория %q не найдена", req.PriorityCategoryID)
		}
		if err := domain.CheckPriorityDocument(doc); err != nil {
			return domain.Ticket{}, err
		}
	} else if doc != "" {
		return domain.Ticket{}, domain.Errorf(domain.CodeInvalid, "проверенный документ указывают только для льготного талона: выберите льготную категорию")
	}
	t := e.newTicket(o, s, now, ch)
	if cat != nil {
		t.PriorityCategoryID, t.PriorityLevel, t.VerifiedBy, t.PriorityDocument = cat.ID, cat.Level, a.Login, doc
	}
	if req.IdempotencyKey != "" {
		o.idem.put(day, req.IdempotencyKey, o.issueEntry(t.ID, s.ID))
		ch.Idempotency = append(ch.Idempotency, domain.IdempotencyKey{OfficeID: officeID, Key: req.IdempotencyKey, Day: day, TicketID: t.ID})
	}
	// The estimate printed on the ticket is stamped on it, for the report
	// of how good estimates are; the place in the queue is counted once.
	v := o.view(t, now)
	t.IssueEstimateSeconds = v.EstimatedWaitSeconds
	o.ticketEvent(ch, a, t, domain.EventTicketIssued, domain.ActionIssue, now)
	return issued(a, o.viewAt(t, v.Position, time.Duration(v.EstimatedWaitSeconds)*time.Second)), nil
}

// Idempotent runs act, a ticket action, once per request key and office
// day: a repeat of the key (a client retrying after a lost answer) gets the
// ticket the first one acted on, as it is now, with no second change. It
// shares the issue's keys and their store. request names the action and its
// target; the same key with another request is refused. An empty key, and
// an action that fails without changing anything, leave nothing to repeat.
func (e *Engine) Idempotent(a domain.Actor, officeID, key, request string, ch *domain.Changes, act func() (domain.Ticket, error)) (domain.Ticket, error) {
	o, err := e.office(officeID)
	if key == "" || err != nil {
		// The action itself refuses an unknown office, in its own words.
		return act()
	}
	now := e.cfg.Now()
	day := o.day(now)
	if prev, ok := o.idem.get(day, key); ok {
		if err := authorize(a, officeID, permView); err != nil {
			return domain.Ticket{}, err
		}
		if !o.is(prev, day, key, request) {
			return domain.Ticket{}, domain.Errorf(domain.CodeConflict, "ключ повтора запроса уже использован для другого действия")
		}
		if t := o.tickets.at(prev.ticket); t != nil {
			v := o.view(t, now)
			if refusal, ok := o.refusals.get(day, key); ok {
				return domain.Ticket{}, &domain.Error{Code: domain.CodeEmpty, Message: refusal, Finished: &v}
			}
			return shown(a, v), nil
		}
	}
	t, err := act()
	var refusal string
	if err != nil {
		// A refusal that changed nothing leaves nothing to repeat; one
		// after a finish is remembered, or the retry of a call-next whose
		// answer was lost would say only that the queue is empty.
		var de *domain.Error
		if !errors.As(err, &de) || de.Finished == nil {
			return t, err
		}
		t, refusal = *de.Finished, de.Message
	}
	o.putAction(day, key, t.ID, request)
	if refusal != "" {
		o.refusals.put(day, key, refusal)
	}
	ch.Idempotency = append(ch.Idempotency, domain.IdempotencyKey{OfficeID: officeID, Key: key, Day: day, TicketID: t.ID, Request: request, Refusal: refusal})
	if err != nil {
		return domain.Ticket{}, err
	}
	return t, nil
}

// issued is a new ticket as the terminal that issued it sees it: what it
// may see (shown) and the status token, which it prints as the QR.
func issued(a domain.Actor, t domain.Ticket) domain.Ticket {
	v := shown(a, t)
	v.StatusToken = t.StatusToken
	return v
}

// GetTicketStatus is the public status page's view of a ticket. Nobody is
// logged in: the token is the key. Tickets of days forgotten from memory
// (see forgetBefore) are not found.
func (e *Engine) GetTicketStatus(token string) (domain.TicketStatus, error) {
	for _, o := range e.offices {
		if t := o.tickets.byStatusToken(token); t != nil {
			return o.status(t, e.cfg.Now()), nil
		}
	}
	return domain.TicketStatus{}, domain.Errorf(domain.CodeNotFound, "талон не найден: ссылка устарела или набрана с ошибкой")
}

func (o *office) status(t *domain.Ticket, now time.Time) domain.TicketStatus {
	v := o.view(t, now)
	st := domain.TicketStatus{Number: t.Number, Service: o.serviceName(t.ServiceID), Office: o.info.Name, Status: t.Status, At: now,
		Position: v.Position, EstimatedWaitSeconds: v.EstimatedWaitSeconds}
	if t.Status == domain.StatusCalled || t.Status == domain.StatusServing {
		st.WindowNumber = t.WindowNumber
		if w := o.windows[t.WindowID]; w != nil {
			st.Window = w.Name
		}
	}
	return st
}

// GetTicket returns a ticket of the recent days; older ones come from the store.
func (e *Engine) GetTicket(a domain.Actor, officeID, ticketID string) (domain.Ticket, error) {
	o, err := e.officeAs(a, officeID, permView)
	if err != nil {
		return domain.Ticket{}, err
	}
	t := o.tickets.get(ticketID)
	if t == nil {
		return domain.Ticket{}, domain.Errorf(domain.CodeNotFound, "талон %q не найден", ticketID)
	}
	return shown(a, o.view(t, e.cfg.Now())), nil
}

// ticketFor finds a ticket for an action and checks the actor may take it:
// the actor needs one of perms, and an operator acts only on the ticket at
// their own window.
func (e *Engine) ticketFor(a domain.Actor, officeID, ticketID string, act domain.Action, perms ...perm) (*office, *domain.Ticket, error) {
	var err error
	for _, p := range perms {
		if err = authorize(a, officeID, p); err == nil {
			break
		}
	}
	if err != nil {
		return nil, nil, err
	}
	o, err := e.office(officeID)
	if err != nil {
		return nil, nil, err
	}
	t := o.tickets.get(ticketID)
	if t == nil {
		return nil, nil, domain.Errorf(domain.CodeNotFound, "талон %q не найден", ticketID)
	}
	if err := domain.CheckTransition(*t, act); err != nil {
		return nil, nil, err
	}
	if a.Role == domain.RoleOperator {
		s := o.sessions[t.WindowID]
		if s == nil || s.CurrentTicketID != t.ID || s.OperatorID != a.OperatorID {
			return nil, nil, domain.Errorf(domain.CodeForbidden, "талон %s вызван не в ваше окно", t.Number)
		}
	}
	return o, t, nil
}

// release frees the window a ticket was at.
func (o *office) release(t *domain.Ticket, ch *domain.Changes) {
	if s := o.sessions[t.WindowID]; s != nil && s.CurrentTicketID == t.ID {
		s.CurrentTicketID = ""
		ch.Sessions = append(ch.Sessions, *s)
	}
}

// CancelTicket withdraws a ticket that is not being served.
func (e *Engine) CancelTicket(a domain.Actor, officeID, ticketID string, ch *domain.Changes) (domain.Ticket, error) {
	o, t, err := e.ticketFor(a, officeID, ticketID, domain.ActionCancel, permMove)
	if err != nil {
		return domain.Ticket{}, err
	}
	now := e.cfg.Now()
	o.release(t, ch)
	t.Status, t.FinishedAt, t.PostponedUntil = domain.StatusCancelled, ptr(now), nil
	o.ticketEvent(ch, a, t, domain.EventTicketCancelled, domain.ActionCancel, now)
	return o.view(t, now), nil
}

// windowAtWork returns the window, its session and operator if the actor
// works there now.
func (e *Engine) windowAtWork(a domain.Actor, officeID, windowID string) (*office, *domain.Window, *domain.WindowSession, *domain.Operator, error) {
	o, err := e.officeAs(a, officeID, permServe)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	w := o.windows[windowID]
	if w == nil {
		return nil, nil, nil, nil, domain.Errorf(domain.CodeNotFound, "окно %q не найдено", windowID)
	}
	s := o.sessions[windowID]
	if s == nil || s.Status == domain.WindowClosed || s.OperatorID != a.OperatorID {
		return nil, nil, nil, nil, domain.Errorf(domain.CodeConflict, "сначала откройте сеанс в окне %d", w.Number)
	}
	if s.Status == domain.WindowPaused {
		return nil, nil, nil, nil, domain.Errorf(domain.CodeConflict, "окно %d на перерыве: завершите перерыв, чтобы вызывать", w.Number)
	}
	op := o.operators[s.OperatorID]
	if op == nil {
		return nil, nil, nil, nil, domain.Errorf(domain.CodeConflict, "оператор окна %d удалён из справочника", w.Number)
	}
	return o, w, s, op, nil
}

// freeWindow makes sure the window serves nobody before a call: a busy
// window refuses, unless finishCurrent asks to finish what it serves. It
// returns the ticket it finished, if any.
func (e *Engine) freeWindow(a domain.Actor, o *office, w *domain.Window, s *domain.WindowSession, finishCurrent bool, now time.Time, ch *domain.Changes) (*domain.Ticket, error) {
	if !finishCurrent {
		return nil, o.busy(w, s)
	}
	cur := o.serving(s)
	if cur == nil {
		return nil, nil
	}
	if err := domain.CheckTransition(*cur, domain.ActionFinish); err != nil {
		return nil, err
	}
	e.finish(a, o, cur, now, ch)
	return cur, nil
}

// CallNext calls the ticket routing picks for the window. With nobody
// waiting it answers CodeEmpty; finishCurrent still finishes the window's
// ticket first, since the operator is done with it either way, and the
// error carries that ticket in Finished.
func (e *Engine) CallNext(a domain.Actor, officeID, windowID string, finishCurrent bool, ch *domain.Changes) (domain.Ticket, error) {
	return e.callNext(a, officeID, windowID, domain.PoolAll, finishCurrent, ch)
}

// callNext is CallNext narrowed to a pool of the queue.
func (e *Engine) callNext(a domain.Actor, officeID, windowID string, pool domain.Pool, finishCurrent bool, ch *domain.Changes) (domain.Ticket, error) {
	if err := pool.Check(); err != nil {
		return domain.Ticket{}, err
	}
	o, w, s, op, err := e.windowAtWork(a, officeID, windowID)
	if err != nil {
		return domain.Ticket{}, err
	}
	now := e.cfg.Now()
	// Routing looks before the finish: a ticket redirected with return goes
	// back to its own window, not to this one's next call.
	t := o.next(w, op, pool, now)
	done, err := e.freeWindow(a, o, w, s, finishCurrent, now, ch)
	if err != nil {
		return domain.Ticket{}, err
	}
	if t == nil {
		empty := emptyQueue(w, pool)
		if done != nil {
			v := o.view(done, now)
			empty.Message = fmt.Sprintf("талон %s завершён, %s", done.Number, empty.Message)
			empty.Finished = &v
		}
		return domain.Ticket{}, empty
	}
	e.call(a, o, w, s, t, now, ch)
	return o.view(t, now), nil
}

// emptyQueue is call-next's refusal when nobody waits for the window.
func emptyQueue(w *domain.Window, pool domain.Pool) *domain.Error {
	if pool != domain.PoolAll {
		return domain.Errorf(domain.CodeEmpty, "среди %s нет талонов для окна %d", poolRu[pool], w.Number)
	}
	return domain.Errorf(domain.CodeEmpty, "в очереди нет талонов для окна %d", w.Number)
}

// EmptyCall answers, without changing anything, a call-next (through
// Idempotent with key) that would find nobody and change nothing: it
// returns the very refusal the call would give, or nil when the call would
// do anything else (call a ticket, finish the window's ticket, replay a
// key's first answer, refuse for another reason; a refusal of access is
// journaled, so it is the writer's). The queue answers the empty calls of
// idle windows with it under the read lock instead of queueing them behind
// the writer's fsync.
func (e *Engine) EmptyCall(a domain.Actor, officeID, windowID string, pool domain.Pool, key string) error {
	if pool.Check() != nil {
		return nil
	}
	o, w, s, op, err := e.windowAtWork(a, officeID, windowID)
	if err != nil {
		return nil
	}
	now := e.cfg.Now()
	if _, replay := o.idem.get(o.day(now), key); key != "" && replay {
		return nil
	}
	// A busy window refuses without finish_current and is finished with it:
	// only a free window gives the empty answer whether or not it is asked
	// to finish, and leaves the state as it is.
	if o.serving(s) != nil {
		return nil
	}
	if o.next(w, op, pool, now) != nil {
		return nil
	}
	return emptyQueue(w, pool)
}

// CallTicket calls a given ticket out of order.
func (e *Engine) CallTicket(a domain.Actor, officeID, windowID string, req domain.CallRequest, ch *domain.Changes) (domain.Ticket, error) {
	if req.Ticket == "" {
		return e.callNext(a, officeID, windowID, req.Pool, req.FinishCurrent, ch)
	}
	if req.Pool != domain.PoolAll {
		return domain.Ticket{}, domain.Errorf(domain.CodeInvalid, "очередь (pool) указывают только для вызова следующего, без номера талона")
	}
	o, w, s, _, err := e.windowAtWork(a, officeID, windowID)
	if err != nil {
		return domain.Ticket{}, err
	}
	now := e.cfg.Now()
	t := o.findTicket(req.Ticket, o.day(now))
	if t == nil {
		return domain.Ticket{}, domain.Errorf(domain.CodeNotFound, "талон %s не найден среди сегодняшних", req.Ticket)
	}
	if t.ID == s.CurrentTicketID {
		return domain.Ticket{}, domain.Errorf(domain.CodeConflict, "талон %s уже вызван в это окно: используйте повторный вызов", t.Number)
	}
	if err := domain.CheckTransition(*t, domain.ActionCall); err != nil {
		return domain.Ticket{}, err
	}
	if _, err := e.freeWindow(a, o, w, s, req.FinishCurrent, now, ch); err != nil {
		return domain.Ticket{}, err
	}
	e.call(a, o, w, s, t, now, ch)
	return o.view(t, now), nil
}

func (e *Engine) call(a domain.Actor, o *office, w *domain.Window, s *domain.WindowSession, t *domain.Ticket, now time.Time, ch *domain.Changes) {
	if t.CalledAt == nil {
		from := t.CreatedAt
		if t.AppointmentAt != nil && t.AppointmentAt.After(from) {
			from = *t.AppointmentAt
		}
		if wait := now.Sub(from); wait > 0 {
			t.WaitSeconds = int(wait / time.Second)
		}
		t.FirstCalledAt, t.WaitNormSeconds = ptr(now), int(o.norm(t)/time.Second)
	}
	t.Status, t.CalledAt, t.PostponedUntil = domain.StatusCalled, ptr(now), nil
	t.WindowID, t.WindowNumber, t.OperatorID = w.ID, w.Number, s.OperatorID
	t.TargetWindowID, t.TargetOperatorID, t.Recalls = "", "", 0
	s.CurrentTicketID = t.ID
	ch.Sessions = append(ch.Sessions, *s)
	o.ticketEvent(ch, a, t, domain.EventTicketCalled, domain.ActionCall, now)
}

// RecallTicket repeats the call on the board and by voice.
func (e *Engine) RecallTicket(a domain.Actor, officeID, ticketID string, ch *domain.Changes) (domain.Ticket, error) {
	o, t, err := e.ticketFor(a, officeID, ticketID, domain.ActionRecall, permServe)
	if err != nil {
		return domain.Ticket{}, err
	}
	now := e.cfg.Now()
	t.Recalls++
	o.ticketEvent(ch, a, t, domain.EventTicketRecalled, domain.ActionRecall, now)
	return o.view(t, now), nil
}

// StartService records that the applicant came to the window.
func (e *Engine) StartService(a domain.Actor, officeID, ticketID string, ch *domain.Changes) (domain.Ticket, error) {
	o, t, err := e.ticketFor(a, officeID, ticketID, domain.ActionStart, permServe)
	if err != nil {
		return domain.Ticket{}, err
	}
	now := e.cfg.Now()
	t.Status, t.ServiceStartedAt = domain.StatusServing, ptr(now)
	o.ticketEvent(ch, a, t, domain.EventTicketStarted, domain.ActionStart, now)
	return o.view(t, now), nil
}

// FinishTicket ends the service; a ticket redirected with return goes back
// to where it came from instead of ending.
func (e *Engine) FinishTicket(a domain.Actor, officeID, ticketID string, ch *domain.Changes) (domain.Ticket, error) {
	o, t, err := e.ticketFor(a, officeID, ticketID, domain.ActionFinish, permServe)
	if err != nil {
		return domain.Ticket{}, err
	}
	now := e.cfg.Now()
	e.finish(a, o, t, now, ch)
	return o.view(t, now), nil
}

// finish records the service time of the service given here, from the call
// (see office.serviceTimes), also for a ticket that goes back to its origin:
// servedSpans rebuilds it on load from the finish step, which both outcomes
// write.
func (e *Engine) finish(a domain.Actor, o *office, t *domain.Ticket, now time.Time, ch *domain.Changes) {
	if t.ServiceStartedAt == nil {
		// Finished straight after the call: the service ran from the call.
		t.ServiceStartedAt = t.CalledAt
	}
	// The estimate counts the walk to the window too; the reports' service
	// time runs from the start of service.
	o.recordServiceTime(t.ServiceID, now.Sub(*t.CalledAt))
	t.ServiceSeconds = max(int(now.Sub(*t.ServiceStartedAt)/time.Second), 0)
	o.release(t, ch)
	if r := t.ReturnTo; r != nil {
		t.Status, t.ServiceID, t.QueuedAt, t.Redirected = domain.StatusWaiting, r.ServiceID, now, true
		t.TargetWindowID, t.TargetOperatorID, t.ReturnTo = r.WindowID, r.OperatorID, nil
		t.ServiceStartedAt = nil
		o.ticketEvent(ch, a, t, domain.EventTicketReturnedToOrigin, domain.ActionFinish, now)
		e.requestRating(a, o, t, now, ch)
		return
	}
	t.Status, t.FinishedAt = domain.StatusDone, ptr(now)
	o.ticketEvent(ch, a, t, domain.EventTicketFinished, domain.ActionFinish, now)
	e.requestRating(a, o, t, now, ch)
}

// PostponeTicket sets a ticket aside; it returns to its queue when d is up.
func (e *Engine) PostponeTicket(a domain.Actor, officeID, ticketID string, d time.Duration, ch *domain.Changes) (domain.Ticket, error) {
	if d < time.Minute || d > MaxPostpone {
		return domain.Ticket{}, domain.Errorf(domain.CodeInvalid, "отложить можно на срок от 1 минуты до %d часов", int(MaxPostpone/time.Hour))
	}
	o, t, err := e.ticketFor(a, officeID, ticketID, domain.ActionPostpone, permServe)
	if err != nil {
		return domain.Ticket{}, err
	}
	now := e.cfg.Now()
	o.release(t, ch)
	t.Status, t.PostponedUntil, t.Postponed, t.QueuedAt = domain.StatusPostponed, ptr(now.Add(d)), true, now
	t.ServiceStartedAt = nil
	// It comes back to the window that set it aside while that window works.
	t.TargetWindowID = t.WindowID
	o.ticketEvent(ch, a, t, domain.EventTicketPostponed, domain.ActionPostpone, now)
	return o.view(t, now), nil
}

// RedirectTicket sends a ticket to another service, window or operator,
// optionally to come back here afterwards.
func (e *Engine) RedirectTicket(a domain.Actor, officeID, ticketID string, r domain.Redirect, ch *domain.Changes) (domain.Ticket, error) {
	o, t, err := e.ticketFor(a, officeID, ticketID, domain.ActionRedirect, permServe, permMove)
	if err != nil {
		return domain.Ticket{}, err
	}
	if r.OperatorCaseSystemID != "" {
		op, err := o.byCaseSystemID(r.OperatorCaseSystemID)
		if err != nil {
			return domain.Ticket{}, err
		}
		if r.OperatorID != "" && r.OperatorID != op.ID {
			return domain.Ticket{}, domain.Errorf(domain.CodeInvalid, "operator_id %q и operator_case_system_id %q называют разных операторов", r.OperatorID, r.OperatorCaseSystemID)
		}
		r.OperatorID, r.OperatorCaseSystemID = op.ID, ""
	}
	if r.ServiceID == "" && r.WindowID == "" && r.OperatorID == "" {
		return domain.Ticket{}, domain.Errorf(domain.CodeInvalid, "укажите, куда перенаправить: услугу, окно или оператора")
	}
	if r.ServiceID != "" {
		if err := o.checkServices([]string{r.ServiceID}); err != nil {
			return domain.Ticket{}, err
		}
	}
	if r.WindowID != "" && o.windows[r.WindowID] == nil {
		return domain.Ticket{}, domain.Errorf(domain.CodeNotFound, "окно %q не найдено", r.WindowID)
	}
	if r.WindowID != "" && r.WindowID == t.WindowID && r.ServiceID == "" {
		return domain.Ticket{}, domain.Errorf(domain.CodeInvalid, "талон уже в этом окне")
	}
	if r.OperatorID != "" && o.operators[r.OperatorID] == nil {
		return domain.Ticket{}, domain.Errorf(domain.CodeNotFound, "оператор %q не найден", r.OperatorID)
	}
	now := e.cfg.Now()
	if r.Return {
		t.ReturnTo = &domain.ReturnPoint{ServiceID: t.ServiceID, WindowID: t.WindowID, OperatorID: t.OperatorID}
	}
	o.release(t, ch)
	if r.ServiceID != "" {
		t.ServiceID = r.ServiceID
	}
	t.Status, t.QueuedAt, t.Redirected, t.ServiceStartedAt = domain.StatusWaiting, now, true, nil
	t.TargetWindowID, t.TargetOperatorID = r.WindowID, r.OperatorID
	o.ticketEvent(ch, a, t, domain.EventTicketRedirected, domain.ActionRedirect, now)
	return o.view(t, now), nil
}

// MarkNoShow records that the called applicant did not come.
func (e *Engine) MarkNoShow(a domain.Actor, officeID, ticketID string, ch *domain.Changes) (domain.Ticket, error) {
	o, t, err := e.ticketFor(a, officeID, ticketID, domain.ActionNoShow, permServe)
	if err != nil {
		return domain.Ticket{}, err
	}
	now := e.cfg.Now()
	o.release(t, ch)
	t.Status, t.FinishedAt = domain.StatusNoShow, ptr(now)
	o.ticketEvent(ch, a, t, domain.EventTicketNoShow, domain.ActionNoShow, now)
	return o.view(t, now), nil
}

// AttachCaseNumber records a case number on a ticket. An operator attaches
// it to the ticket at their own window; whoever has permCaseAttach (a hall
// administrator, an administrator, a case system) to any ticket of the
// office in memory, finished ones of the recent days included.
func (e *Engine) AttachCaseNumber(a domain.Actor, officeID, ticketID, caseNumber string, ch *domain.Changes) (domain.Ticket, error) {
	caseNumber = strings.TrimSpace(caseNumber)
	if err := domain.CheckCaseNumber(caseNumber); err != nil {
		return domain.Ticket{}, err
	}
	var err error
	for _, p := range []perm{permServe, permCaseAttach} {
		if err = authorize(a, officeID, p); err == nil {
			break
		}
	}
	if err != nil {
		return domain.Ticket{}, err
	}
	o, err := e.office(officeID)
	if err != nil {
		return domain.Ticket{}, err
	}
	t := o.tickets.get(ticketID)
	if t == nil {
		return domain.Ticket{}, domain.Errorf(domain.CodeNotFound, "талон %q не найден", ticketID)
	}
	if a.Role == domain.RoleOperator {
		s := o.sessions[t.WindowID]
		if s == nil || s.CurrentTicketID != t.ID || s.OperatorID != a.OperatorID {
			return domain.Ticket{}, domain.Errorf(domain.CodeForbidden, "талон %s вызван не в ваше окно", t.Number)
		}
	}
	now := e.cfg.Now()
	t.CaseNumber = caseNumber
	ch.Tickets = append(ch.Tickets, *t)
	o.tickets.put(t) // a finished ticket is a copy
	snap := *t
	snap.History = nil
	o.emit(ch, a, domain.Event{Type: domain.EventTicketCaseAttached, At: now, WindowID: t.WindowID, OperatorID: t.OperatorID, TicketID: t.ID, ServiceID: t.ServiceID, Ticket: &snap})
	return o.view(t, now), nil
}
