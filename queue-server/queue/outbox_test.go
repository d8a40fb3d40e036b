package queue

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/outbox"
)

// A manager sees the office's deliveries without their bodies and sends a
// dead one again; another office's messages and an operator stay out.
func TestManagerRedeliversADeadMessage(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	svc := openDemo(t, st, Options{Outbox: st.Outbox()})
	box := st.Outbox()
	now := time.Now()
	for _, m := range []domain.OutboxMessage{
		{ID: "ours", Channel: "test", OfficeID: demo.OfficeID, Body: []byte("+79161234567"), CreatedAt: now},
		{ID: "theirs", Channel: "test", OfficeID: "elsewhere", Body: []byte("+79161234567"), CreatedAt: now},
	} {
		if err := box.Enqueue(m); err != nil {
			t.Fatal(err)
		}
	}
	dead := make(chan string, 2)
	ctx, cancel := context.WithCancel(context.Background())
	d := outbox.NewDispatcher(box, outbox.Config{
		Route: func(string) (outbox.Sender, bool) {
			return outbox.SenderFunc(func(context.Context, outbox.Message) error {
				return outbox.Permanent(errors.New("отказ приёмника"))
			}), true
		},
		OnState: func(m outbox.Message) { dead <- m.ID },
	})
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	<-dead
	<-dead
	cancel()
	<-done

	manager := as("manager", svc, t)
	list, err := svc.ListOutbox(manager, demo.OfficeID, domain.DeliveryQuery{State: domain.DeliveryDead})
	if err != nil || len(list) != 1 || list[0].ID != "ours" || list[0].LastError == "" {
		t.Fatalf("the manager's dead messages: %+v, %v", list, err)
	}
	if _, err := svc.ListOutbox(manager, demo.OfficeID, domain.DeliveryQuery{State: "lost"}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("an unknown state: %v", err)
	}
	if _, err := svc.ListOutbox(as("operator1", svc, t), demo.OfficeID, domain.DeliveryQuery{}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("an operator reads the deliveries: %v", err)
	}
	if _, err := svc.RedeliverMessage(manager, demo.OfficeID, "theirs"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("another office's message redelivered: %v", err)
	}
	got, err := svc.RedeliverMessage(manager, demo.OfficeID, "ours")
	if err != nil || got.State != domain.DeliveryPending || got.Attempts != 1 {
		t.Fatalf("redelivered: %+v, %v", got, err)
	}
	if _, err := svc.RedeliverMessage(manager, demo.OfficeID, "ours"); domain.ErrorCode(err) != domain.CodeConflict {
		t.Errorf("a pending message redelivered: %v", err)
	}
	records, err := svc.ListJournal(manager, demo.OfficeID, domain.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, r := range records {
		if r.Action == "redeliverMessage" {
			results = append(results, r.Object+" "+r.Result)
		}
	}
	if len(results) != 3 || results[1] != "message/ours "+domain.JournalOK {
		t.Errorf("redeliveries journaled: %v", results)
	}
}
