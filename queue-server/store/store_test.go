package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// everything is one record of every kind, and the state Load returns for it.
func everything() (domain.Changes, loaded) {
	day := "2026-11-23"
	t1 := ticket("t1", day, domain.StatusWaiting)
	t1.PriorityCategoryID, t1.PriorityLevel, t1.VerifiedBy = "veteran", 3, "hall"
	t1.AppointmentAt = ptr(at(day, "10:00"))
	t2 := ticket("t2", day, domain.StatusDone)
	t2.CalledAt, t2.FinishedAt = ptr(at(day, "09:05")), ptr(at(day, "09:20"))
	t2.WindowID, t2.WindowNumber, t2.OperatorID = "w1", 1, "op1"
	t2.ReturnTo = &domain.ReturnPoint{ServiceID: "passport", WindowID: "w1"}
	week := domain.Week{1: {Open: "08:00", Close: "20:00"}}
	c := domain.Changes{
		Offices: []domain.Office{{ID: testOffice, Name: "МФЦ Центральный", TimeZone: "Europe/Moscow", Hours: week,
			OKATO: "45286555000", MKGUVendorID: "v1", MDMUID: "m1", CheckInEarlyMinutes: 60, CheckInLateMinutes: 20, DefaultServiceMinutes: 12}},
		Services: []domain.Service{
			{ID: "docs", OfficeID: testOffice, IsGroup: true, Name: "Документы"},
			{ID: "passport", OfficeID: testOffice, ParentID: "docs", Name: "Паспорт РФ", Prefix: "А", Purpose: domain.PurposeSubmit,
				WaitNormMinutes: 15, FRGU: domain.FRGU{AuthorityID: "1", ServiceID: "2"}, Hours: &week, SlotMinutes: 15, SlotCapacity: 2},
		},
		Windows:    []domain.Window{{ID: "w1", OfficeID: testOffice, Number: 1, Name: "Окно 1", ServiceIDs: []string{"passport"}}},
		Operators:  []domain.Operator{{ID: "op1", OfficeID: testOffice, Login: "operator1", FullName: "Петрова А. А.", Skills: []domain.Skill{{ServiceID: "passport", Weight: 2}}}},
		Devices:    []domain.Device{{ID: "r1", OfficeID: testOffice, Kind: domain.DeviceRating, WindowID: "w1", CredentialHash: "c0ffee", PairingCodeHash: "beef"}},
		Categories: []domain.PriorityCategory{{ID: "veteran", OfficeID: testOffice, Name: "Ветераны ВОВ", Level: 3}},
		Announcements: []domain.Announcement{{ID: "night", OfficeID: testOffice, Text: "Ночью выдача документов не ведётся", Enabled: true,
			Order: 2, From: ptr(at(day, "00:00")), Weekdays: []int{1, 7}, DailyFrom: "22:00", DailyUntil: "06:00", UpdatedAt: at(day, "07:00")}},
		Accounts: []domain.Account{
			{Login: "admin", Role: domain.RoleAdmin, PasswordHash: "$2a$10$hash", Version: 2},
			{Login: "operator1", Role: domain.RoleOperator, OfficeID: testOffice, OperatorID: "op1", PasswordHash: "$2a$10$other", Version: 1,
				CardHash: domain.HashSecret("TSC1-CARD"), CardIssuedAt: ptr(at(day, "07:30"))},
		},
		Tickets:      []domain.Ticket{t1, t2},
		Appointments: []domain.Appointment{appointment("a1", at(day, "10:00"), domain.AppointmentBooked)},
		Sessions: []domain.WindowSession{{OfficeID: testOffice, WindowID: "w1", OperatorID: "op1", Status: domain.WindowOpen,
			OpenedAt: ptr(at(day, "08:00")), CurrentTicketID: "t2"}},
		Counters:    []domain.Counter{{OfficeID: testOffice, Day: day, Prefix: "А", Last: 2}},
		Idempotency: []domain.IdempotencyKey{{OfficeID: testOffice, Key: "k-1", Day: day, TicketID: "t1"}},
		Settings:    map[string]string{"region": "77", "theme": "dark"},
		Events:      []domain.Event{event(1, t1), event(2, t2)},
		Journal:     chain(testOffice, domain.JournalRecord{}, "09:00", "09:05"),
		Ratings:     []domain.RatingRecord{ratingRecord("t1", day, "+79161234567")},
	}
	c.Journal = append(c.Journal, chain(domain.RegionChain, domain.JournalRecord{}, "08:00")...)
	want := loaded{State: domain.State{
		Offices: c.Offices, Services: c.Services, Windows: c.Windows, Operators: c.Operators, Devices: c.Devices,
		Categories: c.Categories, Accounts: c.Accounts, Announcements: c.Announcements, Appointments: c.Appointments,
		Sessions: c.Sessions, Counters: c.Counters, Settings: c.Settings, RatingForms: []domain.RatingForm{mkguForm004()},
		OfficeSeq:   map[string]uint64{testOffice: 2},
		JournalLast: map[string]domain.JournalRecord{testOffice: c.Journal[1], domain.RegionChain: c.Journal[2]},
	}, Tickets: c.Tickets, Idempotency: c.Idempotency, Ratings: c.Ratings}
	return c, want
}

