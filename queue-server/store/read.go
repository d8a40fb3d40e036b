package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// MaxEventsPage caps one Events call, so a client far behind cannot make the
// server build one huge answer; it pages on instead.
const MaxEventsPage = 10_000

// Load reads what the engine starts from. sinceDay (YYYY-MM-DD, or "" for
// everything) bounds tickets, counters and idempotency keys; appointments are
// read from the day before it, because they are filed by their UTC date.
func (s *Store) Load(ctx context.Context, sinceDay string) (domain.State, error) {
	apptFrom := sinceDay
	if sinceDay != "" {
		if !validDay(sinceDay) {
			return domain.State{}, domain.Errorf(domain.CodeInvalid, "день %q должен быть в виде ГГГГ-ММ-ДД", sinceDay)
		}
		day, _ := time.Parse(dayLayout, sinceDay)
		apptFrom = day.AddDate(0, 0, -1).Format(dayLayout)
	}
	st := domain.State{Settings: map[string]string{}, OfficeSeq: map[string]uint64{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		if st.Offices, err = loadFlat[domain.Office](tx, bucketOffices); err != nil {
			return err
		}
		if st.Services, err = loadScoped[domain.Service](ctx, tx, bucketServices); err != nil {
			return err
		}
		if st.Windows, err = loadScoped[domain.Window](ctx, tx, bucketWindows); err != nil {
			return err
		}
		if st.Operators, err = loadScoped[domain.Operator](ctx, tx, bucketOperators); err != nil {
			return err
		}
		devices, err := loadScoped[deviceRecord](ctx, tx, bucketDevices)
		if err != nil {
			return err
		}
		for _, r := range devices {
			d := r.Device
			d.PairingCodeHash, d.CredentialHash = r.PairingCodeHash, r.CredentialHash
			st.Devices = append(st.Devices, d)
		}
		if st.Categories, err = loadScoped[domain.PriorityCategory](ctx, tx, bucketCategories); err != nil {
			return err
		}
		if st.Announcements, err = loadScoped[domain.Announcement](ctx, tx, bucketAnnouncements); err != nil {
			return err
		}
		records, err := loadFlat[accountRecord](tx, bucketAccounts)
		if err != nil {
			return err
		}
		for _, r := range records {
			a := r.Account
			a.PasswordHash, a.CardHash = r.PasswordHash, r.CardHash
			st.Accounts = append(st.Accounts, a)
		}
		// A file before schema 8 has no integrations; the store's tests of
		// older migrations load such files.
		var integrations []integrationRecord
		if tx.Bucket(bucketIntegrations) != nil {
			if integrations, err = loadFlat[integrationRecord](tx, bucketIntegrations); err != nil {
				return err
			}
		}
		if tx.Bucket(bucketContacts) != nil {
			if st.Contacts, err = loadScoped[domain.Contact](ctx, tx, bucketContacts); err != nil {
				return err
			}
		}
		for _, r := range integrations {
			in := r.Integration
			in.KeyHash = r.KeyHash
			st.Integrations = append(st.Integrations, in)
		}
		// A file opened at an older schema, as the migrations' tests do, has none.
		if tx.Bucket(bucketWebhooks) != nil {
			if st.Webhooks, err = loadFlat[domain.Webhook](tx, bucketWebhooks); err != nil {
				return err
			}
		}
		if st.Tickets, err = loadDayed[domain.Ticket](ctx, tx, ticketBuckets, sinceDay); err != nil {
			return err
		}
		if st.Appointments, err = loadDayed[domain.Appointment](ctx, tx, appointmentBuckets, apptFrom); err != nil {
			return err
		}
		if st.Ratings, err = loadDayed[domain.RatingRecord](ctx, tx, ratingBuckets, sinceDay); err != nil {
			return err
		}
		if st.RatingForms, err = loadScoped[domain.RatingForm](ctx, tx, bucketRatingForms); err != nil {
			return err
		}
		if st.Sessions, err = loadScoped[domain.WindowSession](ctx, tx, bucketSessions); err != nil {
			return err
		}
		if st.Counters, err = loadDays[domain.Counter](ctx, tx, bucketCounters, sinceDay); err != nil {
			return err
		}
		if st.Idempotency, err = loadDays[domain.IdempotencyKey](ctx, tx, bucketIdempotency, sinceDay); err != nil {
			return err
		}
		if settings := lookup(tx, bucketMeta, string(bucketSettings)); settings != nil {
			if err := settings.ForEach(func(k, v []byte) error {
				st.Settings[string(k)] = string(v)
				return nil
			}); err != nil {
				return err
			}
		}
		if st.JournalLast, err = loadJournalLast(tx); err != nil {
			return err
		}
		return eachBucket(tx.Bucket(bucketEvents), func(office string, b *bolt.Bucket) error {
			seq, err := lastSeq(tx, office)
			st.OfficeSeq[office] = seq
			return err
		})
	})
	if err != nil {
		return domain.State{}, wrap("load", err)
	}
	return st, nil
}

