package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// migrateRatings adds the ratings and the rating forms, and stores the
// МКГУ form in use when ratings came (schema 4). Later forms arrive as data
// with their version; no code knows their ids.
func migrateRatings(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketRatings, bucketRatingDay, bucketRatingPhone, bucketRatingForms} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	f := mkguForm004()
	if err := f.Validate(); err != nil {
		return fmt.Errorf("seed rating form: %w", err)
	}
	return put(tx, f, bucketRatingForms, f.ID, f.Version)
}

// mkguForm004 is the МКГУ form 0.0.4 as published: indicators 9–13 and
// values 41–65, five per indicator, scores 1 (fully dissatisfied) to 5.
func mkguForm004() domain.RatingForm {
	names := []string{
		"Время предоставления услуги",
		"Время ожидания в очереди",
		"Вежливость и компетентность сотрудника",
		"Комфортность условий в помещении",
		"Доступность информации о порядке предоставления услуги",
	}
	labels := []string{"Очень плохо", "Плохо", "Нормально", "Хорошо", "Отлично"}
	f := domain.RatingForm{ID: "mkgu", Version: "0.0.4", Current: true}
	for i, name := range names {
		in := domain.RatingIndicator{ID: fmt.Sprint(9 + i), Name: name}
		for s, label := range labels {
			in.Values = append(in.Values, domain.RatingValue{ID: fmt.Sprint(41 + 5*i + s), Score: s + 1, Label: label})
		}
		f.Indicators = append(f.Indicators, in)
	}
	return f
}

// Ratings returns the ratings of an office on the days fromDay to toDay.
func (s *Store) Ratings(ctx context.Context, officeID, fromDay, toDay string) ([]domain.RatingRecord, error) {
	out, err := daysOf[domain.RatingRecord](ctx, s, bucketRatings, officeID, fromDay, toDay)
	return out, wrap("ratings", err)
}

// Tickets returns the tickets of an office issued on the days fromDay to
// toDay. Every one is decoded: a month of a large office is 45,000 tickets,
// about 1.4 s on a 2-core machine (BenchmarkRatingSummaryRead); statistics
// rollups would make the summary cheap.
func (s *Store) Tickets(ctx context.Context, officeID, fromDay, toDay string) ([]domain.Ticket, error) {
	out, err := daysOf[domain.Ticket](ctx, s, bucketTickets, officeID, fromDay, toDay)
	return out, wrap("tickets", err)
}

// daysOf decodes the records of an office in the flat day-keyed bucket
// root for the days fromDay to toDay.
func daysOf[T any](ctx context.Context, s *Store, root []byte, officeID, fromDay, toDay string) ([]T, error) {
	var out []T
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(root)
		if b == nil {
			return nil
		}
		err := eachDay(ctx, b, officeID, fromDay, func(day, id, v []byte) error {
			if string(day) > toDay {
				return errStopDays
			}
			x, err := decode[T](v)
			if err != nil {
				return fmt.Errorf("%s/%s/%s/%s: %w", root, officeID, day, id, err)
			}
			out = append(out, x)
			return nil
		})
		if errors.Is(err, errStopDays) {
			return nil
		}
		return err
	})
	return out, err
}