func TestRoundTripEveryKind(t *testing.T) {
	s, _ := openTest(t)
	c, want := everything()
	commit(t, s, c)
	sameJSON(t, "state", load(t, s, ""), want)
	// The password hash is not part of the Account JSON; it must survive anyway.
	if got := load(t, s, "").Accounts[0].PasswordHash; got != "$2a$10$hash" {
		t.Errorf("password hash = %q after a round trip", got)
	}
	// So is the staff card's; an account without a card reads without one.
	if got := load(t, s, "").Accounts; got[1].CardHash != domain.HashSecret("TSC1-CARD") || got[0].CardHash != "" || got[0].CardIssuedAt != nil {
		t.Errorf("card hashes after a round trip: %q, %q", got[0].CardHash, got[1].CardHash)
	}
	events, err := s.Events(context.Background(), testOffice, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "events", events, c.Events)
}

func TestEmptyStoreLoads(t *testing.T) {
	s, _ := openTest(t)
	st := load(t, s, "2026-11-23")
	if st.Settings == nil || st.OfficeSeq == nil || len(st.Offices)+len(st.Tickets) != 0 {
		t.Errorf("empty store loaded %+v, want nothing with non-nil maps", st)
	}
}

func TestLaterRecordsReplaceAndDeletionsRemove(t *testing.T) {
	s, _ := openTest(t)
	c, _ := everything()
	commit(t, s, c)
	moved := appointment("a1", at("2026-11-26", "11:00"), domain.AppointmentBooked)
	renamed := c.Services[1]
	renamed.Name = "Паспорт гражданина РФ"
	commit(t, s, domain.Changes{
		Services:     []domain.Service{renamed},
		Appointments: []domain.Appointment{moved},
		Settings:     map[string]string{"theme": ""},
		Deletions: []domain.Deletion{
			{Kind: domain.KindWindow, OfficeID: testOffice, ID: "w1"},
			{Kind: domain.KindAccount, ID: "admin"},
			{Kind: domain.KindDevice, OfficeID: testOffice, ID: "r1"},
			{Kind: domain.KindCategory, OfficeID: testOffice, ID: "nonexistent"},
			{Kind: domain.KindAnnouncement, OfficeID: testOffice, ID: "night"},
		},
	})
	st := load(t, s, "")
	sameJSON(t, "services", st.Services, []domain.Service{c.Services[0], renamed})
	sameJSON(t, "appointments (moved to another day, stored once)", st.Appointments, []domain.Appointment{moved})
	sameJSON(t, "settings", st.Settings, map[string]string{"region": "77"})
	if len(st.Windows) != 0 || len(st.Devices) != 0 || len(st.Accounts) != 1 || st.Accounts[0].Login != "operator1" || len(st.Announcements) != 0 {
		t.Errorf("after deletions: windows %v, devices %v, accounts %v, announcements %v", st.Windows, st.Devices, st.Accounts, st.Announcements)
	}
	commit(t, s, domain.Changes{Deletions: []domain.Deletion{{Kind: domain.KindOffice, OfficeID: testOffice}}})
	if st := load(t, s, ""); len(st.Offices) != 0 {
		t.Errorf("office still there after its deletion: %v", st.Offices)
	}
}

