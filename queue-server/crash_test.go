package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// TestSIGKILLLosesNothingAcknowledged kills the server while kiosks issue
// tickets; after a restart every acknowledged ticket exists and numbering
// goes on past the highest acknowledged number.
func TestSIGKILLLosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	cmd, url := testserver.Start(t, dir, "127.0.0.1:0")

	var mu sync.Mutex
	acked := map[string]domain.Ticket{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for k := 0; k < 8; k++ {
		c := login(t, url, "kiosk1")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				tk, err := c.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
				cancel()
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				acked[tk.ID] = tk
				mu.Unlock()
			}
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) < 50 {
		t.Fatalf("only %d tickets acknowledged before the kill", len(acked))
	}

	_, url = testserver.Start(t, dir, "127.0.0.1:0")
	hall := login(t, url, "hall")
	ctx := context.Background()
	highest := 0
	for id, want := range acked {
		got, err := hall.GetTicket(ctx, demo.OfficeID, id)
		if err != nil {
			t.Fatalf("acknowledged ticket %s lost: %v", want.Number, err)
		}
		if got.Number != want.Number {
			t.Fatalf("ticket %s came back as %s", want.Number, got.Number)
		}
		n, _ := strconv.Atoi(want.Number[len("А"):])
		highest = max(highest, n)
	}
	kiosk := login(t, url, "kiosk1")
	next, err := kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(next.Number[len("А"):])
	if n <= highest {
		t.Fatalf("after the restart number %s was issued again (highest acknowledged А%03d)", next.Number, highest)
	}
	t.Logf("%d tickets acknowledged before SIGKILL, all present; next number %s", len(acked), next.Number)
}

// TestSIGTERMSaysByeAndClosesTheStore stops the server the way systemd does:
// stream clients are told bye, the process exits 0, and the data folder opens
// again at once (the store was closed, its lock released).
func TestSIGTERMSaysByeAndClosesTheStore(t *testing.T) {
	dir := t.TempDir()
	cmd, url := testserver.Start(t, dir, "127.0.0.1:0")
	display := login(t, url, "display1")
	token := display.Token()
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(url, "http", "ws", 1)+"/api/v1/offices/demo/stream?token="+token, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if _, first, err := ws.ReadMessage(); err != nil || !strings.Contains(string(first), `"snapshot"`) {
		t.Fatalf("first stream message %q, %v", first, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sawBye := false
	_ = ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			break
		}
		sawBye = sawBye || strings.Contains(string(msg), `"bye"`)
	}
	if !sawBye {
		t.Fatal("the stream was closed without a bye")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("server exited with %v after SIGTERM", err)
	}
	_, url = testserver.Start(t, dir, "127.0.0.1:0")
	testserver.WaitHealthy(t, url)
}

// TestBackupAndRestore takes a hot backup over HTTP, restores it into a new
// data folder and finds the tickets there.
func TestBackupAndRestore(t *testing.T) {
	url, stop := startServer(t, t.TempDir(), "--demo")
	ctx := context.Background()
	kiosk := login(t, url, "kiosk1")
	issued, err := kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	backup := downloadBackup(t, login(t, url, "admin"))
	_, err = login(t, url, "hall").Backup(ctx, io.Discard)
	if domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("hall administrator took a backup: %v", err)
	}
	stop()

	restored := t.TempDir()
	var out bytes.Buffer
	if err := run(ctx, []string{"restore", "--from", backup, "--data", restored}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"restore", "--from", filepath.Join(restored, dbFile+".missing"), "--data", t.TempDir()}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Fatal("restore from a missing file succeeded")
	}
	url, _ = startServer(t, restored)
	got, err := login(t, url, "hall").GetTicket(ctx, demo.OfficeID, issued.ID)
	if err != nil || got.Number != issued.Number {
		t.Fatalf("ticket after restore: %+v, %v", got, err)
	}
}

// TestBoardStreamSurvivesRestart keeps a hall board subscribed while the
// server restarts: the board goes offline, comes back by itself, and sees the
// calls made after the restart with sequence numbers that go on from before.
func TestBoardStreamSurvivesRestart(t *testing.T) {
	addr := freeAddr(t)
	dir := t.TempDir()
	cmd, url := testserver.Start(t, dir, addr)

	board, err := client.New(url, client.WithDeviceCredential(deviceCredential(t, url, "display1")),
		client.WithStreamTiming(client.StreamTiming{MinBackoff: 50 * time.Millisecond, MaxBackoff: 300 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	states := make(chan client.ConnStatus, 100)
	// A board learns of a ticket from its event or, when it resyncs, from a
	// snapshot: a board that resumes after a restart is online at once, and
	// a ticket issued before the new server takes its snapshot is in it.
	issued := make(chan domain.Event, 100)
	sub := board.Subscribe(context.Background(), demo.OfficeID, client.Funcs{
		State: func(s client.ConnState) { states <- s.Status },
		Event: func(e domain.Event) {
			if e.Type == domain.EventTicketIssued {
				issued <- e
			}
		},
		Snapshot: func(snap domain.OfficeSnapshot) {
			for _, tk := range snap.Queue {
				issued <- domain.Event{Seq: snap.Seq, TicketID: tk.ID}
			}
		},
	})
	defer sub.Close()
	waitState(t, states, client.Online)

	ctx := context.Background()
	before, err := login(t, url, "kiosk1").IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	first := waitEvent(t, issued, before.ID)
	if first.TicketID != before.ID {
		t.Fatalf("board saw %s, want %s", first.TicketID, before.ID)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitState(t, states, client.Connecting, client.Offline)
	testserver.Start(t, dir, addr)
	waitState(t, states, client.Online)

	after, err := login(t, url, "kiosk1").IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	second := waitEvent(t, issued, after.ID)
	if second.TicketID != after.ID || second.Seq <= first.Seq || after.Number != "А002" {
		t.Fatalf("after the restart the board saw %s (seq %d after %d), ticket %s", second.TicketID, second.Seq, first.Seq, after.Number)
	}
}

func waitState(t *testing.T, states <-chan client.ConnStatus, want ...client.ConnStatus) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case s := <-states:
			for _, w := range want {
				if s == w {
					return
				}
			}
		case <-deadline:
			t.Fatalf("the board never reached %v", want)
		}
	}
}

func waitEvent(t *testing.T, events <-chan domain.Event, ticketID string) domain.Event {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e := <-events:
			if e.TicketID == ticketID {
				return e
			}
		case <-deadline:
			t.Fatalf("the board never learned of ticket %s", ticketID)
			return domain.Event{}
		}
	}
}

// downloadBackup saves a hot backup taken over HTTP as c into a file of the
// test's own and returns its path.
func downloadBackup(t *testing.T, c *client.Client) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "talon-backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Backup(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
