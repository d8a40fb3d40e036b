// Package store keeps Talon's state and event log in one bbolt file. It,
// the outbox and the statistics, which write inside the store's
// transactions, are the only packages that import bbolt: everything else sees domain.Store, and no bbolt
// type or byte slice leaves a transaction here.
//
// Every Commit is one record of the write-ahead log (wal.go), appended and
// fdatasynced, so a ticket, the counter that gave it its number and the
// event that records it are on disk together or not at all. Checkpoints
// bring the data file up to date with the log in batches (checkpoint.go),
// and a read of the data file checkpoints first.
//
// The bucket tree (values are JSON of the domain types unless noted). The
// records every commit writes live in flat buckets whose keys join a path
// with NUL bytes (shown as ·): a nested bucket per office or day cost each
// commit a page per level (schema 12, BenchmarkHeadroom).
//
//	meta/
//	  schema                      -> schema version, decimal text
//	  log                         -> the write-ahead log's id, 16 bytes, and the offset of the log this file holds up to, 8
//	  settings/<key>              -> value, plain text
//	offices/<office>              -> Office
//	services/<office>/<id>        -> Service
//	windows/<office>/<id>         -> Window
//	operators/<office>/<id>       -> Operator
//	devices/<office>/<id>         -> Device
//	categories/<office>/<id>      -> PriorityCategory
//	accounts/<login>              -> Account with its password hash
//	announcements/<office>/<id>   -> Announcement      (the hall boards' running line)
//	tickets/<office>·<day>·<id>   -> Ticket            (day = Ticket.Day, office-local)
//	tickets/<office>·<day>·<id>·<key> -> IdempotencyKey (a request key of the ticket's day, in its leaf)
//	ticket_day/<office>·<id>      -> day               (finds a ticket of any day)
//	ticket_open/<office>·<id>     -> day               (tickets not yet terminal)
//	ticket_case/<office>/<case> NUL <id> -> day        (tickets by case number, see casenumber.go)
//	appointments/<office>·<day>·<id> -> Appointment    (day = Start in UTC)
//	appointment_day/<office>·<id>    -> day
//	appointment_booked/<office>·<id> -> day            (still booked)
//	ratings/<office>·<day>·<ticket> -> RatingRecord    (day = the ticket's day; the full phone until purged)
//	rating_day/<office>·<ticket>    -> day
//	rating_phone/<office>·<ticket>  -> day             (ratings that still hold a phone)
//	rating_forms/<form>/<version>   -> RatingForm      (the МКГУ forms; one is Current)
//	webhooks/<id>                 -> Webhook           (an integration's subscription, its secret included)
//	sessions/<office>/<window>    -> WindowSession
//	counters/<office>·<day>·<prefix> -> Counter
//	idempotency/<office>·<day>·<key> -> IdempotencyKey (keys of before schema 13, and of a ticket of another day)
//	events/<office>·<seq>         -> Event             (seq: uint64 big-endian)
//	event_time/<office>/<hour>    -> seq               (first event of a UTC hour, see eventtime.go)
//	journal/<chain>·<seq>         -> JournalRecord     (chain: office id, "*" for the region)
//	journal_day/<chain>·<day>     -> seq, 8 bytes      (first record of a UTC day)
//	journal_head/<chain>/<day>    -> JournalHead       (day = office-local, kept at its midnight)
//	region_cursor/<office>        -> seq, 8 bytes      (last event in the office node's stream, see region.go)
//	region_config/<office>        -> revision, 8 bytes (the region's configuration last applied, see region.go)
//	outbox/...                    -> package outbox's tree: messages to other systems
//	stats/...                     -> package stats's tree: rollups of the events, per office
//
// Days are YYYY-MM-DD, so their byte order is their date order, and an
// office's keys, then a day's, are one contiguous range: Load skips old
// days by seeking, without reading them, and goes from one office's range
// to the next by seeking too (eachOffice). The *_open and *_booked indexes
// exist for the same reason: the few tickets and appointments of past days
// that are still alive are found without decoding history. An index entry
// that would not change is not written again.
//
// The journal's indexes let a period query seek to its first day and a
// ticket's history be read without scanning the chain.
//
// Open refuses a file that is truncated, damaged or not Talon's before
// using it, with a sentence saying how to restore it (see check.go): its
// size against what its meta page claims, then every page read once.
//
// The schema version counts the migrations applied; Open runs the missing ones
// in one transaction and refuses a file written by a newer Talon.
package store
