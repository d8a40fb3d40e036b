package engine

import (
	"slices"

	"github.com/talonqueue/talon/queue-server/domain"
)

// SetPower records the server's power as its UPS reports it and tells
// every office, so that panels, boards and the office page show it. Only
// the server itself reports it. A state that says nothing new emits nothing.
func (e *Engine) SetPower(a domain.Actor, p domain.PowerState, ch *domain.Changes) (changed bool, err error) {
	if a != domain.System {
		return false, domain.Errorf(domain.CodeForbidden, "о питании сервера сообщает только сам сервер")
	}
	if e.power != nil && e.power.Same(p) {
		return false, nil
	}
	p.At = e.cfg.Now()
	e.power = &p
	ids := make([]string, 0, len(e.offices))
	for id := range e.offices {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		ev := p
		e.offices[id].emit(ch, a, domain.Event{Type: domain.EventPowerState, At: p.At, Power: &ev})
	}
	return true, nil
}

// powerState is a copy of the server's power for a snapshot; nil when no
// UPS is watched.
func (e *Engine) powerState() *domain.PowerState {
	if e.power == nil {
		return nil
	}
	p := *e.power
	return &p
}
