package queue

import (
	"context"
	"errors"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
	"github.com/talonqueue/talon/queue-server/journal"
)

var _ domain.Journal = (*Service)(nil)

// entry says what a write operation is, for its journal record. The
// operation's closure may fill in what only the engine knows (which chain a
// login belongs to, whether an office is new).
type entry struct {
	action   string // the OpenAPI operation id
	officeID string // the office the action concerns; "" for the region
	ticketID string // when known from the arguments; else from a Ticket result
	object   string // e.g. window/w1; else from an Appointment result
	region   bool   // journal in the region chain even though officeID is set
	// outcome is the result of an action done outside the queue (Record).
	outcome error
	// tick journals each event of the change, done by the system.
	tick bool
	// as is who acted when only the engine can tell: a device pairing itself.
	as *domain.Actor
	// also is a second record, by the same actor, of a part of the
	// operation that failed without refusing it (a rating stored but not
	// exported); its outcome is that failure.
	also *entry
}

// chains are the journal's heads as the writer continues them.
type chains struct {
	last map[string]domain.JournalRecord
	// day is the office-local day of each chain's head; when it ends, the
	// head is kept in the store and logged.
	day  map[string]string
	locs map[string]*time.Location // by time zone name
}

func journaledRefusal(err error) bool {
	c := domain.ErrorCode(err)
	return c == domain.CodeUnauthorized || c == domain.CodeForbidden
}

// loadChains replaces the heads with the stored ones; it needs the engine.
func (s *Service) loadChains(last map[string]domain.JournalRecord) {
	s.chains = chains{last: map[string]domain.JournalRecord{}, day: map[string]string{}, locs: map[string]*time.Location{}}
	for chain, r := range last {
		s.chains.last[chain] = r
		s.chains.day[chain] = r.At.In(s.location(chain)).Format(time.DateOnly)
	}
}

// location is the time zone a chain's days are counted in: its office's,
// or UTC for the region chain and offices that are gone.
func (s *Service) location(chain string) *time.Location {
	if chain == domain.RegionChain {
		return time.UTC
	}
	o, err := s.eng.GetOffice(domain.System, chain)
	if err != nil {
		return time.UTC
	}
	if loc := s.chains.locs[o.TimeZone]; loc != nil {
		return loc
	}
	loc, err := o.Location(s.cfg.TZ)
	if err != nil {
		return time.UTC
	}
	s.chains.locs[o.TimeZone] = loc
	return loc
}

// journal appends the records of one operation to ch; err is its refusal.
func (s *Service) journal(o op, v any, err error, ch *domain.Changes) {
	if s.opts.NoJournal || o.en == nil {
		return
	}
	a := actor(o.ctx)
	if o.en.as != nil {
		a = *o.en.as
	}
	base := domain.JournalRecord{At: s.opts.Now().UTC(), Actor: a.Login, Role: a.Role, Device: a.DeviceID, Address: domain.OriginFrom(o.ctx)}
	if o.en.tick {
		for _, ev := range ch.Events {
			r := base
			r.Chain, r.OfficeID, r.TicketID, r.Result = ev.OfficeID, ev.OfficeID, ev.TicketID, domain.JournalOK
			r.Action = "closeDay"
			if ev.Type == domain.EventTicketReturned {
				r.Action = "returnPostponed"
			}
			if ev.WindowID != "" && ev.TicketID == "" {
				r.Object = "window/" + ev.WindowID
			}
			s.link(ch, r)
		}
		return
	}
	en := *o.en
	switch x := v.(type) {
	case domain.Ticket:
		if en.ticketID == "" {
			en.ticketID = x.ID
		}
	case domain.Appointment:
		if en.object == "" {
			en.object = "appointment/" + x.ID
		}
	}
	if en.outcome != nil {
		err = en.outcome
	}
	if de := (*domain.Error)(nil); errors.As(err, &de) && de.Finished != nil && en.ticketID == "" {
		en.ticketID = de.Finished.ID
	}
	r := base
	r.Chain, r.Action, r.OfficeID, r.TicketID, r.Object = en.officeID, en.action, en.officeID, en.ticketID, en.object
	if en.region {
		r.Chain = domain.RegionChain
	}
	r.Result, r.Message = journal.Result(err)
	s.link(ch, r)
	if a := en.also; a != nil && err == nil {
		r := base
		r.Chain, r.Action, r.OfficeID, r.TicketID, r.Object = a.officeID, a.action, a.officeID, a.ticketID, a.object
		r.Result, r.Message = journal.Result(a.outcome)
		s.link(ch, r)
	}
}