func TestLoadSinceDay(t *testing.T) {
	s, _ := openTest(t)
	c := domain.Changes{Tickets: []domain.Ticket{
		ticket("old-done", "2026-11-20", domain.StatusDone),
		ticket("old-waiting", "2026-11-20", domain.StatusWaiting),
		ticket("old-postponed", "2026-11-21", domain.StatusPostponed),
		ticket("old-cancelled", "2026-11-21", domain.StatusCancelled),
		ticket("closing", "2026-11-21", domain.StatusServing),
		ticket("yesterday", "2026-11-22", domain.StatusNoShow),
		ticket("today", "2026-11-23", domain.StatusDone),
	}}
	for _, d := range []string{"2026-11-21", "2026-11-22", "2026-11-23"} {
		c.Counters = append(c.Counters, domain.Counter{OfficeID: testOffice, Day: d, Prefix: "А", Last: 5})
		c.Idempotency = append(c.Idempotency, domain.IdempotencyKey{OfficeID: testOffice, Key: "k" + d, Day: d, TicketID: "x"})
	}
	c.Appointments = []domain.Appointment{
		appointment("long-ago-booked", at("2026-11-01", "10:00"), domain.AppointmentBooked),
		appointment("long-ago-done", at("2026-11-01", "10:00"), domain.AppointmentCheckedIn),
		// 01:30 Moscow time on the 23rd is still the 22nd in UTC.
		appointment("early-moscow", time.Date(2026, 11, 23, 1, 30, 0, 0, time.FixedZone("MSK", 3*3600)), domain.AppointmentCancelled),
		appointment("day-before-utc", at("2026-11-21", "12:00"), domain.AppointmentCancelled),
		appointment("future", at("2026-12-01", "10:00"), domain.AppointmentBooked),
	}
	// Keys of a ticket of their own day are kept beside it; one acting on a
	// ticket of an older day is kept by its own day.
	c.Idempotency = append(c.Idempotency,
		domain.IdempotencyKey{OfficeID: testOffice, Key: "beside-yesterday", Day: "2026-11-22", TicketID: "yesterday"},
		domain.IdempotencyKey{OfficeID: testOffice, Key: "beside-today", Day: "2026-11-23", TicketID: "today"},
		domain.IdempotencyKey{OfficeID: testOffice, Key: "old-called-today", Day: "2026-11-23", TicketID: "old-waiting"})
	commit(t, s, c)
	// A ticket that ends after its day leaves the set of old tickets still alive.
	commit(t, s, domain.Changes{Tickets: []domain.Ticket{ticket("closing", "2026-11-21", domain.StatusCancelled)}})

	tests := []struct {
		since                         string
		tickets, counters, appts, idk map[string]bool
	}{
		{
			since:    "",
			tickets:  set("old-done", "old-waiting", "old-postponed", "old-cancelled", "closing", "yesterday", "today"),
			counters: set("2026-11-21", "2026-11-22", "2026-11-23"),
			appts:    set("long-ago-booked", "long-ago-done", "early-moscow", "day-before-utc", "future"),
			idk:      set("k2026-11-21", "k2026-11-22", "k2026-11-23", "beside-yesterday", "beside-today", "old-called-today"),
		},
		{
			since:    "2026-11-23",
			tickets:  set("old-waiting", "old-postponed", "today"),
			counters: set("2026-11-23"),
			appts:    set("long-ago-booked", "early-moscow", "future"),
			idk:      set("k2026-11-23", "beside-today", "old-called-today"),
		},
		{
			since:    "2026-11-22",
			tickets:  set("old-waiting", "old-postponed", "yesterday", "today"),
			counters: set("2026-11-22", "2026-11-23"),
			appts:    set("long-ago-booked", "early-moscow", "day-before-utc", "future"),
			idk:      set("k2026-11-22", "k2026-11-23", "beside-yesterday", "beside-today", "old-called-today"),
		},
		{
			since:    "2027-01-01",
			tickets:  set("old-waiting", "old-postponed"),
			counters: set(),
			appts:    set("long-ago-booked", "future"),
			idk:      set(),
		},
	}
	for _, tt := range tests {
		t.Run("since "+tt.since, func(t *testing.T) {
			st := load(t, s, tt.since)
			sameJSON(t, "tickets", ticketIDs(st.Tickets), tt.tickets)
			sameJSON(t, "counter days", keysOf(st.Counters, func(c domain.Counter) string { return c.Day }), tt.counters)
			sameJSON(t, "appointments", keysOf(st.Appointments, func(a domain.Appointment) string { return a.ID }), tt.appts)
			sameJSON(t, "idempotency keys", keysOf(st.Idempotency, func(k domain.IdempotencyKey) string { return k.Key }), tt.idk)
		})
	}
}