// Events returns up to limit events of an office with Seq > after, in order;
// limit is capped at MaxEventsPage.
func (s *Store) Events(ctx context.Context, officeID string, after uint64, limit int) ([]domain.Event, error) {
	if limit <= 0 {
		return nil, domain.Errorf(domain.CodeInvalid, "число запрашиваемых событий должно быть положительным, а не %d", limit)
	}
	limit = min(limit, MaxEventsPage)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	events := []domain.Event{}
	if after == math.MaxUint64 {
		return events, nil
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := lookup(tx, bucketEvents, officeID)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(events) < limit; k, v = c.Next() {
			e, err := decode[domain.Event](v)
			if err != nil {
				return fmt.Errorf("event %d of office %q: %w", binary.BigEndian.Uint64(k), officeID, err)
			}
			events = append(events, e)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("events", err)
	}
	return events, nil
}

// Ticket finds a ticket of any day by id.
func (s *Store) Ticket(ctx context.Context, officeID, ticketID string) (domain.Ticket, error) {
	if err := ctx.Err(); err != nil {
		return domain.Ticket{}, fmt.Errorf("store: ticket: %w", err)
	}
	var (
		t     domain.Ticket
		found bool
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		idx := lookup(tx, bucketTicketDay, officeID)
		if idx == nil {
			return nil
		}
		day := idx.Get([]byte(ticketID))
		if day == nil {
			return nil
		}
		raw := get(lookup(tx, bucketTickets, officeID, string(day)), []byte(ticketID))
		if raw == nil {
			return fmt.Errorf("ticket %s/%s indexed on %s but missing there", officeID, ticketID, day)
		}
		var err error
		t, err = decode[domain.Ticket](raw)
		found = err == nil
		return err
	})
	if err != nil {
		return domain.Ticket{}, wrap("ticket", err)
	}
	if !found {
		return domain.Ticket{}, domain.Errorf(domain.CodeNotFound, "талон %s не найден", ticketID)
	}
	return t, nil
}

// decode copies a value out of the transaction's memory into T.
func decode[T any](raw []byte) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("decode %T: %w", v, err)
	}
	return v, nil
}

// loadFlat decodes every value of a root bucket.
func loadFlat[T any](tx *bolt.Tx, root []byte) ([]T, error) {
	var out []T
	b := tx.Bucket(root)
	if b == nil {
		return nil, fmt.Errorf("%w: no bucket %s", ErrNotDataFile, root)
	}
	err := b.ForEach(func(k, v []byte) error {
		x, err := decode[T](v)
		if err != nil {
			return fmt.Errorf("%s/%s: %w", root, k, err)
		}
		out = append(out, x)
		return nil
	})
	return out, err
}

// loadScoped decodes root/<office>/<id> for every office.
func loadScoped[T any](ctx context.Context, tx *bolt.Tx, root []byte) ([]T, error) {
	var out []T
	err := eachBucket(tx.Bucket(root), func(office string, b *bolt.Bucket) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			x, err := decode[T](v)
			if err != nil {
				return fmt.Errorf("%s/%s/%s: %w", root, office, k, err)
			}
			out = append(out, x)
			return nil
		})
	})
	return out, err
}

