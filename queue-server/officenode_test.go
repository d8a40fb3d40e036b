package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/region"
	"github.com/talonqueue/talon/queue-server/region/regiontest"
	"github.com/talonqueue/talon/queue-server/store"
)

// TestOfficeNodeThroughOutageAndSIGKILL runs the real server as an office
// node joined to a region (regiontest). Its link is cut while kiosks keep
// issuing, and the server is killed with SIGKILL in the middle of it, with events
// committed that its cursor does not cover (saved at most once a second).
// After both return, the region holds the office's log exactly once and in
// order, and a SIGTERM stops the node cleanly.
func TestOfficeNodeThroughOutageAndSIGKILL(t *testing.T) {
	hub := regiontest.Start(t)
	dir := t.TempDir()
	node := []string{"--office-node", "--region-url", hub.LeafURL(), "--region-max-store", "64MiB"}
	cmd, url := testserver.Start(t, dir, "127.0.0.1:0", node...)
	hub.Source(demo.OfficeID)
	regiontest.WaitFor(t, "the region has the demo office's seeding", func() bool { return regiontest.Len(hub.JS, region.RegionStream) > 0 })

	hub.Cut()
	issued := issueUntilKilled(t, cmd, url, 200)

	st, err := store.Open(filepath.Join(dir, dbFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	events := allEvents(t, st)
	cursor, err := st.RegionCursor(context.Background(), demo.OfficeID)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	atKill := uint64(len(events))
	if cursor >= atKill {
		t.Fatalf("the kill found the cursor at %d and the log at %d: nothing was in the window between commit and the cursor", cursor, atKill)
	}
	t.Logf("%d tickets acknowledged; at the kill the log ended at %d and the cursor at %d", issued, atKill, cursor)

	hub.Link()
	cmd, _ = testserver.Start(t, dir, "127.0.0.1:0", node...)
	regiontest.WaitFor(t, "the region has every event committed before the kill", func() bool {
		return regiontest.Len(hub.JS, region.RegionStream) >= int(atKill)
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the office node did not stop cleanly on SIGTERM: %v", err)
	}

	st, err = store.Open(filepath.Join(dir, dbFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	events = allEvents(t, st)
	msgs := regiontest.Read(t, hub.JS, region.RegionStream)
	if len(msgs) > len(events) {
		t.Fatalf("the region holds %d messages, the office's log %d events", len(msgs), len(events))
	}
	// Events committed while the server stopped are sent at its next start.
	regiontest.CheckExactlyOnce(t, demo.OfficeID, events[:len(msgs)], msgs)
}

// issueUntilKilled has kiosks issue tickets until want are acknowledged,
// then kills the server with SIGKILL while they go on, and says how many
// were acknowledged.
func issueUntilKilled(t *testing.T, cmd *exec.Cmd, url string, want int) int {
	t.Helper()
	var mu sync.Mutex
	acked := 0
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		c := login(t, url, "kiosk1")
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_, err := c.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
				cancel()
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				acked++
				mu.Unlock()
			}
		})
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := acked
		mu.Unlock()
		if n >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if acked < want/4 {
		t.Fatalf("only %d tickets acknowledged before the kill", acked)
	}
	return acked
}

// allEvents is an office's whole log.
func allEvents(t *testing.T, st *store.Store) []domain.Event {
	t.Helper()
	var all []domain.Event
	for {
		var after uint64
		if len(all) > 0 {
			after = all[len(all)-1].Seq
		}
		page, err := st.Events(context.Background(), demo.OfficeID, after, store.MaxEventsPage)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
	}
}

// An office node needs an address of the region and exactly one office;
// the region's flags mean nothing without --office-node.
func TestOfficeNodeRefusals(t *testing.T) {
	notKey := filepath.Join(t.TempDir(), "office.creds")
	if err := os.WriteFile(notKey, []byte("password: secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--office-node"}, "нужен адрес региона"},
		{[]string{"--region-url", "nats-leaf://127.0.0.1:7422"}, "только с --office-node"},
		{[]string{"--office-node", "--region-url", "nats-leaf://127.0.0.1:7422", "--region-creds", "/no/such.creds"}, "не читается"},
		{[]string{"--office-node", "--region-url", "nats-leaf://127.0.0.1:7422"}, "ровно один офис, а в базе"},
		{[]string{"--region-creds", notKey}, "только с --office-node или --region"},
		{[]string{"--office-node", "--region-url", "nats-leaf://127.0.0.1:7422", "--region-creds", notKey}, "ни JWT пользователя NATS (.creds), ни ключа пользователя nkey"},
		{[]string{"--region", "nats://127.0.0.1:4222", "--region-tls-ca", notKey}, "нет сертификатов PEM"},
		{[]string{"--region", "nats://127.0.0.1:4222", "--region-tls-cert", notKey}, "вместе с ключом"},
	} {
		args := append([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir()}, tc.args...)
		err := run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
}
