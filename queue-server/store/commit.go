package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/outbox"
	"github.com/talonqueue/talon/queue-server/stats"
	bolt "go.etcd.io/bbolt"
)

// ErrRefused marks Changes the store will not write because they would
// damage the log or the numbering: a sequence gap, a counter going back, a
// record without its keys. It always means a bug in the caller, so the error
// is an internal one and nothing of the Changes is written.
var ErrRefused = errors.New("changes refused")

// eventsFill packs event pages full: events are only ever appended, so the
// room bbolt leaves for inserts by default would be wasted.
const eventsFill = 0.95

// accountRecord stores the hashes of the password and the staff card, which
// domain.Account keeps out of JSON. An account stored before cards existed
// reads as one without a card.
type accountRecord struct {
	domain.Account
	PasswordHash string `json:"password_hash,omitempty"`
	CardHash     string `json:"card_hash,omitempty"`
}

// integrationRecord stores the hash of an integration's key, which
// domain.Integration keeps out of JSON.
type integrationRecord struct {
	domain.Integration
	KeyHash string `json:"key_hash,omitempty"`
}

// deviceRecord stores the hashes of a device's pairing code and credential,
// which domain.Device keeps out of JSON.
type deviceRecord struct {
	domain.Device
	PairingCodeHash string `json:"pairing_code_hash,omitempty"`
	CredentialHash  string `json:"credential_hash,omitempty"`
}

func accountRecordOf(a domain.Account) accountRecord {
	return accountRecord{Account: a, PasswordHash: a.PasswordHash, CardHash: a.CardHash}
}

func (r accountRecord) account() domain.Account {
	a := r.Account
	a.PasswordHash, a.CardHash = r.PasswordHash, r.CardHash
	return a
}

func integrationRecordOf(x domain.Integration) integrationRecord {
	return integrationRecord{Integration: x, KeyHash: x.KeyHash}
}

func (r integrationRecord) integration() domain.Integration {
	x := r.Integration
	x.KeyHash = r.KeyHash
	return x
}

func deviceRecordOf(d domain.Device) deviceRecord {
	return deviceRecord{Device: d, PairingCodeHash: d.PairingCodeHash, CredentialHash: d.CredentialHash}
}

func (r deviceRecord) device() domain.Device {
	d := r.Device
	d.PairingCodeHash, d.CredentialHash = r.PairingCodeHash, r.CredentialHash
	return d
}

// dayed names the flat buckets of a record kind kept per day: the records
// under office NUL day NUL id, an index from office NUL id to the day, and
// an index of the records still alive, also to the day.
type dayed struct {
	records, day, live []byte
}

var (
	ticketBuckets      = dayed{records: bucketTickets, day: bucketTicketDay, live: bucketTicketOpen}
	appointmentBuckets = dayed{records: bucketAppointments, day: bucketAppointmentDay, live: bucketAppointmentBooked}
	// A rating is "live" while it holds a phone, so Load finds those of
	// old days for the purge without reading the days.
	ratingBuckets = dayed{records: bucketRatings, day: bucketRatingDay, live: bucketRatingPhone}
)

// scopedBuckets are the configuration kinds kept per office.
var scopedBuckets = map[domain.Kind][]byte{
	domain.KindService:      bucketServices,
	domain.KindWindow:       bucketWindows,
	domain.KindOperator:     bucketOperators,
	domain.KindDevice:       bucketDevices,
	domain.KindCategory:     bucketCategories,
	domain.KindAnnouncement: bucketAnnouncements,
	domain.KindContact:      bucketContacts,
}

