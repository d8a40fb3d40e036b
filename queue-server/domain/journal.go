package domain

import (
	"context"
	"time"
)

// RegionChain is the chain of region-wide administration: region admin
// accounts, backups, offices created, failed logins of unknown logins.
const RegionChain = ""

// Journal results besides the error codes of refusals.
const JournalOK = "ok"

// JournalRecord is one entry of the audit journal: who did what, when, from
// where, and how it ended. Records form hash chains, one per office and one
// for the region (Chain ""); Seq is gap-free per chain from 1, and PrevHash is
// the Hash of the record before (empty for the first). Package journal
// documents how Hash is computed.
type JournalRecord struct {
	Chain    string    `json:"chain"`
	Seq      uint64    `json:"seq"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`             // login, or "system"
	Role     Role      `json:"role,omitempty"`    // empty for a login that does not exist
	Device   string    `json:"device,omitempty"`  // device id when the actor is a device
	Address  string    `json:"address,omitempty"` // client address
	Action   string    `json:"action"`            // the OpenAPI operation id, e.g. issueTicket
	OfficeID string    `json:"office_id,omitempty"`
	TicketID string    `json:"ticket_id,omitempty"`
	Object   string    `json:"object,omitempty"`  // e.g. window/w1, account/bob
	Result   string    `json:"result"`            // JournalOK or the refusal's error code
	Message  string    `json:"message,omitempty"` // the refusal sentence
	PrevHash string    `json:"prev_hash"`
	Hash     string    `json:"hash"`
}

// JournalHead is the last record of a chain at the end of an office-local
// day, kept so that an auditor can compare it with what was logged then.
type JournalHead struct {
	Chain string    `json:"chain"`
	Day   string    `json:"day"` // YYYY-MM-DD, office-local
	Seq   uint64    `json:"seq"`
	Hash  string    `json:"hash"`
	At    time.Time `json:"at"` // when the head was taken
}

// JournalHeads lists a chain's daily heads and its current last record.
type JournalHeads struct {
	Days    []JournalHead `json:"days"`
	Current JournalHead   `json:"current"`
}

// JournalQuery selects records of one chain; zero fields match everything.
type JournalQuery struct {
	From, To time.Time // At in [From, To)
	Actor    string
	TicketID string
	Limit    int // at most this many, the oldest first; 0: the store's cap
}

// JournalEntry is an action recorded from outside the queue's operations:
// logins and backups, which the API performs. The actor and address come
// from the context.
type JournalEntry struct {
	Action   string `json:"action"`
	OfficeID string `json:"office_id,omitempty"`
	Object   string `json:"object,omitempty"`
	// Err is the refusal, nil for success.
	Err error `json:"-"`
}

// Journal reads and appends to the audit journal. officeID "" means the
// region chain.
type Journal interface {
	ListJournal(ctx context.Context, officeID string, q JournalQuery) ([]JournalRecord, error)
	JournalHeads(ctx context.Context, officeID string) (JournalHeads, error)
	// ExportJournal is ListJournal recorded as an export (format csv).
	ExportJournal(ctx context.Context, officeID string, q JournalQuery) ([]JournalRecord, error)
	Record(ctx context.Context, e JournalEntry) error
}

type originKey struct{}

// WithOrigin returns a context that carries the client's address.
func WithOrigin(ctx context.Context, address string) context.Context {
	return context.WithValue(ctx, originKey{}, address)
}

// OriginFrom returns the client's address in ctx, or "".
func OriginFrom(ctx context.Context) string {
	s, _ := ctx.Value(originKey{}).(string)
	return s
}
