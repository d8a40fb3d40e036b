package outbox

import (
	"context"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

type journalSpy struct {
	domain.Journal
	got   []domain.JournalEntry
	actor domain.Actor
}

func (j *journalSpy) Record(ctx context.Context, e domain.JournalEntry) error {
	j.actor, _ = domain.ActorFrom(ctx)
	j.got = append(j.got, e)
	return nil
}

func TestJournalRecordsFinalStatesAsTheSystem(t *testing.T) {
	j := &journalSpy{}
	on := Journal(context.Background(), j, nil)
	m := Message{OutboxMessage: domain.OutboxMessage{ID: "rt-1", Channel: "mkgu.rates", OfficeID: "mfc-1"}, Attempts: 1, DeliveredAt: time.Now()}
	on(m)
	m.DeliveredAt, m.DeadAt, m.Attempts, m.LastError = time.Time{}, time.Now(), 7, "503"
	on(m)
	if len(j.got) != 2 || j.actor.Login != "system" {
		t.Fatalf("recorded %+v as %+v", j.got, j.actor)
	}
	ok, dead := j.got[0], j.got[1]
	if ok.Action != JournalAction || ok.OfficeID != "mfc-1" || ok.Object != "message/rt-1" || ok.Err != nil {
		t.Errorf("delivered: %+v", ok)
	}
	if domain.ErrorCode(dead.Err) != domain.CodeUnavailable || domain.ErrorMessage(dead.Err) != "сообщение rt-1 (mkgu.rates) не доставлено после 7 попыток: 503" {
		t.Errorf("dead: %+v", dead)
	}
}