// Commit makes c durable: all of it or, on error, none. It is checked
// against the logs' ends, then logged (wal.go); the data file takes it at
// the next checkpoint, where records are written in slice order, so when
// several operations of a batch change the same record the last one wins;
// deletions come after all upserts. A setting with an empty value is
// removed.
func (s *Store) Commit(ctx context.Context, c domain.Changes) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if c.Empty() {
		return nil
	}
	if err := checkChanges(&c); err != nil {
		return err
	}
	s.heads.mu.Lock()
	defer s.heads.mu.Unlock()
	if err := s.healthy(); err != nil {
		return err
	}
	if err := s.checkEnds(&c); err != nil {
		return err
	}
	if err := s.logCommit(&c); err != nil {
		return err
	}
	s.heads.committed(&c)
	return nil
}

// checkEnds checks that c continues the logs and counters. An end the
// heads do not know is read from the data file, which must hold every
// acknowledged commit for that: when commits wait for a checkpoint, it
// runs first.
func (s *Store) checkEnds(c *domain.Changes) error {
	s.heads.behind = s.behind()
	check := func() error {
		return s.db.View(func(tx *bolt.Tx) error { return checkLogs(tx, c, &s.heads) })
	}
	err := check()
	if errors.Is(err, errBehind) {
		if err = s.flush(0); err == nil {
			s.heads.behind = false
			err = check()
		}
	}
	return wrap("commit", err)
}

func refused(format string, args ...any) error {
	return domain.Internal(fmt.Errorf("%w: "+format, append([]any{ErrRefused}, args...)...), "store")
}

// checkChanges refuses, before any write, records whose keys are missing.
func checkChanges(c *domain.Changes) error {
	for _, e := range c.Events {
		if e.OfficeID == "" || e.Seq == 0 || e.Type == "" {
			return refused("event without office, sequence or type (office %q, seq %d, type %q)", e.OfficeID, e.Seq, e.Type)
		}
	}
	for _, o := range c.Offices {
		if o.ID == "" {
			return refused("office without id")
		}
	}
	for _, x := range c.Services {
		if err := need(domain.KindService, x.OfficeID, x.ID); err != nil {
			return err
		}
	}
	for _, x := range c.Windows {
		if err := need(domain.KindWindow, x.OfficeID, x.ID); err != nil {
			return err
		}
	}
	for _, x := range c.Operators {
		if err := need(domain.KindOperator, x.OfficeID, x.ID); err != nil {
			return err
		}
	}
	for _, x := range c.Devices {
		if err := need(domain.KindDevice, x.OfficeID, x.ID); err != nil {
			return err
		}
	}
	for _, x := range c.Categories {
		if err := need(domain.KindCategory, x.OfficeID, x.ID); err != nil {
			return err
		}
	}
	for _, a := range c.Accounts {
		if a.Login == "" {
			return refused("account without login")
		}
	}
	for _, x := range c.Announcements {
		if err := need(domain.KindAnnouncement, x.OfficeID, x.ID); err != nil {
			return err
		}
	}
	for _, x := range c.Integrations {
		if x.ID == "" {
			return refused("integration without id")
		}
	}
	for _, x := range c.Contacts {
		if err := need(domain.KindContact, x.OfficeID, x.TicketID+x.AppointmentID); err != nil {
			return err
		}
	}
	for _, r := range c.Ratings {
		if r.Rating.OfficeID == "" || r.Rating.TicketID == "" || !validDay(r.Day) {
			return refused("rating without office, ticket or day (office %q, ticket %q, day %q)", r.Rating.OfficeID, r.Rating.TicketID, r.Day)
		}
	}
	for _, t := range c.Tickets {
		if err := need("ticket", t.OfficeID, t.ID); err != nil {
			return err
		}
		if !validDay(t.Day) {
			return refused("ticket %q of office %q has day %q, want YYYY-MM-DD", t.ID, t.OfficeID, t.Day)
		}
	}
	for _, a := range c.Appointments {
		if err := need("appointment", a.OfficeID, a.ID); err != nil {
			return err
		}
	}
	for _, x := range c.Sessions {
		if err := need("session", x.OfficeID, x.WindowID); err != nil {
			return err
		}
	}
	for _, x := range c.Counters {
		if x.OfficeID == "" || x.Prefix == "" || !validDay(x.Day) || x.Last < 0 {
			return refused("counter needs office, YYYY-MM-DD day, prefix and a number ≥ 0 (office %q, day %q, prefix %q, last %d)",
				x.OfficeID, x.Day, x.Prefix, x.Last)
		}
	}
	for _, x := range c.Idempotency {
		if x.OfficeID == "" || x.Key == "" || x.TicketID == "" || !validDay(x.Day) {
			return refused("idempotency key needs office, key, ticket and YYYY-MM-DD day (office %q, key %q, ticket %q, day %q)",
				x.OfficeID, x.Key, x.TicketID, x.Day)
		}
	}
	if err := checkJournal(c); err != nil {
		return err
	}
	if err := checkFlatKeys(c); err != nil {
		return err
	}
	for _, w := range c.Webhooks {
		if w.ID == "" {
			return refused("webhook without id")
		}
	}
	for _, m := range c.Outbox {
		if err := outbox.Check(m); err != nil {
			return refused("%v", err)
		}
	}
	for k := range c.Settings {
		if k == "" {
			return refused("setting with an empty key")
		}
	}
	for _, d := range c.Deletions {
		switch {
		case d.Kind == domain.KindOffice || d.Kind == domain.KindAccount || d.Kind == domain.KindIntegration ||
			d.Kind == domain.KindWebhook:
			if deletionID(d) == "" {
				return refused("deletion of a %s without id", d.Kind)
			}
		case scopedBuckets[d.Kind] != nil:
			if err := need(d.Kind, d.OfficeID, d.ID); err != nil {
				return err
			}
		default:
			return refused("deletion of unknown kind %q", d.Kind)
		}
	}
	return nil
}

