package ui_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/hardware/pseudoterm"
	"github.com/talonqueue/talon/hardware/serialport"
	"github.com/talonqueue/talon/internal/outbuf"
	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/kiosk/ui"
	"github.com/talonqueue/talon/printer"
	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/printer/virtual"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

var listening = regexp.MustCompile(`слушает (https?://\S+)`)

// startServer builds and runs the real queue server with the demo office,
// as an office runs it: the kiosk cannot link the server's main package.
func startServer(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "queue-server")
	if out, err := exec.Command("go", "build", "-o", bin, "../../queue-server").CombinedOutput(); err != nil {
		t.Fatalf("go build queue-server: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--bcrypt-cost", "4")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &outbuf.Buffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			waitHealthy(t, m[1])
			return m[1]
		}
	}
	t.Fatalf("the server exited without listening: %v", sc.Err())
	return ""
}

func waitHealthy(t testing.TB, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/healthz never answered (last error %v)", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pairKiosk pairs kiosk1 as an administrator would and writes the file the
// kiosk starts from.
func pairKiosk(t testing.TB, url string) (admin *client.Client, cfg terminal.Config) {
	t.Helper()
	ctx := context.Background()
	admin, err := client.New(url, client.WithCredentials("admin", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	code, err := admin.CreatePairingCode(ctx, "demo", "kiosk1")
	if err != nil {
		t.Fatalf("pairing code: %v", err)
	}
	anon, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	p, err := anon.PairDevice(ctx, code.Code)
	if err != nil {
		t.Fatalf("pair: %v", err)
	}
	file := filepath.Join(t.TempDir(), "kiosk1.json")
	content := fmt.Sprintf(`{"server": %q, "office_id": "demo", "device_id": "kiosk1", "credential": %q}`, url, p.Credential)
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = terminal.Load("talon-kiosk", []string{"-config", file}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return admin, cfg
}

// virtualPrinter is the virtual printer on a pseudo-terminal and the real
// driver on the serial port at its other end.
func virtualPrinter(t *testing.T) (*printer.Printer, chan virtual.Ticket) {
	t.Helper()
	tickets := make(chan virtual.Ticket, 4)
	pair, err := pseudoterm.New(filepath.Join(t.TempDir(), "printer"))
	if err != nil {
		t.Fatal(err)
	}
	vp, err := virtual.New(virtual.Config{PaperDots: escpos.Paper80, OutDir: t.TempDir(), OnTicket: func(tk virtual.Ticket) { tickets <- tk }})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- vp.Serve(pair.Device()) }()
	port, err := serialport.OpenReopening(serialport.Config{Path: pair.Path(), Baud: 115200, ReadTimeout: 50 * time.Millisecond},
		serialport.ReopenOptions{RetryEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		port.Close()
		pair.Close()
		if err := <-served; err != nil && !errors.Is(err, pseudoterm.ErrClosed) {
			t.Errorf("virtual printer: %v", err)
		}
	})
	prof, err := escpos.ProfileByName("epson-80")
	if err != nil {
		t.Fatal(err)
	}
	return printer.New(port, prof, printer.Options{StatusTimeout: time.Second}), tickets
}

// A tap on the kiosk's screen, with the real server, the SDK client paired
// as kiosk1 and the real printer driver to the virtual printer over a
// pseudo-terminal, puts the server's ticket on paper.
func TestEndToEnd(t *testing.T) {
	url := startServer(t)
	admin, cfg := pairKiosk(t, url)
	cl, err := cfg.NewClient("talon-kiosk-test", nil,
		client.WithStreamTiming(client.StreamTiming{MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	drv, tickets := virtualPrinter(t)

	test.NewTempApp(t)
	k := ui.New(ui.Config{OfficeID: cfg.OfficeID, Queue: cl, Printer: drv})
	w := test.NewWindow(k.Content())
	w.Resize(fyne.NewSize(1920, 1080))
	ctx, cancel := context.WithCancel(context.Background())
	sub := cl.Subscribe(ctx, cfg.OfficeID, k)
	t.Cleanup(func() {
		cancel()
		sub.Close()
		k.Close()
		w.Close()
	})

	// Nobody works yet: the server says why the service takes no tickets.
	waitFor(t, "the menu live from the server, results closed", func() bool {
		info, enabled := k.ItemInfo("results")
		return !enabled && strings.Contains(info, "ни одно окно не принимает")
	})
	op, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.Login(context.Background(), "operator2", "demo"); err != nil {
		t.Fatal(err)
	}
	if _, err := op.OpenWindowSession(context.Background(), cfg.OfficeID, "w2"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "results open once window 2 works", func() bool {
		_, enabled := k.ItemInfo("results")
		return enabled
	})
	if info, _ := k.ItemInfo("results"); info != "Очереди нет" {
		t.Errorf("an empty office's queue reads %q", info)
	}
	test.Tap(k.Item("results").Button)
	var v ui.View
	waitFor(t, "the ticket printed", func() bool {
		v = k.View()
		return v.Screen == ui.ScreenTicket && !v.Busy
	})
	if v.Status != "Возьмите талон" || v.QR {
		t.Fatalf("ticket screen: %+v", v)
	}

	var paper virtual.Ticket
	select {
	case paper = <-tickets:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing came out of the virtual printer")
	}
	queue, err := admin.ListQueue(context.Background(), "demo", domain.QueueFilter{ServiceID: "results"})
	if err != nil {
		t.Fatal(err)
	}
	if len(queue) != 1 {
		t.Fatalf("the server has %d tickets for results, want the one tapped", len(queue))
	}
	server := queue[0]
	if v.Number != server.Number {
		t.Errorf("the screen shows %s, the server issued %s", v.Number, server.Number)
	}
	txt, err := os.ReadFile(strings.TrimSuffix(paper.Path, ".png") + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	if !containsLine(string(txt), server.Number) || !strings.Contains(string(txt), "Получение готовых документов") {
		t.Errorf("the paper does not carry the server's number %s:\n%s", server.Number, txt)
	}
	if len(paper.Codes) == 0 || paper.Codes[0] != server.ID {
		t.Errorf("the paper's QR holds %q, want the ticket id %s", paper.Codes, server.ID)
	}
	// The stream's event for the new ticket refreshes the menu.
	test.Tap(k.DoneButton())
	waitFor(t, "the queue of results to show the ticket", func() bool {
		info, _ := k.ItemInfo("results")
		return strings.HasPrefix(info, "Ожидают: 1")
	})
}

func containsLine(text, want string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