func TestLoadRefusesBadDay(t *testing.T) {
	s, _ := openTest(t)
	for _, day := range []string{"23.11.2026", "2026-11-3", "2026-13-01", "yesterday"} {
		if err := s.Load(context.Background(), day, func(domain.State) error { return nil }); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("Load(%q) = %v, want an invalid error", day, err)
		}
	}
}

func TestCommitRefusesAndWritesNothing(t *testing.T) {
	day := "2026-11-23"
	base := ticket("t1", day, domain.StatusWaiting)
	probe := ticket("probe", day, domain.StatusWaiting) // must not appear after a refused commit
	withProbe := func(c domain.Changes) domain.Changes {
		c.Tickets = append(c.Tickets, probe)
		c.Settings = map[string]string{"probe": "1"}
		return c
	}
	tests := []struct {
		name string
		c    domain.Changes
	}{
		{"sequence gap", domain.Changes{Events: []domain.Event{event(3, probe)}}},
		{"sequence repeat", domain.Changes{Events: []domain.Event{event(1, probe)}}},
		{"gap inside the batch", domain.Changes{Events: []domain.Event{event(2, probe), event(4, probe)}}},
		{"sequence zero", domain.Changes{Events: []domain.Event{event(0, probe)}}},
		{"event without office", domain.Changes{Events: []domain.Event{{Seq: 2, Type: domain.EventTicketIssued}}}},
		{"event without type", domain.Changes{Events: []domain.Event{{Seq: 2, OfficeID: testOffice}}}},
		{"counter goes back", domain.Changes{Counters: []domain.Counter{{OfficeID: testOffice, Day: day, Prefix: "А", Last: 0}}}},
		{"counter goes back inside the batch", domain.Changes{Counters: []domain.Counter{
			{OfficeID: testOffice, Day: day, Prefix: "Б", Last: 4}, {OfficeID: testOffice, Day: day, Prefix: "Б", Last: 3}}}},
		{"ticket with a bad day", domain.Changes{Tickets: []domain.Ticket{{ID: "t9", OfficeID: testOffice, Day: "23.11.2026"}}}},
		{"ticket without office", domain.Changes{Tickets: []domain.Ticket{{ID: "t9", Day: day}}}},
		{"service without office", domain.Changes{Services: []domain.Service{{ID: "s"}}}},
		{"account without login", domain.Changes{Accounts: []domain.Account{{Role: domain.RoleAdmin}}}},
		{"session without window", domain.Changes{Sessions: []domain.WindowSession{{OfficeID: testOffice}}}},
		{"idempotency without ticket", domain.Changes{Idempotency: []domain.IdempotencyKey{{OfficeID: testOffice, Key: "k", Day: day}}}},
		{"deletion of an unknown kind", domain.Changes{Deletions: []domain.Deletion{{Kind: "ticket", OfficeID: testOffice, ID: "t1"}}}},
		{"deletion without office", domain.Changes{Deletions: []domain.Deletion{{Kind: domain.KindService, ID: "passport"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTest(t)
			commit(t, s, issue(1, base, 1))
			before := load(t, s, "")
			err := s.Commit(context.Background(), withProbe(tt.c))
			if !errors.Is(err, ErrRefused) || domain.ErrorCode(err) != domain.CodeInternal {
				t.Fatalf("Commit = %v, want an internal error wrapping ErrRefused", err)
			}
			sameJSON(t, "state after a refused commit", load(t, s, ""), before)
		})
	}
}

func TestCommitAcceptsSequencesOfSeveralOffices(t *testing.T) {
	s, _ := openTest(t)
	a, b := ticket("a", "2026-11-23", domain.StatusWaiting), ticket("b", "2026-11-23", domain.StatusWaiting)
	b.OfficeID = "north"
	var c domain.Changes
	c.Merge(issue(1, a, 1))
	c.Merge(issue(1, b, 1))
	c.Merge(domain.Changes{Events: []domain.Event{event(2, a), event(2, b), event(3, b)}})
	commit(t, s, c)
	sameJSON(t, "office sequences", load(t, s, "").OfficeSeq, map[string]uint64{testOffice: 2, "north": 3})
	commit(t, s, domain.Changes{Events: []domain.Event{event(3, a)}})
	if got := load(t, s, "").OfficeSeq[testOffice]; got != 3 {
		t.Errorf("sequence after the next commit = %d, want 3", got)
	}
}

// Load hands tickets over one at a time inside its transaction: fn's
// error comes back unchanged, a cancelled context stops the walk, a record
// that cannot be read is named, and the records are not read once Load
// has returned.
func TestLoadStreamsTheBulk(t *testing.T) {
	s, _ := openTest(t)
	for i, id := range []string{"t1", "t2", "t3"} {
		commit(t, s, issue(uint64(i+1), ticket(id, "2026-11-23", domain.StatusWaiting), i+1))
	}
	stop := errors.New("the engine's own error")
	if err := s.Load(context.Background(), "", func(domain.State) error { return stop }); err != stop {
		t.Errorf("fn's error came back as %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen []string
	err := s.Load(ctx, "", func(st domain.State) error {
		return st.Tickets(func(tk domain.Ticket) error {
			seen = append(seen, tk.ID)
			cancel()
			return nil
		})
	})
	if !errors.Is(err, context.Canceled) || len(seen) != 1 {
		t.Errorf("cancelled after the first ticket: %v, saw %v", err, seen)
	}

	var kept domain.Each[domain.Ticket]
	if err := s.Load(context.Background(), "", func(st domain.State) error {
		kept = st.Tickets
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := kept(func(domain.Ticket) error { return nil }); err == nil {
		t.Error("tickets read after Load returned")
	}

	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTickets).Put(flatKey(testOffice, "2026-11-23", "t2"), []byte("{"))
	}); err != nil {
		t.Fatal(err)
	}
	err = s.Load(context.Background(), "", func(st domain.State) error {
		return st.Tickets(func(domain.Ticket) error { return nil })
	})
	if err == nil || !strings.Contains(err.Error(), "tickets/central/2026-11-23/t2") {
		t.Errorf("a broken ticket: %v, want its key named", err)
	}
}

func TestCommitCancelledContextWritesNothing(t *testing.T) {
	s, _ := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Commit(ctx, issue(1, ticket("t1", "2026-11-23", domain.StatusWaiting), 1))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit with a cancelled context = %v", err)
	}
	if st := load(t, s, ""); len(st.Tickets) != 0 {
		t.Errorf("tickets written despite cancellation: %v", st.Tickets)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	s, path := openTest(t)
	c, want := everything()
	commit(t, s, c)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "state after reopening", load(t, openAt(t, path), ""), want)
}

func TestOpenTwiceIsRefused(t *testing.T) {
	_, path := openTest(t)
	s, err := Open(path, Options{LockTimeout: 50 * time.Millisecond})
	if err == nil {
		_ = s.Close()
		t.Fatal("a second Open of the same file succeeded")
	}
	if !errors.Is(err, ErrInUse) || domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Errorf("second Open = %v, want an unavailable error wrapping ErrInUse", err)
	}
	if msg := domain.ErrorMessage(err); !strings.Contains(msg, "уже используется") {
		t.Errorf("message %q does not say the folder is in use", msg)
	}
}

func TestOpenRefusesAForeignFile(t *testing.T) {
	path := t.TempDir() + "/talon.db"
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{LockTimeout: 50 * time.Millisecond})
	if err == nil {
		_ = s.Close()
		t.Fatal("Open accepted a text file")
	}
	if !errors.Is(err, ErrNotDataFile) {
		t.Errorf("Open of a text file = %v, want ErrNotDataFile", err)
	}
}