// checkFlatKeys refuses a NUL byte in the parts of a flat bucket's key,
// where it would run one record's range into another's.
func checkFlatKeys(c *domain.Changes) error {
	var parts []string
	for _, e := range c.Events {
		parts = append(parts, e.OfficeID)
	}
	for _, t := range c.Tickets {
		parts = append(parts, t.OfficeID, t.ID)
	}
	for _, a := range c.Appointments {
		parts = append(parts, a.OfficeID, a.ID)
	}
	for _, r := range c.Ratings {
		parts = append(parts, r.Rating.OfficeID, r.Rating.TicketID)
	}
	for _, x := range c.Counters {
		parts = append(parts, x.OfficeID, x.Prefix)
	}
	for _, x := range c.Idempotency {
		parts = append(parts, x.OfficeID, x.Key, x.TicketID)
	}
	for _, r := range c.Journal {
		parts = append(parts, r.Chain)
	}
	for _, p := range parts {
		if strings.IndexByte(p, 0) >= 0 {
			return refused("key part %q contains a NUL byte", p)
		}
	}
	return nil
}

func need(kind domain.Kind, officeID, id string) error {
	if officeID == "" || id == "" {
		return refused("%s needs office and id (office %q, id %q)", kind, officeID, id)
	}
	return nil
}

// deletionID is the key a deletion removes; an office may be named by either field.
func deletionID(d domain.Deletion) string {
	if d.ID == "" && d.Kind == domain.KindOffice {
		return d.OfficeID
	}
	return d.ID
}

// checkLogs refuses Changes that would break the event logs, the
// counters or the journal chains, their ends read through h, and Changes
// the file has no buckets for.
func checkLogs(tx *bolt.Tx, c *domain.Changes, h *heads) error {
	if err := checkBuckets(tx, c); err != nil {
		return err
	}
	if err := checkSequences(tx, c.Events, h); err != nil {
		return err
	}
	if err := checkCounters(tx, c.Counters, h); err != nil {
		return err
	}
	return checkChains(tx, c.Journal, h)
}