// link continues r's chain with it.
func (s *Service) link(ch *domain.Changes, r domain.JournalRecord) {
	r = journal.Link(s.chains.last[r.Chain], r)
	if _, ok := s.chains.last[r.Chain]; !ok {
		s.chains.day[r.Chain] = r.At.In(s.location(r.Chain)).Format(time.DateOnly)
	}
	s.chains.last[r.Chain] = r
	ch.Journal = append(ch.Journal, r)
}

// keepHeads adds to ch the head of every chain whose day has ended.
func (s *Service) keepHeads(ch *domain.Changes) {
	if s.opts.NoJournal {
		return
	}
	now := s.opts.Now()
	for chain, last := range s.chains.last {
		today := now.In(s.location(chain)).Format(time.DateOnly)
		if day := s.chains.day[chain]; day < today {
			ch.JournalHeads = append(ch.JournalHeads, domain.JournalHead{Chain: chain, Day: day, Seq: last.Seq, Hash: last.Hash, At: now.UTC()})
			s.chains.day[chain] = today
		}
	}
}

// logHeads writes the heads of ended days to the log once they are stored,
// so the log holds a copy the database alone cannot rewrite.
func (s *Service) logHeads(heads []domain.JournalHead) {
	for _, h := range heads {
		s.log.Info("journal: day closed", "chain", journal.ChainName(h.Chain), "day", h.Day, "seq", h.Seq, "hash", h.Hash)
	}
}

// ListJournal returns records of an office's chain, or of the region's for "".
func (s *Service) ListJournal(ctx context.Context, officeID string, q domain.JournalQuery) ([]domain.JournalRecord, error) {
	if _, err := read(s, func(e *engine.Engine) (struct{}, error) {
		return struct{}{}, e.AuthorizeJournal(actor(ctx), officeID)
	}); err != nil {
		return nil, err
	}
	return s.store.Journal(ctx, officeID, q)
}

// ExportJournal is ListJournal recorded in the journal: an export takes the
// records out of the server, so it is an action of its own.
func (s *Service) ExportJournal(ctx context.Context, officeID string, q domain.JournalQuery) ([]domain.JournalRecord, error) {
	en := &entry{action: "exportJournal", officeID: officeID, object: "journal/" + journal.ChainName(officeID)}
	if _, err := write(ctx, s, en, func(e *engine.Engine, _ *domain.Changes) (struct{}, error) {
		return struct{}{}, e.AuthorizeJournal(actor(ctx), officeID)
	}); err != nil {
		return nil, err
	}
	return s.store.Journal(ctx, officeID, q)
}

// JournalHeads lists the kept daily heads of a chain and its current head.
func (s *Service) JournalHeads(ctx context.Context, officeID string) (domain.JournalHeads, error) {
	cur, err := read(s, func(e *engine.Engine) (domain.JournalHead, error) {
		if err := e.AuthorizeJournal(actor(ctx), officeID); err != nil {
			return domain.JournalHead{}, err
		}
		last := s.chains.last[officeID]
		return domain.JournalHead{Chain: officeID, Day: s.chains.day[officeID], Seq: last.Seq, Hash: last.Hash, At: last.At}, nil
	})
	if err != nil {
		return domain.JournalHeads{}, err
	}
	days, err := s.store.JournalHeads(ctx, officeID)
	if err != nil {
		return domain.JournalHeads{}, err
	}
	if days == nil {
		days = []domain.JournalHead{}
	}
	return domain.JournalHeads{Days: days, Current: cur}, nil
}

// Record journals an action the API performs itself (a login, a backup).
// Its chain is the entry's office, else the actor's, else that of the
// account with the actor's login; a login nobody has goes to the region.
func (s *Service) Record(ctx context.Context, je domain.JournalEntry) error {
	en := &entry{action: je.Action, officeID: je.OfficeID, object: je.Object, outcome: je.Err}
	_, err := write(ctx, s, en, func(e *engine.Engine, _ *domain.Changes) (struct{}, error) {
		if en.officeID == "" {
			a := actor(ctx)
			en.officeID = a.OfficeID
			if acc, ok := e.Account(a.Login); ok && en.officeID == "" {
				en.officeID = acc.OfficeID
			}
		}
		return struct{}{}, nil
	})
	return err
}
