package queue

import (
	"context"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
)

// GetStats reads the report from the store's rollups outside the writer;
// the engine only authorizes it and names its rows.
func (s *Service) GetStats(ctx context.Context, q domain.StatsQuery) (domain.StatsReport, error) {
	q, err := read(s, func(e *engine.Engine) (domain.StatsQuery, error) {
		err := e.StatsScope(actor(ctx), &q)
		return q, err
	})
	if err != nil {
		return domain.StatsReport{}, err
	}
	r, err := s.store.Stats(ctx, q)
	if err != nil {
		return domain.StatsReport{}, err
	}
	return read(s, func(e *engine.Engine) (domain.StatsReport, error) {
		e.LabelStats(&r)
		return r, nil
	})
}
