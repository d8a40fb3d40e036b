package engine

import (
	"strings"

	"github.com/talonqueue/talon/queue-server/domain"
)

// OpenWindowSession logs the actor's operator in at a window.
func (e *Engine) OpenWindowSession(a domain.Actor, officeID, windowID string, ch *domain.Changes) (domain.WindowState, error) {
	o, err := e.officeAs(a, officeID, permServe)
	if err != nil {
		return domain.WindowState{}, err
	}
	w := o.windows[windowID]
	if w == nil {
		return domain.WindowState{}, domain.Errorf(domain.CodeNotFound, "окно %q не найдено", windowID)
	}
	if o.operators[a.OperatorID] == nil {
		return domain.WindowState{}, domain.Errorf(domain.CodeForbidden, "ваша учётная запись не связана с оператором этого офиса")
	}
	if s := o.sessions[windowID]; s != nil && s.Status != domain.WindowClosed {
		if s.OperatorID == a.OperatorID {
			return o.windowState(windowID), nil
		}
		name := s.OperatorID
		if op := o.operators[s.OperatorID]; op != nil {
			name = op.FullName
		}
		return domain.WindowState{}, domain.Errorf(domain.CodeConflict, "в окне %d уже работает %s", w.Number, name)
	}
	for _, s := range o.sessions {
		if s.OperatorID == a.OperatorID && s.Status != domain.WindowClosed {
			return domain.WindowState{}, domain.Errorf(domain.CodeConflict, "вы уже работаете в окне %d: сначала закройте тот сеанс", o.windows[s.WindowID].Number)
		}
	}
	now := e.cfg.Now()
	s := &domain.WindowSession{OfficeID: officeID, WindowID: windowID, OperatorID: a.OperatorID, Status: domain.WindowOpen, OpenedAt: ptr(now)}
	o.sessions[windowID] = s
	o.sessionEvent(ch, a, s, domain.EventWindowOpened, nil, now)
	return o.windowState(windowID), nil
}

// session returns the window's session if the actor's operator runs it.
func (e *Engine) session(a domain.Actor, officeID, windowID string) (*office, *domain.Window, *domain.WindowSession, error) {
	o, err := e.officeAs(a, officeID, permServe)
	if err != nil {
		return nil, nil, nil, err
	}
	w := o.windows[windowID]
	if w == nil {
		return nil, nil, nil, domain.Errorf(domain.CodeNotFound, "окно %q не найдено", windowID)
	}
	s := o.sessions[windowID]
	if s == nil || s.Status == domain.WindowClosed {
		return nil, nil, nil, domain.Errorf(domain.CodeConflict, "окно %d закрыто", w.Number)
	}
	if s.OperatorID != a.OperatorID {
		return nil, nil, nil, domain.Errorf(domain.CodeForbidden, "в окне %d работает другой оператор", w.Number)
	}
	return o, w, s, nil
}

// busy refuses to leave a window while it serves someone.
func (o *office) busy(w *domain.Window, s *domain.WindowSession) error {
	if t := o.serving(s); t != nil {
		return domain.Errorf(domain.CodeConflict, "в окне %d талон %s: завершите, отложите или перенаправьте его", w.Number, t.Number)
	}
	return nil
}

// CloseWindowSession logs the operator out of the window.
func (e *Engine) CloseWindowSession(a domain.Actor, officeID, windowID string, ch *domain.Changes) (domain.WindowState, error) {
	o, w, s, err := e.session(a, officeID, windowID)
	if err != nil {
		return domain.WindowState{}, err
	}
	if err := o.busy(w, s); err != nil {
		return domain.WindowState{}, err
	}
	now := e.cfg.Now()
	paused := s.PausedAt
	s.Status, s.PausedAt, s.PauseReason, s.CurrentTicketID = domain.WindowClosed, nil, "", ""
	o.sessionEvent(ch, a, s, domain.EventWindowClosed, paused, now)
	return o.windowState(windowID), nil
}

// PauseWindow starts or ends a break.
func (e *Engine) PauseWindow(a domain.Actor, officeID, windowID string, paused bool, reason string, ch *domain.Changes) (domain.WindowState, error) {
	o, w, s, err := e.session(a, officeID, windowID)
	if err != nil {
		return domain.WindowState{}, err
	}
	now := e.cfg.Now()
	switch {
	case paused && s.Status == domain.WindowPaused, !paused && s.Status == domain.WindowOpen:
		return o.windowState(windowID), nil
	case paused:
		if err := o.busy(w, s); err != nil {
			return domain.WindowState{}, err
		}
		if len([]rune(reason)) > 200 {
			return domain.WindowState{}, domain.Errorf(domain.CodeInvalid, "причина перерыва слишком длинная (до 200 символов)")
		}
		s.Status, s.PausedAt, s.PauseReason = domain.WindowPaused, ptr(now), strings.TrimSpace(reason)
		o.sessionEvent(ch, a, s, domain.EventWindowPaused, nil, now)
	default:
		paused := s.PausedAt
		s.Status, s.PausedAt, s.PauseReason = domain.WindowOpen, nil, ""
		o.sessionEvent(ch, a, s, domain.EventWindowResumed, paused, now)
	}
	return o.windowState(windowID), nil
}

// ReportPadState records whether the window's call-button pad answers, as
// the operator's panel sees it. The panel works as the operator logged in
// there, so only the operator whose session is open at the window may
// report, and the state goes with the window when it closes. A report that
// changes nothing emits nothing: panels repeat theirs after a reconnect.
func (e *Engine) ReportPadState(a domain.Actor, officeID, windowID string, st domain.PadState, ch *domain.Changes) (domain.PadState, error) {
	o, _, _, err := e.session(a, officeID, windowID)
	if err != nil {
		return domain.PadState{}, err
	}
	if err := st.Validate(); err != nil {
		return domain.PadState{}, err
	}
	if old, ok := o.pads[windowID]; ok && old.Same(st) {
		return old, nil
	}
	now := e.cfg.Now()
	st.At = now
	o.pads[windowID] = st
	o.emit(ch, a, domain.Event{Type: domain.EventPadState, At: now, WindowID: windowID, Pad: &st})
	return st, nil
}
