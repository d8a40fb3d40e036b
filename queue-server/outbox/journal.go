package outbox

import (
	"context"
	"log/slog"

	"github.com/talonqueue/talon/queue-server/domain"
)

// JournalAction is the audit journal's action for a message's final state.
const JournalAction = "deliverMessage"

// Journal is an OnState that records each delivered or dead message in its
// office's audit journal as the system: result ok for a delivery, the
// unavailable code with the last error for a dead letter. A journal that
// cannot write is logged; the delivery state is in the outbox either way.
func Journal(ctx context.Context, j domain.Journal, log *slog.Logger) func(Message) {
	ctx = domain.WithActor(ctx, domain.System)
	return func(m Message) {
		e := domain.JournalEntry{Action: JournalAction, OfficeID: m.OfficeID, Object: "message/" + m.ID}
		if m.State() == StateDead {
			e.Err = domain.Errorf(domain.CodeUnavailable, "сообщение %s (%s) не доставлено после %d попыток: %s", m.ID, m.Channel, m.Attempts, m.LastError)
		}
		if err := j.Record(ctx, e); err != nil && log != nil {
			log.Error("outbox: journal a delivery", "id", m.ID, "err", err)
		}
	}
}
