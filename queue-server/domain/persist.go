package domain

import (
	"context"
	"io"
	"time"
)

// Counter is the last ticket number issued for a prefix on an office-local day.
type Counter struct {
	OfficeID string `json:"office_id"`
	Day      string `json:"day"`
	Prefix   string `json:"prefix"`
	Last     int    `json:"last"`
}

// IdempotencyKey remembers which ticket a request key produced or acted on,
// so a retry after a timeout returns the same ticket instead of acting again.
type IdempotencyKey struct {
	OfficeID string `json:"office_id"`
	Key      string `json:"key"`
	Day      string `json:"day"`
	TicketID string `json:"ticket_id"`
	// Request names a ticket action and its target ("finishTicket ticket/…",
	// "callNext window/w1"), so a key cannot replay another request; empty
	// for the issue of a ticket.
	Request string `json:"request,omitempty"`
	// Refusal is the answer of an action refused after it changed state
	// (Error.Finished: a call-next that finished the window's ticket and
	// found nobody to call); TicketID is then the finished ticket.
	Refusal string `json:"refusal,omitempty"`
}

// Kind names a kind of configuration record, for deletions and events.
type Kind string

const (
	KindOffice   Kind = "office"
	KindService  Kind = "service"
	KindWindow   Kind = "window"
	KindOperator Kind = "operator"
	KindDevice   Kind = "device"
	KindCategory Kind = "category"
	KindAccount  Kind = "account"
	// KindAnnouncement is a text of the hall boards' running line.
	KindAnnouncement Kind = "announcement"
	// KindIntegration is another system's access (Integration); its
	// deletions have no office.
	KindIntegration Kind = "integration"
	// KindContact is a phone left for the phone centre (Contact); its id
	// is Contact.RecordID.
	KindContact Kind = "contact"
	// KindWebhook is an integration's subscription; region-wide, so its
	// deletion names no office.
	KindWebhook Kind = "webhook"
)

// Deletion removes one configuration record.
type Deletion struct {
	Kind     Kind   `json:"kind"`
	OfficeID string `json:"office_id"`
	ID       string `json:"id"` // the login for accounts
}

// Changes is what one durable commit writes: events and the records they
// changed, all in one transaction. Records are whole values (upserts).
type Changes struct {
	Events        []Event
	Offices       []Office
	Services      []Service
	Windows       []Window
	Operators     []Operator
	Devices       []Device
	Categories    []PriorityCategory
	Accounts      []Account
	Announcements []Announcement
	Integrations  []Integration
	Contacts      []Contact
	Tickets       []Ticket
	Appointments  []Appointment
	Sessions      []WindowSession
	Counters      []Counter
	Idempotency   []IdempotencyKey
	Settings      map[string]string
	// Ratings are upserts by office and ticket: a new rating, or one whose
	// phone was purged.
	Ratings   []RatingRecord
	Deletions []Deletion
	// Journal continues the audit chains; JournalHeads keeps the heads of
	// days that ended.
	Journal      []JournalRecord
	JournalHeads []JournalHead
	// Outbox holds messages to other systems, delivered after the commit.
	Outbox []OutboxMessage
	// Webhooks are integrations' subscriptions, with their secrets.
	Webhooks []Webhook
}

// Empty reports whether committing c would write nothing.
func (c *Changes) Empty() bool {
	return len(c.Events) == 0 && len(c.Offices) == 0 && len(c.Services) == 0 && len(c.Windows) == 0 &&
		len(c.Operators) == 0 && len(c.Devices) == 0 && len(c.Categories) == 0 && len(c.Accounts) == 0 &&
		len(c.Tickets) == 0 && len(c.Appointments) == 0 && len(c.Sessions) == 0 && len(c.Counters) == 0 &&
		len(c.Idempotency) == 0 && len(c.Settings) == 0 && len(c.Deletions) == 0 &&
		len(c.Journal) == 0 && len(c.JournalHeads) == 0 && len(c.Announcements) == 0 && len(c.Ratings) == 0 && len(c.Outbox) == 0 &&
		len(c.Integrations) == 0 && len(c.Contacts) == 0 &&
		len(c.Webhooks) == 0
}

