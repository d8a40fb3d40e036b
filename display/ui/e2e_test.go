package ui

import (
	"context"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/hardware/emulator"
	"github.com/talonqueue/talon/hardware/rs485"
	"github.com/talonqueue/talon/hardware/serialport"
	"github.com/talonqueue/talon/internal/fakeupsd"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// freeAddr is a loopback address a restarted server can listen on again.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// loggedIn is a person's SDK client.
func loggedIn(t testing.TB, url, login string) *client.Client {
	t.Helper()
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(context.Background(), login, "demo"); err != nil {
		t.Fatalf("login %s: %v", login, err)
	}
	return c
}

// emulatedLEDs is the real RS-485 driver on an emulated line of window
// boards, with the boards at addrs, width characters wide.
func emulatedLEDs(tb testing.TB, width int, addrs ...byte) (*emulator.BoardLine, []*rs485.Board) {
	tb.Helper()
	emu, err := emulator.NewBoardLine(filepath.Join(tb.TempDir(), "boards"), emulator.BoardOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { emu.Close() })
	line, err := rs485.Open(serialport.Config{Path: emu.Path(), Baud: 9600}, rs485.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { line.Close() })
	boards := make([]*rs485.Board, len(addrs))
	for i, a := range addrs {
		if boards[i], err = line.Board(a, width); err != nil {
			tb.Fatal(err)
		}
	}
	return emu, boards
}

// displayClient is display1's SDK client, reconnecting quickly for tests.
func displayClient(t testing.TB, url, credential string) *client.Client {
	t.Helper()
	cl, err := client.New(url, client.WithDeviceCredential(credential), client.WithUserAgent("talon-display-test display1"),
		client.WithStreamTiming(client.StreamTiming{MinBackoff: 50 * time.Millisecond, MaxBackoff: 300 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// liveBoard runs the board's screen headless on the SDK's stream, as main
// does, until the test ends or stop is called; the test makes the app. One
// board at a time: the test driver runs each board's UI work on its
// stream's goroutine, and Fyne's caches expect one UI goroutine.
func liveBoard(t testing.TB, cl *client.Client, cfg Config) (b *Board, stop func()) {
	t.Helper()
	b = New(cfg)
	w := test.NewWindow(b.Content())
	b.mu.Lock()
	w.Resize(fullHD)
	b.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	sub := cl.Subscribe(ctx, "demo", b)
	stop = sync.OnceFunc(func() {
		cancel()
		sub.Close()
		b.Close()
		w.Close()
	})
	t.Cleanup(stop)
	return b, stop
}

// runningTexts is what the running line shows now.
func (b *Board) runningTexts() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.beat()
	return slices.Clone(b.v.marquee.texts)
}

func (b *Board) live() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.v.banner.Live()
}

// An operator's call reaches the hall board and window 1's LED board; the
// server is killed and started again, and the board shows the same calls
// and the next call after it.
func TestBoardEndToEnd(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	cmd, url := testserver.Start(t, dir, addr)
	emu, leds := emulatedLEDs(t, 5, 2, 3)
	led1, led2 := leds[0], leds[1]
	sp := &fakeSpeaker{ok: true}
	test.NewTempApp(t)
	cred := testserver.Pair(t, url, "display1")
	cl := displayClient(t, url, cred)
	b, stop := liveBoard(t, cl, Config{Speaker: sp, Reporter: ServerBoards{Client: cl, OfficeID: "demo", DeviceID: "display1"}, LEDs: []WindowLED{
		{WindowID: "w1", Address: 2, Width: 5, Board: led1}, {WindowID: "w2", Address: 3, Width: 5, Board: led2}}})
	eventually(t, "the board online", b.live)

	ctx := context.Background()
	op := loggedIn(t, url, "operator1")
	if _, err := op.OpenWindowSession(ctx, "demo", "w1"); err != nil {
		t.Fatal(err)
	}
	hall := loggedIn(t, url, "hall")
	for range 2 {
		if _, err := hall.IssueTicket(ctx, "demo", domain.IssueRequest{ServiceID: "passport"}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := op.CallNext(ctx, "demo", "w1", false)
	if err != nil {
		t.Fatal(err)
	}
	if first.Number != "А001" {
		t.Fatalf("called %s", first.Number)
	}
	eventually(t, "А001 → 1 on the board", func() bool { return slices.Equal(b.shown(), []string{"А001 → 1"}) })
	if !b.lit() {
		t.Error("the new call is not highlighted")
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := emu.WaitText(wctx, 2, "A001"); err != nil {
		t.Fatalf("window 1's LED board (address 2): %v; the line shows %v", err, emu.Snapshot())
	}
	if got := emu.Text(3); got != "" {
		t.Errorf("window 2's LED board shows %q", got)
	}
	if got := sp.spoken(); !slices.Equal(got, []string{"А001 → 1"}) {
		t.Errorf("said %q", got)
	}

	// The running line: the demo's text from the snapshot, then what the
	// hall administrator adds and removes, through the stream.
	const demoText = "Уважаемые заявители! Получить готовые документы можно в окнах 2, 4 и 6."
	eventually(t, "the demo's announcement running", func() bool { return slices.Contains(b.runningTexts(), demoText) })
	added, err := hall.PutAnnouncement(ctx, domain.Announcement{ID: "fee", OfficeID: "demo", Enabled: true, Order: 9, Text: "Госпошлину можно оплатить в терминале у входа"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the added announcement running", func() bool { return slices.Contains(b.runningTexts(), added.Text) })
	if err := hall.DeleteAnnouncement(ctx, "demo", added.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted announcement gone", func() bool { return !slices.Contains(b.runningTexts(), added.Text) })

	// The LED line's cable is pulled: the office page learns it from the
	// display's device state, and the hall sees nothing of it.
	if err := emu.Pair().Unplug(); err != nil {
		t.Fatal(err)
	}
	boards := func() []domain.BoardState {
		ds, err := hall.ListDevices(ctx, "demo")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.ID == "display1" && d.State != nil {
				return d.State.Boards
			}
		}
		return nil
	}
	if _, err := op.RecallTicket(ctx, "demo", first.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the silent board reported", func() bool {
		bs := boards()
		return len(bs) == 2 && bs[0].WindowID == "w1" && bs[0].Address == 2 && !bs[0].OK
	})
	if err := emu.Pair().Replug(); err != nil {
		t.Fatal(err)
	}
	if _, err := op.RecallTicket(ctx, "demo", first.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the board reported answering again", func() bool {
		bs := boards()
		return len(bs) == 2 && bs[0].OK
	})

	// The server dies without a word and comes back on the same address
	// and data.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	eventually(t, "the board says it is not live", func() bool { return !b.live() })
	if got := b.shown(); !slices.Equal(got, []string{"А001 → 1"}) {
		t.Errorf("while the server is down the board shows %q", got)
	}
	testserver.Start(t, dir, addr)
	eventually(t, "the board online again", b.live)
	if got := b.shown(); !slices.Equal(got, []string{"А001 → 1"}) {
		t.Errorf("after the restart the board shows %q", got)
	}
	op = loggedIn(t, url, "operator1")
	second, err := op.CallNext(ctx, "demo", "w1", true)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, second.Number+" → 1 on the board", func() bool { return slices.Equal(b.shown(), []string{second.Number + " → 1"}) })
	if err := emu.WaitText(wctx, 2, "A002"); err != nil {
		t.Fatalf("window 1's LED board after the restart: %v; the line shows %v", err, emu.Snapshot())
	}
	if got := sp.spoken(); !slices.Equal(got, []string{"А001 → 1", "А001 → 1", "А001 → 1", "А002 → 1"}) { // two recalls
		t.Errorf("said %q: a reconnect must not repeat a call", got)
	}
	// A board that starts now learns the same from the restarted
	// server's snapshot.
	stop()
	fresh, _ := liveBoard(t, displayClient(t, url, cred), Config{})
	eventually(t, "a new board's snapshot", func() bool { return slices.Equal(fresh.shown(), []string{second.Number + " → 1"}) })
}

// The real server watches a UPS (a stand-in upsd): on battery the board
// says so under its header, through the SDK's stream; on low battery the
// server says why in its last event and stops, and the board keeps saying
// it while it shows that the connection is gone.
func TestBoardPowerEndToEnd(t *testing.T) {
	u := fakeupsd.Start(t, "OL")
	_, url := testserver.Start(t, t.TempDir(), "127.0.0.1:0", "--ups", u.Name(), "--ups-every", "50ms")
	test.NewTempApp(t)
	b, _ := liveBoard(t, displayClient(t, url, testserver.Pair(t, url, "display1")), Config{})
	eventually(t, "the board online", b.live)
	power := func() string {
		b.mu.Lock()
		defer b.mu.Unlock()
		if !b.v.power.Visible() {
			return ""
		}
		return b.v.power.Text
	}
	if got := power(); got != "" {
		t.Fatalf("on line the board says %q", got)
	}
	u.Set("OB DISCHRG")
	eventually(t, "the line on battery", func() bool {
		return power() == "Сервер очереди работает от ИБП: заряд 80 %, осталось около 20 мин"
	})
	u.Set("OB LB")
	eventually(t, "the server gone", func() bool { return !b.live() })
	if got := power(); got != "Батарея ИБП разряжена — сервер очереди выключается: заряд 80 %" {
		t.Fatalf("after the server stopped the board says %q", got)
	}
}