// checkBuckets refuses Changes that a file at an older schema has no
// buckets for: logged, they could never be checkpointed.
func checkBuckets(tx *bolt.Tx, c *domain.Changes) error {
	missing := func(n int, names ...[]byte) []byte {
		for _, name := range names {
			if n > 0 && tx.Bucket(name) == nil {
				return name
			}
		}
		return nil
	}
	for _, name := range [][]byte{
		missing(len(c.Events), bucketEvents),
		missing(len(c.Tickets), bucketTickets, bucketTicketDay, bucketTicketOpen),
		missing(len(c.Announcements), bucketAnnouncements),
		missing(len(c.Ratings), bucketRatings, bucketRatingDay, bucketRatingPhone),
		missing(len(c.Journal), bucketJournal, bucketJournalDay),
		missing(len(c.JournalHeads), bucketJournalHead),
		missing(len(c.Integrations), bucketIntegrations),
		missing(len(c.Contacts), bucketContacts),
		missing(len(c.Webhooks), bucketWebhooks),
	} {
		if name != nil {
			return refused("the data file has no bucket %s: it is at an older schema", name)
		}
	}
	if len(c.Outbox) > 0 && !outbox.Created(tx) {
		return refused("the data file has no outbox: it is at an older schema")
	}
	return nil
}

// write writes checked Changes. The statistics fold the events in the same
// transaction, in the time zones zone reads.
func write(tx *bolt.Tx, c *domain.Changes, zone stats.Zone, f *folds) error {
	for _, o := range c.Offices {
		if err := put(tx, o, bucketOffices, o.ID); err != nil {
			return err
		}
	}
	for _, x := range c.Services {
		if err := put(tx, x, bucketServices, x.OfficeID, x.ID); err != nil {
			return err
		}
	}
	for _, x := range c.Windows {
		if err := put(tx, x, bucketWindows, x.OfficeID, x.ID); err != nil {
			return err
		}
	}
	for _, x := range c.Operators {
		if err := put(tx, x, bucketOperators, x.OfficeID, x.ID); err != nil {
			return err
		}
	}
	for _, x := range c.Devices {
		if err := put(tx, deviceRecordOf(x), bucketDevices, x.OfficeID, x.ID); err != nil {
			return err
		}
	}
	for _, x := range c.Categories {
		if err := put(tx, x, bucketCategories, x.OfficeID, x.ID); err != nil {
			return err
		}
	}
	for _, a := range c.Accounts {
		if err := put(tx, accountRecordOf(a), bucketAccounts, a.Login); err != nil {
			return err
		}
	}
	for _, x := range c.Announcements {
		if err := put(tx, x, bucketAnnouncements, x.OfficeID, x.ID); err != nil {
			return err
		}
	}
	for _, x := range c.Integrations {
		if err := put(tx, integrationRecordOf(x), bucketIntegrations, x.ID); err != nil {
			return err
		}
	}
	for _, x := range c.Contacts {
		if err := put(tx, x, bucketContacts, x.OfficeID, x.RecordID()); err != nil {
			return err
		}
	}
	for _, x := range c.Webhooks {
		if err := put(tx, x, bucketWebhooks, x.ID); err != nil {
			return err
		}
	}
	for _, t := range c.Tickets {
		if err := putDayed(tx, ticketBuckets, t.OfficeID, t.Day, t.ID, !t.Status.Terminal(), t); err != nil {
			return err
		}
	}
	for _, a := range c.Appointments {
		if err := putDayed(tx, appointmentBuckets, a.OfficeID, utcDay(a.Start), a.ID, a.Status == domain.AppointmentBooked, a); err != nil {
			return err
		}
	}
	for _, r := range c.Ratings {
		if err := putDayed(tx, ratingBuckets, r.Rating.OfficeID, r.Day, r.Rating.TicketID, r.Phone != "", r); err != nil {
			return err
		}
	}
	for _, x := range c.Sessions {
		if err := put(tx, x, bucketSessions, x.OfficeID, x.WindowID); err != nil {
			return err
		}
	}
	for _, x := range c.Counters {
		if err := putFlat(tx, x, bucketCounters, x.OfficeID, x.Day, x.Prefix); err != nil {
			return err
		}
	}
	if err := putIdempotency(tx, c.Idempotency, c.Tickets); err != nil {
		return err
	}
	if err := putEvents(tx, c.Events); err != nil {
		return err
	}
	if err := indexEvents(tx, c.Events); err != nil {
		return err
	}
	if err := indexCases(tx, c.Tickets); err != nil {
		return err
	}
	if err := putJournal(tx, c.Journal); err != nil {
		return err
	}
	if err := putJournalHeads(tx, c.JournalHeads); err != nil {
		return err
	}
	if err := putSettings(tx, c.Settings); err != nil {
		return err
	}
	for _, d := range c.Deletions {
		if err := deleteRecord(tx, d); err != nil {
			return err
		}
	}
	for _, m := range c.Outbox {
		if err := outbox.Put(tx, m); err != nil {
			return err
		}
	}
	return foldStats(tx, c.Events, zone, f)
}

