package store

import (
	"context"
	"fmt"
	"sort"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// The case-number index finds the tickets of any day that carry a case
// number of the case-management system:
//
//	ticket_case/<office>/<case number> NUL <ticket id> -> day
//
// A case number has no control characters (domain.CheckCaseNumber), so NUL
// ends it. A ticket whose number was changed leaves its old key behind;
// TicketsByCase checks each ticket's current number, so a stale key finds
// nothing.
var bucketTicketCase = []byte("ticket_case")

func caseKey(caseNumber, ticketID string) []byte {
	return []byte(caseNumber + "\x00" + ticketID)
}

// indexCases notes the tickets that carry a case number.
func indexCases(tx *bolt.Tx, tickets []domain.Ticket) error {
	if tx.Bucket(bucketTicketCase) == nil {
		// A file at a schema before the index, which only migration tests
		// write; the migration builds the index from every ticket.
		return nil
	}
	for _, t := range tickets {
		if t.CaseNumber == "" {
			continue
		}
		b, err := create(tx, bucketTicketCase, t.OfficeID)
		if err != nil {
			return err
		}
		if err := b.Put(caseKey(t.CaseNumber, t.ID), []byte(t.Day)); err != nil {
			return fmt.Errorf("index case of ticket %s/%s: %w", t.OfficeID, t.ID, err)
		}
	}
	return nil
}

// migrateCaseNumbers adds the case-number index and fills it from the
// tickets of every day.
func migrateCaseNumbers(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketTicketCase); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketTicketCase, err)
	}
	return eachBucket(tx.Bucket(bucketTickets), func(office string, ob *bolt.Bucket) error {
		return ob.ForEachBucket(func(day []byte) error {
			return ob.Bucket(day).ForEach(func(k, v []byte) error {
				t, err := decode[domain.Ticket](v)
				if err != nil {
					return fmt.Errorf("ticket %s/%s/%s: %w", office, day, k, err)
				}
				return indexCases(tx, []domain.Ticket{t})
			})
		})
	})
}

// TicketsByCase returns the office's tickets of any day whose case number
// is caseNumber, newest first.
func (s *Store) TicketsByCase(ctx context.Context, officeID, caseNumber string) ([]domain.Ticket, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: tickets by case: %w", err)
	}
	var out []domain.Ticket
	err := s.view(func(tx *bolt.Tx) error {
		idx := lookup(tx, bucketTicketCase, officeID)
		if idx == nil {
			return nil
		}
		prefix := []byte(caseNumber + "\x00")
		c := idx.Cursor()
		for k, day := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, day = c.Next() {
			id := k[len(prefix):]
			raw := get(tx.Bucket(bucketTickets), flatKey(officeID, string(day), string(id)))
			if raw == nil {
				continue
			}
			t, err := decode[domain.Ticket](raw)
			if err != nil {
				return err
			}
			if t.CaseNumber == caseNumber {
				out = append(out, t)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("tickets by case", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}