// Merge appends o to c, so that several operations commit together. A store
// writes upserts before deletions, so a record deleted in c and written again
// in o loses its deletion here: the later write wins, as it did in memory.
func (c *Changes) Merge(o Changes) {
	if len(c.Deletions) > 0 {
		rewritten := o.upserted()
		kept := c.Deletions[:0]
		for _, d := range c.Deletions {
			if !rewritten[d] {
				kept = append(kept, d)
			}
		}
		c.Deletions = kept
	}
	c.Events = append(c.Events, o.Events...)
	c.Offices = append(c.Offices, o.Offices...)
	c.Services = append(c.Services, o.Services...)
	c.Windows = append(c.Windows, o.Windows...)
	c.Operators = append(c.Operators, o.Operators...)
	c.Devices = append(c.Devices, o.Devices...)
	c.Categories = append(c.Categories, o.Categories...)
	c.Accounts = append(c.Accounts, o.Accounts...)
	c.Announcements = append(c.Announcements, o.Announcements...)
	c.Integrations = append(c.Integrations, o.Integrations...)
	c.Contacts = append(c.Contacts, o.Contacts...)
	c.Tickets = append(c.Tickets, o.Tickets...)
	c.Appointments = append(c.Appointments, o.Appointments...)
	c.Sessions = append(c.Sessions, o.Sessions...)
	c.Counters = append(c.Counters, o.Counters...)
	c.Idempotency = append(c.Idempotency, o.Idempotency...)
	c.Ratings = append(c.Ratings, o.Ratings...)
	c.Deletions = append(c.Deletions, o.Deletions...)
	c.Journal = append(c.Journal, o.Journal...)
	c.JournalHeads = append(c.JournalHeads, o.JournalHeads...)
	c.Outbox = append(c.Outbox, o.Outbox...)
	c.Webhooks = append(c.Webhooks, o.Webhooks...)
	for k, v := range o.Settings {
		if c.Settings == nil {
			c.Settings = map[string]string{}
		}
		c.Settings[k] = v
	}
}

// upserted lists the configuration records c writes, as deletions would name them.
func (c *Changes) upserted() map[Deletion]bool {
	m := map[Deletion]bool{}
	for _, x := range c.Offices {
		m[Deletion{KindOffice, x.ID, x.ID}] = true
	}
	for _, x := range c.Services {
		m[Deletion{KindService, x.OfficeID, x.ID}] = true
	}
	for _, x := range c.Windows {
		m[Deletion{KindWindow, x.OfficeID, x.ID}] = true
	}
	for _, x := range c.Operators {
		m[Deletion{KindOperator, x.OfficeID, x.ID}] = true
	}
	for _, x := range c.Devices {
		m[Deletion{KindDevice, x.OfficeID, x.ID}] = true
	}
	for _, x := range c.Categories {
		m[Deletion{KindCategory, x.OfficeID, x.ID}] = true
	}
	for _, x := range c.Accounts {
		m[Deletion{KindAccount, x.OfficeID, x.Login}] = true
	}
	for _, x := range c.Announcements {
		m[Deletion{KindAnnouncement, x.OfficeID, x.ID}] = true
	}
	for _, x := range c.Integrations {
		m[Deletion{KindIntegration, "", x.ID}] = true
	}
	for _, x := range c.Contacts {
		m[Deletion{KindContact, x.OfficeID, x.RecordID()}] = true
	}
	for _, x := range c.Webhooks {
		m[Deletion{Kind: KindWebhook, ID: x.ID}] = true
	}
	return m
}