func TestEventsPaging(t *testing.T) {
	s, _ := openTest(t)
	tk := ticket("t", "2026-11-23", domain.StatusWaiting)
	for batch := range 5 {
		var c domain.Changes
		for i := range 5 {
			c.Events = append(c.Events, event(uint64(batch*5+i+1), tk))
		}
		commit(t, s, c)
	}
	tests := []struct {
		office string
		after  uint64
		limit  int
		want   string
	}{
		{testOffice, 0, 3, "1 2 3 "},
		{testOffice, 3, 3, "4 5 6 "},
		{testOffice, 22, 10, "23 24 25 "},
		{testOffice, 25, 10, ""},
		{testOffice, 1 << 63, 10, ""},
		{testOffice, ^uint64(0), 10, ""},
		{"elsewhere", 0, 10, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s after %d limit %d", tt.office, tt.after, tt.limit), func(t *testing.T) {
			got, err := s.Events(context.Background(), tt.office, tt.after, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || seqs(got) != tt.want {
				t.Errorf("sequences %q (nil: %t), want %q", seqs(got), got == nil, tt.want)
			}
		})
	}
	if _, err := s.Events(context.Background(), testOffice, 0, 0); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("Events with limit 0 = %v, want an invalid error", err)
	}
}

func TestTicketAcrossDays(t *testing.T) {
	s, _ := openTest(t)
	old := ticket("t-old", "2026-10-01", domain.StatusDone)
	today := ticket("t-today", "2026-11-23", domain.StatusWaiting)
	commit(t, s, domain.Changes{Tickets: []domain.Ticket{old, today}})
	today.Status = domain.StatusCalled
	commit(t, s, domain.Changes{Tickets: []domain.Ticket{today}})

	for _, want := range []domain.Ticket{old, today} {
		got, err := s.Ticket(context.Background(), testOffice, want.ID)
		if err != nil {
			t.Fatalf("Ticket(%s): %v", want.ID, err)
		}
		sameJSON(t, "ticket "+want.ID, got, want)
	}
	for _, tt := range []struct{ office, id string }{{testOffice, "nope"}, {"elsewhere", "t-old"}} {
		_, err := s.Ticket(context.Background(), tt.office, tt.id)
		if domain.ErrorCode(err) != domain.CodeNotFound || !strings.Contains(domain.ErrorMessage(err), "не найден") {
			t.Errorf("Ticket(%s, %s) = %v, want not found", tt.office, tt.id, err)
		}
	}
}