// loadDays decodes root/<office>/<day>/<key> for days from fromDay on,
// seeking past older days without reading them.
func loadDays[T any](ctx context.Context, tx *bolt.Tx, root []byte, fromDay string) ([]T, error) {
	var out []T
	err := eachBucket(tx.Bucket(root), func(office string, ob *bolt.Bucket) error {
		return eachDayFrom(ctx, ob, fromDay, func(day []byte, db *bolt.Bucket) error {
			return db.ForEach(func(k, v []byte) error {
				x, err := decode[T](v)
				if err != nil {
					return fmt.Errorf("%s/%s/%s/%s: %w", root, office, day, k, err)
				}
				out = append(out, x)
				return nil
			})
		})
	})
	return out, err
}

// loadDayed is loadDays plus the records of older days that are still alive,
// found through the live index rather than by reading old days.
func loadDayed[T any](ctx context.Context, tx *bolt.Tx, d dayed, fromDay string) ([]T, error) {
	var out []T
	err := eachBucket(tx.Bucket(d.records), func(office string, ob *bolt.Bucket) error {
		if alive := lookup(tx, d.live, office); alive != nil && fromDay != "" {
			err := alive.ForEach(func(id, day []byte) error {
				if string(day) >= fromDay {
					return nil
				}
				raw := get(lookup(tx, d.records, office, string(day)), id)
				if raw == nil {
					return fmt.Errorf("%s %s/%s indexed on %s but missing there", d.records, office, id, day)
				}
				x, err := decode[T](raw)
				if err != nil {
					return fmt.Errorf("%s/%s/%s/%s: %w", d.records, office, day, id, err)
				}
				out = append(out, x)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return eachDayFrom(ctx, ob, fromDay, func(day []byte, db *bolt.Bucket) error {
			return db.ForEach(func(k, v []byte) error {
				x, err := decode[T](v)
				if err != nil {
					return fmt.Errorf("%s/%s/%s/%s: %w", d.records, office, day, k, err)
				}
				out = append(out, x)
				return nil
			})
		})
	})
	return out, err
}

// get is Bucket.Get that tolerates a missing bucket.
func get(b *bolt.Bucket, key []byte) []byte {
	if b == nil {
		return nil
	}
	return b.Get(key)
}

// eachBucket calls fn for every nested bucket of b, by name.
func eachBucket(b *bolt.Bucket, fn func(name string, b *bolt.Bucket) error) error {
	if b == nil {
		return fmt.Errorf("%w: a root bucket is missing", ErrNotDataFile)
	}
	return b.ForEachBucket(func(k []byte) error {
		return fn(string(k), b.Bucket(k))
	})
}

// eachDayFrom calls fn for the day buckets of ob from fromDay on, in order.
func eachDayFrom(ctx context.Context, ob *bolt.Bucket, fromDay string, fn func(day []byte, b *bolt.Bucket) error) error {
	c := ob.Cursor()
	for k, v := c.Seek([]byte(fromDay)); k != nil; k, v = c.Next() {
		if v != nil {
			continue // not a bucket
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(k, ob.Bucket(k)); err != nil {
			return err
		}
	}
	return nil
}

// PersonalData returns the appointments of UTC days from fromDay up to, not
// including, beforeDay that still hold the applicant's name or phone, for
// the purge that removes them after the retention time. Days are the keys
// of the appointment buckets, so the scan seeks to fromDay and reads no
// further than beforeDay.
func (s *Store) PersonalData(ctx context.Context, fromDay, beforeDay string) ([]domain.Appointment, error) {
	var out []domain.Appointment
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachBucket(tx.Bucket(bucketAppointments), func(office string, ob *bolt.Bucket) error {
			err := eachDayFrom(ctx, ob, fromDay, func(day []byte, db *bolt.Bucket) error {
				if string(day) >= beforeDay {
					return errStopDays
				}
				return db.ForEach(func(id, raw []byte) error {
					a, err := decode[domain.Appointment](raw)
					if err != nil {
						return fmt.Errorf("%s/%s/%s/%s: %w", bucketAppointments, office, day, id, err)
					}
					if a.Name != "" || a.Phone != "" {
						out = append(out, a)
					}
					return nil
				})
			})
			if errors.Is(err, errStopDays) {
				return nil // this office's later days are younger than asked
			}
			return err
		})
	})
	return out, wrap("personal data", err)
}

// errStopDays ends a scan of an office's day buckets early.
var errStopDays = errors.New("stop at this day")