// State is what the engine starts from after a restart. Tickets, request
// keys and ratings are the bulk of it (a region's busy day holds 300,000
// tickets and four keys each), so they come one record at a time through
// Each, decoded as they are handed over: a restart then needs the memory of
// the engine they fill, not that plus all of them decoded at once. The Each
// fields read the store's transaction and work only inside Store.Load's fn.
type State struct {
	Offices       []Office
	Services      []Service
	Windows       []Window
	Operators     []Operator
	Devices       []Device
	Categories    []PriorityCategory
	Accounts      []Account
	Announcements []Announcement
	Integrations  []Integration
	Contacts      []Contact
	Tickets       Each[Ticket]  // of days from the one asked for, plus every ticket not yet terminal
	Appointments  []Appointment // starting on or after that day, plus every one still booked
	Sessions      []WindowSession
	Counters      []Counter            // of days from the one asked for
	Idempotency   Each[IdempotencyKey] // of days from the one asked for
	Settings      map[string]string
	Ratings       Each[RatingRecord] // of days from the one asked for
	RatingForms   []RatingForm
	Webhooks      []Webhook
	// OfficeSeq is the last event sequence number per office.
	OfficeSeq map[string]uint64
	// JournalLast is the last journal record of each chain, by chain, so
	// the chains continue after a restart.
	JournalLast map[string]JournalRecord
}

// Each calls fn for every record in turn and stops at fn's first error,
// which it returns unchanged; its own errors (a record that cannot be read)
// say which record.
type Each[T any] func(fn func(T) error) error

// Store is the durable home of the event log and the state. Commit is one
// fsynced transaction: after it returns nil everything in it survives a crash;
// after an error nothing of it is there.
type Store interface {
	// Load reads the state and calls fn with it inside one read
	// transaction, where State's Each fields work; sinceDay (YYYY-MM-DD)
	// bounds tickets, counters and idempotency keys to recent days. It
	// returns fn's error unchanged.
	Load(ctx context.Context, sinceDay string, fn func(State) error) error
	Commit(ctx context.Context, c Changes) error
	// Events returns up to limit events of an office with Seq > after, in order.
	Events(ctx context.Context, officeID string, after uint64, limit int) ([]Event, error)
	// EventsFrom returns the sequence after which the office's events at
	// or after t begin, from the log's time index; it may start up to an
	// hour early, so callers filter by At.
	EventsFrom(ctx context.Context, officeID string, t time.Time) (uint64, error)
	// Ticket finds any ticket, also of past days, by id.
	Ticket(ctx context.Context, officeID, ticketID string) (Ticket, error)
	// TicketsByCase finds an office's tickets of any day by case number,
	// newest first.
	TicketsByCase(ctx context.Context, officeID, caseNumber string) ([]Ticket, error)
	// PersonalData returns the appointments of UTC days from fromDay up to,
	// not including, beforeDay that still hold a name or a phone.
	PersonalData(ctx context.Context, fromDay, beforeDay string) ([]Appointment, error)
	// Ratings returns the ratings of an office for the office-local days
	// fromDay to toDay, both included.
	Ratings(ctx context.Context, officeID, fromDay, toDay string) ([]RatingRecord, error)
	// Tickets returns the tickets of an office issued on the days fromDay
	// to toDay, both included.
	Tickets(ctx context.Context, officeID, fromDay, toDay string) ([]Ticket, error)
	// Journal returns records of a chain in order; see JournalQuery.
	Journal(ctx context.Context, chain string, q JournalQuery) ([]JournalRecord, error)
	// Stats reports q from the statistics rollups.
	Stats(ctx context.Context, q StatsQuery) (StatsReport, error)
	// JournalHeads returns the kept daily heads of a chain, oldest first.
	JournalHeads(ctx context.Context, chain string) ([]JournalHead, error)
	// EachJournal calls fn for every record of every chain, each chain in
	// order, for verification; it stops at fn's first error.
	EachJournal(ctx context.Context, fn func(JournalRecord) error) error
	// Backup writes a consistent copy of the whole database while it is in use.
	Backup(ctx context.Context, w io.Writer) (int64, error)
	Close() error
}
