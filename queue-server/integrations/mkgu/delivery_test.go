package mkgu

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/outbox"
	"github.com/talonqueue/talon/queue-server/queue"
	"github.com/talonqueue/talon/queue-server/store"
)

// TestRatingPacketsReachTheReceiverSigned goes the way the ratings code will:
// the packets are committed with the change through the store's Commit, the
// dispatcher wakes on the commit's notification, the receiver verifies each
// signature and gets each foreign id once, after a reopen of the file, and
// the deliveries are in the office's audit journal.
func TestRatingPacketsReachTheReceiverSigned(t *testing.T) {
	s, cert := signer(t)
	var mu sync.Mutex
	got := map[string]Packet{}
	first := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p, err := Verify(body, cert)
		if err != nil {
			t.Errorf("bad signature: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if first { // the first answer is lost: the message comes again
			first = false
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if _, dup := got[p.ForeignID]; dup {
			w.WriteHeader(http.StatusConflict)
			return
		}
		got[p.ForeignID] = p
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()

	path := filepath.Join(t.TempDir(), "talon.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := Messages(rating, office, service, "+79161234567", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(context.Background(), domain.Changes{Offices: []domain.Office{office}, Outbox: ms}); err != nil {
		t.Fatal(err)
	}
	// Closed before any delivery: the packets wait in the file.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q, err := queue.Open(context.Background(), queue.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	journal := outbox.Journal(context.Background(), q, nil)
	final := make(chan outbox.Message, 2)
	snd := Sender{URL: srv.URL, Client: srv.Client(), Signer: s}
	d := outbox.NewDispatcher(st.Outbox(), outbox.Config{
		Route: func(ch string) (outbox.Sender, bool) {
			return snd, ch == ChannelRates || ch == ChannelEvents
		},
		MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
		OnState: func(m outbox.Message) { journal(m); final <- m },
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	for range 2 {
		if m := <-final; m.State() != outbox.StateDelivered {
			t.Errorf("%s: %s %s", m.ID, m.State(), m.LastError)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["rt-1"].Kind != KindRates || len(got["rt-1"].Values) != 2 || got["rt-1.phone"].Phone != "+79161234567" {
		t.Errorf("the receiver got %+v", got)
	}
	recs, err := q.ListJournal(domain.WithActor(context.Background(), domain.System), office.ID, domain.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	journaled := map[string]string{}
	for _, r := range recs {
		if r.Action == outbox.JournalAction {
			journaled[r.Object] = r.Result
		}
	}
	if journaled["message/rt-1"] != domain.JournalOK || journaled["message/rt-1.phone"] != domain.JournalOK {
		t.Errorf("journal of office %s: %v", office.ID, journaled)
	}
	// Once delivered, the stored message no longer holds the phone.
	m, err := st.Outbox().Get(context.Background(), "rt-1.phone")
	if err != nil || m.Body != nil || m.Attempts < 1 {
		t.Errorf("stored after delivery: %+v, %v", m, err)
	}
}