// checkSequences keeps the log gap-free: each office's events must continue
// exactly from the last stored one, in order.
func checkSequences(tx *bolt.Tx, events []domain.Event, h *heads) error {
	next := map[string]uint64{}
	for _, e := range events {
		want, ok := next[e.OfficeID]
		if !ok {
			last, err := h.lastEvent(tx, e.OfficeID)
			if err != nil {
				return err
			}
			want = last + 1
		}
		if e.Seq != want {
			what := "a gap"
			if e.Seq < want {
				what = "a repeat"
			}
			return refused("event %d of office %q would be %s in the log: the next sequence is %d", e.Seq, e.OfficeID, what, want)
		}
		next[e.OfficeID] = want + 1
	}
	return nil
}

func lastSeq(tx *bolt.Tx, officeID string) (uint64, error) {
	b := tx.Bucket(bucketEvents)
	if b == nil {
		return 0, fmt.Errorf("%w: no bucket %s", ErrNotDataFile, bucketEvents)
	}
	k, _ := lastWith(b.Cursor(), flatKey(officeID, ""))
	if k == nil {
		return 0, nil
	}
	if len(k) != len(officeID)+1+8 {
		return 0, fmt.Errorf("events of office %q: key of %d bytes, want the office and 8", officeID, len(k))
	}
	return binary.BigEndian.Uint64(k[len(officeID)+1:]), nil
}

// checkCounters keeps a number from being issued twice: a counter never goes back.
func checkCounters(tx *bolt.Tx, counters []domain.Counter, h *heads) error {
	seen := map[[3]string]int{}
	for _, c := range counters {
		key := [3]string{c.OfficeID, c.Day, c.Prefix}
		last, ok := seen[key]
		if !ok {
			var err error
			if last, err = h.lastCount(tx, c.OfficeID, c.Day, c.Prefix); err != nil {
				return err
			}
		}
		if c.Last < last {
			return refused("counter %q of office %q on %s would go back from %d to %d", c.Prefix, c.OfficeID, c.Day, last, c.Last)
		}
		seen[key] = c.Last
	}
	return nil
}

// storedCount returns the last number of a stored counter; 0 when there is none.
func storedCount(tx *bolt.Tx, officeID, day, prefix string) (int, error) {
	b := tx.Bucket(bucketCounters)
	if b == nil {
		return 0, nil
	}
	raw := b.Get(flatKey(officeID, day, prefix))
	if raw == nil {
		return 0, nil
	}
	stored, err := decode[domain.Counter](raw)
	if err != nil {
		return 0, fmt.Errorf("counter %s/%s/%s: %w", officeID, day, prefix, err)
	}
	return stored.Last, nil
}

