package queue

import (
	"context"
	"fmt"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
)

func (s *Service) CurrentRatingForm(ctx context.Context, officeID string) (domain.RatingForm, error) {
	return read(s, func(e *engine.Engine) (domain.RatingForm, error) { return e.CurrentRatingForm(actor(ctx), officeID) })
}

// SubmitRating is journaled like every write: who, which ticket, the
// outcome; never the answers or the phone. A ticket named by its status
// token (a scanned QR) is journaled by its id: the token is the key to
// its public page.
func (s *Service) SubmitRating(ctx context.Context, officeID string, r domain.NewRating) (domain.Rating, error) {
	en := &entry{action: "submitRating", officeID: officeID}
	return write(ctx, s, en, func(e *engine.Engine, ch *domain.Changes) (domain.Rating, error) {
		en.ticketID = e.RatedTicketID(officeID, r.TicketID)
		return e.SubmitRating(actor(ctx), officeID, r, ch)
	})
}

func (s *Service) PendingRating(ctx context.Context, officeID string, q domain.PendingQuery) (domain.RatingRequest, error) {
	return read(s, func(e *engine.Engine) (domain.RatingRequest, error) { return e.PendingRating(actor(ctx), officeID, q) })
}

// GetRatingSummary reads the period's ratings and tickets from the store,
// outside the writer: no rollups exist yet, so a long period of a large
// office costs a scan of its tickets (see store.Tickets).
func (s *Service) GetRatingSummary(ctx context.Context, officeID string, q domain.RatingQuery) (domain.RatingSummary, error) {
	type days struct{ from, to string }
	d, err := read(s, func(e *engine.Engine) (days, error) {
		from, to, err := e.RatingPeriod(actor(ctx), officeID, &q)
		return days{from, to}, err
	})
	if err != nil {
		return domain.RatingSummary{}, err
	}
	ratings, err := s.store.Ratings(ctx, officeID, d.from, d.to)
	if err != nil {
		return domain.RatingSummary{}, err
	}
	tickets, err := s.store.Tickets(ctx, officeID, d.from, d.to)
	if err != nil {
		return domain.RatingSummary{}, err
	}
	return read(s, func(e *engine.Engine) (domain.RatingSummary, error) {
		return e.SummarizeRatings(officeID, q, ratings, tickets), nil
	})
}

// PurgeRatingPhones removes the phones left with ratings more than the
// personal-data retention time ago (Options.PersonalDataRetention, as for
// bookings); the hourly purge of the tick runs it.
func (s *Service) PurgeRatingPhones(ctx context.Context) (int, error) {
	before := s.opts.Now().Add(-s.opts.PersonalDataRetention)
	due, err := read(s, func(e *engine.Engine) (int, error) { return e.RatingPhonesDue(before), nil })
	if err != nil || due == 0 {
		return 0, err
	}
	en := &entry{action: "purgeRatingPhones", region: true}
	n, err := write(domain.WithActor(ctx, domain.System), s, en, func(e *engine.Engine, ch *domain.Changes) (int, error) {
		n := e.PurgeRatingPhones(before, ch)
		en.object = fmt.Sprintf("rating_phones/%d", n)
		return n, nil
	})
	if err == nil && n > 0 {
		s.log.Info("rating phones purged", "ratings", n)
	}
	return n, err
}
