package queue

import (
	"context"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
	"github.com/talonqueue/talon/queue-server/integrations/mdm"
)

// mdmPage is how many events one read of the log takes.
const mdmPage = 1000

// GetMDMFeed maps the events of q's period to МДМ objects, reading the log
// outside the writer from where its time index puts the period's start,
// so a day of a year-old office costs that day's events, not the year's.
// The log is in sequence order and its clock may have stepped back: the
// read goes on an hour (the index's step) past the period's end.
func (s *Service) GetMDMFeed(ctx context.Context, officeID string, q domain.MDMQuery) ([]domain.MDMObject, error) {
	src, err := read(s, func(e *engine.Engine) (engine.MDMSource, error) { return e.MDMFeed(actor(ctx), officeID, &q) })
	if err != nil {
		return nil, err
	}
	after, err := s.store.EventsFrom(ctx, officeID, q.From)
	if err != nil {
		return nil, err
	}
	after = max(after, q.After)
	out := []domain.MDMObject{}
	for len(out) < q.Limit {
		events, err := s.store.Events(ctx, officeID, after, mdmPage)
		if err != nil {
			return nil, err
		}
		for _, ev := range events {
			if !ev.At.Before(q.To.Add(time.Hour)) || len(out) >= q.Limit {
				return out, nil
			}
			after = ev.Seq
			if ev.At.Before(q.From) || !ev.At.Before(q.To) {
				continue
			}
			out = append(out, mdm.Objects(src.Office, src.Zone, src.Service, ev)...)
		}
		if len(events) < mdmPage {
			break
		}
	}
	return out, nil
}
