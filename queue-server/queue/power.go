package queue

import (
	"context"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
)

// powerActions name the journal's record of each power state, in the
// region's chain: the power is the whole server's.
var powerActions = map[domain.PowerStatus]string{
	domain.PowerOnline:     "powerOnline",
	domain.PowerOnBattery:  "powerOnBattery",
	domain.PowerLowBattery: "powerLowBattery",
	domain.PowerUnknown:    "powerUnknown",
}

// SetPower records the server's power as its UPS reports it: every office
// is told and the journal keeps it. The context's actor must be the system.
func (s *Service) SetPower(ctx context.Context, p domain.PowerState) error {
	en := &entry{action: powerActions[p.Status], object: "ups/" + p.UPS}
	_, err := write(ctx, s, en, func(e *engine.Engine, ch *domain.Changes) (bool, error) {
		return e.SetPower(actor(ctx), p, ch)
	})
	return err
}