func TestDiskProblemsReadForPeople(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code domain.Code
		says string
	}{
		{"disk full", &fs.PathError{Op: "write", Path: "talon.db", Err: syscall.ENOSPC}, domain.CodeUnavailable, "нет места"},
		{"disk full, errno lost by %s", fmt.Errorf("file resize error: %s", syscall.ENOSPC), domain.CodeUnavailable, "нет места"},
		{"quota", syscall.EDQUOT, domain.CodeUnavailable, "нет места"},
		{"read-only disk", syscall.EROFS, domain.CodeUnavailable, "только для чтения"},
		{"broken disk", syscall.EIO, domain.CodeUnavailable, "ввода-вывода"},
		{"no permission", &fs.PathError{Op: "open", Path: "/var/lib/talon", Err: syscall.EACCES}, domain.CodeUnavailable, "нет прав"},
		{"anything else", errors.New("page 7: unreachable"), domain.CodeInternal, "внутренняя ошибка"},
		{"already a domain error", domain.Errorf(domain.CodeNotFound, "талон X не найден"), domain.CodeNotFound, "талон X"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wrap("commit", tt.err)
			if domain.ErrorCode(err) != tt.code || !strings.Contains(domain.ErrorMessage(err), tt.says) {
				t.Errorf("wrap(%v) = %v (%s), want %s saying %q", tt.err, err, domain.ErrorMessage(err), tt.code, tt.says)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("wrap(%v) lost the cause", tt.err)
			}
		})
	}
}

// TestRequestKeysBesideTheirTickets: a key of a ticket written in the same
// commit, of the ticket's day, lives in the ticket's range of the tickets
// bucket and nowhere else, and no reader of tickets takes it for one.
func TestRequestKeysBesideTheirTickets(t *testing.T) {
	s, path := openTest(t)
	const day = "2026-11-23"
	tk := ticket("t1", day, domain.StatusWaiting)
	tk.CaseNumber = "C-1"
	key := domain.IdempotencyKey{OfficeID: testOffice, Key: "k1", Day: day, TicketID: "t1", Request: "issue"}
	commit(t, s, domain.Changes{Tickets: []domain.Ticket{tk}, Events: []domain.Event{event(1, tk)}, Idempotency: []domain.IdempotencyKey{key}})
	ctx := context.Background()
	ts, err := s.Tickets(ctx, testOffice, day, day)
	sameJSON(t, "tickets of the day", ts, []domain.Ticket{tk})
	if err != nil {
		t.Error(err)
	}
	byCase, err := s.TicketsByCase(ctx, testOffice, "C-1")
	sameJSON(t, "tickets by case", byCase, []domain.Ticket{tk})
	if err != nil {
		t.Error(err)
	}
	st := load(t, s, day)
	sameJSON(t, "loaded tickets", st.Tickets, []domain.Ticket{tk})
	sameJSON(t, "loaded keys", st.Idempotency, []domain.IdempotencyKey{key})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	inspect(t, path, func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketIdempotency).Cursor().First(); k != nil {
			return fmt.Errorf("the idempotency bucket holds %q", k)
		}
		if tx.Bucket(bucketTickets).Get(flatKey(testOffice, day, "t1", "k1")) == nil {
			return errors.New("no key beside ticket t1")
		}
		return nil
	})
}