func putEvents(tx *bolt.Tx, events []domain.Event) error {
	if len(events) == 0 {
		return nil
	}
	b, err := create(tx, bucketEvents)
	if err != nil {
		return err
	}
	b.FillPercent = eventsFill
	for _, e := range events {
		data, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode event %d of office %q: %w", e.Seq, e.OfficeID, err)
		}
		if err := b.Put(seqKeyOf(e.OfficeID, e.Seq), data); err != nil {
			return fmt.Errorf("put event %d of office %q: %w", e.Seq, e.OfficeID, err)
		}
	}
	return nil
}

func putSettings(tx *bolt.Tx, settings map[string]string) error {
	if len(settings) == 0 {
		return nil
	}
	b := lookup(tx, bucketMeta, string(bucketSettings))
	if b == nil {
		return fmt.Errorf("%w: no bucket meta/settings", ErrNotDataFile)
	}
	for k, v := range settings {
		var err error
		// An empty value removes the key, which reads the same from a map.
		if v == "" {
			err = b.Delete([]byte(k))
		} else {
			err = b.Put([]byte(k), []byte(v))
		}
		if err != nil {
			return fmt.Errorf("setting %q: %w", k, err)
		}
	}
	return nil
}

func deleteRecord(tx *bolt.Tx, d domain.Deletion) error {
	var b *bolt.Bucket
	switch d.Kind {
	case domain.KindOffice:
		b = tx.Bucket(bucketOffices)
	case domain.KindAccount:
		b = tx.Bucket(bucketAccounts)
	case domain.KindIntegration:
		b = tx.Bucket(bucketIntegrations)
	case domain.KindWebhook:
		b = tx.Bucket(bucketWebhooks)
	default:
		b = lookup(tx, scopedBuckets[d.Kind], d.OfficeID)
	}
	if b == nil {
		return nil
	}
	if err := b.Delete([]byte(deletionID(d))); err != nil {
		return fmt.Errorf("delete %s %q of office %q: %w", d.Kind, deletionID(d), d.OfficeID, err)
	}
	return nil
}

// put stores v as JSON under root/path..., the last element being the key.
func put(tx *bolt.Tx, v any, root []byte, path ...string) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %v: %w", root, path, err)
	}
	b, err := create(tx, root, path[:len(path)-1]...)
	if err != nil {
		return err
	}
	if err := b.Put([]byte(path[len(path)-1]), data); err != nil {
		return fmt.Errorf("put %s %v: %w", root, path, err)
	}
	return nil
}

// putFlat stores v as JSON in the flat bucket root under its path joined
// by flatKey.
func putFlat(tx *bolt.Tx, v any, root []byte, path ...string) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %v: %w", root, path, err)
	}
	b, err := create(tx, root)
	if err != nil {
		return err
	}
	if err := b.Put(flatKey(path...), data); err != nil {
		return fmt.Errorf("put %s %v: %w", root, path, err)
	}
	return nil
}

// putDayed stores a record under its day and keeps both indexes right; a
// record whose day changed (a moved appointment) leaves its old day. An
// index entry that would not change is not written again: each write
// costs the commit its page.
func putDayed(tx *bolt.Tx, d dayed, officeID, day, id string, live bool, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %s/%s: %w", d.records, officeID, id, err)
	}
	idx, err := create(tx, d.day)
	if err != nil {
		return err
	}
	records, err := create(tx, d.records)
	if err != nil {
		return err
	}
	alive, err := create(tx, d.live)
	if err != nil {
		return err
	}
	key, dayKey := flatKey(officeID, id), []byte(day)
	if old := idx.Get(key); string(old) != day {
		if old != nil {
			if err := records.Delete(flatKey(officeID, string(old), id)); err != nil {
				return fmt.Errorf("move %s %s/%s from %s: %w", d.records, officeID, id, old, err)
			}
		}
		if err := idx.Put(key, dayKey); err != nil {
			return fmt.Errorf("index %s %s/%s: %w", d.records, officeID, id, err)
		}
	}
	if err := records.Put(flatKey(officeID, day, id), data); err != nil {
		return fmt.Errorf("put %s %s/%s/%s: %w", d.records, officeID, day, id, err)
	}
	switch {
	case !live:
		err = alive.Delete(key) // nothing to write when it is not there
	case string(alive.Get(key)) != day:
		err = alive.Put(key, dayKey)
	}
	if err != nil {
		return fmt.Errorf("index %s %s/%s: %w", d.live, officeID, id, err)
	}
	return nil
}

