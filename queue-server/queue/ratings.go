package queue

import (
	"context"
	"fmt"
	"time"

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
		rt, err := e.SubmitRating(actor(ctx), officeID, r, ch)
		if err == nil {
			s.export(e, ch.Ratings[len(ch.Ratings)-1], ch, en)
		}
		return rt, err
	})
}

// export adds a stored rating's messages to its commit. A rating the export
// cannot describe (an office without its МКГУ vendor id or ОКАТО, a service
// without its ФРГУ ids) is stored all the same and not exported: the
// applicant's answer must not depend on the region's settings. The reason is
// logged and journaled as the failed exportRating of that rating, so the
// office's administrator sees what to fill in.
func (s *Service) export(e *engine.Engine, rec domain.RatingRecord, ch *domain.Changes, en *entry) {
	if s.opts.Export == nil {
		return
	}
	msgs, err := s.exportMessages(e, rec)
	if err != nil {
		s.log.Warn("rating stored but not exported", "office", rec.Rating.OfficeID, "rating", rec.Rating.ID, "err", err)
		en.also = &entry{action: "exportRating", officeID: rec.Rating.OfficeID, ticketID: rec.Rating.TicketID, object: "rating/" + rec.Rating.ID, outcome: err}
		return
	}
	ch.Outbox = append(ch.Outbox, msgs...)
}

func (s *Service) exportMessages(e *engine.Engine, rec domain.RatingRecord) ([]domain.OutboxMessage, error) {
	o, err := e.GetOffice(domain.System, rec.Rating.OfficeID)
	if err != nil || o.Sandbox {
		return nil, err
	}
	services, err := e.ListServices(domain.System, rec.Rating.OfficeID)
	if err != nil {
		return nil, err
	}
	for _, svc := range services {
		if svc.ID == rec.Rating.ServiceID {
			return s.opts.Export(rec, o, svc)
		}
	}
	return nil, domain.Errorf(domain.CodeNotFound, "услуги %q, оказанной по оценке, больше нет в офисе %s", rec.Rating.ServiceID, o.Name)
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
	return s.purgeDue(ctx, "purgeRatingPhones", "rating_phones", (*engine.Engine).RatingPhonesDue, (*engine.Engine).PurgeRatingPhones)
}

// purgeDue removes the personal data a kind of record keeps longer than the
// retention time: it counts what is due without the writer, and only when
// there is some takes the writer to remove it and journal how many. kind
// names the records in the journal and the log.
func (s *Service) purgeDue(ctx context.Context, action, kind string, due func(*engine.Engine, time.Time) int, purge func(*engine.Engine, time.Time, *domain.Changes) int) (int, error) {
	before := s.opts.Now().Add(-s.opts.PersonalDataRetention)
	n, err := read(s, func(e *engine.Engine) (int, error) { return due(e, before), nil })
	if err != nil || n == 0 {
		return 0, err
	}
	en := &entry{action: action, region: true}
	n, err = write(domain.WithActor(ctx, domain.System), s, en, func(e *engine.Engine, ch *domain.Changes) (int, error) {
		n := purge(e, before, ch)
		en.object = fmt.Sprintf("%s/%d", kind, n)
		return n, nil
	})
	if err == nil && n > 0 {
		s.log.Info("personal data purged", "records", kind, "count", n)
	}
	return n, err
}

// PurgeRatingPhone removes the phone of one rating once the МКГУ survey has
// received it, so the full number does not outlive its delivery; a rating
// without a phone (already purged) leaves no journal record.
func (s *Service) PurgeRatingPhone(ctx context.Context, officeID, ratingID string) error {
	has, err := read(s, func(e *engine.Engine) (bool, error) { return e.HasRatingPhone(officeID, ratingID), nil })
	if err != nil || !has {
		return err
	}
	en := &entry{action: "purgeRatingPhone", officeID: officeID, object: "rating/" + ratingID}
	_, err = write(domain.WithActor(ctx, domain.System), s, en, func(e *engine.Engine, ch *domain.Changes) (bool, error) {
		return e.PurgeRatingPhone(officeID, ratingID, ch), nil
	})
	return err
}