// putIdempotency stores each request key beside the ticket it names, in
// the ticket's leaf that the same commit writes anyway, when the ticket is
// of the key's day: a bucket of its own, keyed by random keys, cost every
// issue and call three pages more (BenchmarkHeadroom). A key whose ticket
// is of another day, or not in this commit, goes to the idempotency bucket,
// where Load finds it by the key's day.
func putIdempotency(tx *bolt.Tx, keys []domain.IdempotencyKey, tickets []domain.Ticket) error {
	for _, x := range keys {
		if !besideTicket(x, tickets) {
			if err := putFlat(tx, x, bucketIdempotency, x.OfficeID, x.Day, x.Key); err != nil {
				return err
			}
			continue
		}
		if err := putFlat(tx, x, bucketTickets, x.OfficeID, x.Day, x.TicketID, x.Key); err != nil {
			return err
		}
	}
	return nil
}

// besideTicket tells whether x is stored beside its ticket: the ticket is
// written in the same commit and is of x's day.
func besideTicket(x domain.IdempotencyKey, tickets []domain.Ticket) bool {
	for _, t := range tickets {
		if t.OfficeID == x.OfficeID && t.ID == x.TicketID {
			return t.Day == x.Day
		}
	}
	return false
}

// create returns root/path..., creating the nested buckets it lacks.
func create(tx *bolt.Tx, root []byte, path ...string) (*bolt.Bucket, error) {
	b := tx.Bucket(root)
	if b == nil {
		return nil, fmt.Errorf("%w: no bucket %s", ErrNotDataFile, root)
	}
	for _, name := range path {
		var err error
		if b, err = b.CreateBucketIfNotExists([]byte(name)); err != nil {
			return nil, fmt.Errorf("create bucket %s %v: %w", root, path, err)
		}
	}
	return b, nil
}

// lookup returns root/path... or nil when any of it is missing.
func lookup(tx *bolt.Tx, root []byte, path ...string) *bolt.Bucket {
	b := tx.Bucket(root)
	for _, name := range path {
		if b == nil {
			return nil
		}
		b = b.Bucket([]byte(name))
	}
	return b
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// flatKey joins a record's path into its key in a flat bucket: parts
// separated by NUL, which no id, day or key contains (checkChanges), so
// the keys of one office, or of one office's day, are one contiguous range
// in the order the nested buckets had.
func flatKey(parts ...string) []byte {
	n := len(parts) - 1
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, p...)
	}
	return k
}

// seqKeyOf is the key of an office's (or a chain's) numbered record:
// the id, NUL, the number big-endian, so the numbers sort in order.
func seqKeyOf(id string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(flatKey(id, ""), seq)
}

// lastWith returns the last key with prefix and its value, or nil.
func lastWith(c *bolt.Cursor, prefix []byte) ([]byte, []byte) {
	var k, v []byte
	if next, _ := c.Seek(prefixEnd(prefix)); next == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return nil, nil
	}
	return k, v
}

// prefixEnd is the first key after every key with prefix, which ends in NUL.
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	end[len(end)-1]++
	return end
}

const dayLayout = "2006-01-02"

func validDay(s string) bool {
	_, err := time.Parse(dayLayout, s)
	return len(s) == len(dayLayout) && err == nil
}

// utcDay files an appointment by the UTC date of its start; Load reads one
// day more than asked, which covers every office time zone.
func utcDay(t time.Time) string {
	return t.UTC().Format(dayLayout)
}
