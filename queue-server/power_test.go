package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	"github.com/talonqueue/talon/internal/fakeupsd"
	"github.com/talonqueue/talon/internal/outbuf"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/queue"
	"github.com/talonqueue/talon/queue-server/store"
	"github.com/talonqueue/talon/queue-server/ups"
)

// Where Debian's nut-server puts the driver and the daemon (/usr/sbin/upsd
// is a wrapper that reads /etc/nut/nut.conf).
const (
	dummyUPS = "/lib/nut/dummy-ups"
	upsdBin  = "/lib/nut/upsd"
)

// needNUT stops a test that needs the real NUT daemons as root: it fails
// in CI, where they must run, and is skipped elsewhere with the reason.
func needNUT(t *testing.T) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "needs root to run NUT's dummy-ups driver and upsd"
	}
	for _, bin := range []string{dummyUPS, upsdBin} {
		if _, err := os.Stat(bin); err != nil && why == "" {
			why = "needs Debian's nut-server (deploy/debian-deps): " + err.Error()
		}
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// nut is a real upsd serving one dummy-ups UPS whose state is a .dev file.
type nut struct {
	t    *testing.T
	dev  string
	addr ups.Addr
	gen  int // bumps the file's time: dummy-ups re-reads it when it changes
	env  []string
	upsd *exec.Cmd
}

func startNUT(t *testing.T, status string) *nut {
	t.Helper()
	dir := t.TempDir()
	conf, state := filepath.Join(dir, "conf"), filepath.Join(dir, "state")
	for _, d := range []string{conf, state} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	n := &nut{t: t, dev: filepath.Join(conf, "ups1.dev"), addr: ups.Addr{UPS: "ups1", Host: fmt.Sprintf("127.0.0.1:%d", port)}}
	n.set(status)
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(conf, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ups.conf", "[ups1]\n\tdriver = dummy-ups\n\tport = "+n.dev+"\n\tdesc = \"Talon test UPS\"\n")
	write("upsd.conf", fmt.Sprintf("LISTEN 127.0.0.1 %d\n", port))
	write("upsd.users", "")
	n.env = append(os.Environ(), "NUT_CONFPATH="+conf, "NUT_STATEPATH="+state, "NUT_ALTPIDPATH="+state)
	n.daemon(dummyUPS, "-a", "ups1", "-u", "root", "-F")
	// upsd finds the driver by its socket; started before it, upsd would
	// only retry later.
	pollUntil(t, "the dummy-ups socket", func() error {
		_, err := os.Stat(filepath.Join(state, "dummy-ups-ups1"))
		return err
	})
	n.startUPSD()
	n.wait(status)
	return n
}

// daemon runs a NUT program in the foreground until the test ends.
func (n *nut) daemon(name string, args ...string) *exec.Cmd {
	n.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = n.env
	logs := &outbuf.Buffer{Max: 16 << 10}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if n.t.Failed() {
			n.t.Logf("%s said:\n%s", name, logs)
		}
	})
	return cmd
}

func (n *nut) startUPSD() { n.upsd = n.daemon(upsdBin, "-u", "root", "-F") }

// killUPSD ends upsd the hard way, as a crash would.
func (n *nut) killUPSD() {
	n.t.Helper()
	if err := n.upsd.Process.Kill(); err != nil {
		n.t.Fatal(err)
	}
	_ = n.upsd.Wait()
}

// set writes the UPS's state as dummy-ups reads it, with a file time later
// than any before so that the driver sees the change.
func (n *nut) set(status string) {
	n.t.Helper()
	var text string
	switch status {
	case "OL":
		text = "ups.status: OL\nbattery.charge: 100\nbattery.runtime: 3600\n"
	case "OB DISCHRG":
		text = "ups.status: OB DISCHRG\nbattery.charge: 80\nbattery.runtime: 1200\n"
	case "OB LB":
		text = "ups.status: OB LB\nbattery.charge: 9\nbattery.runtime: 90\n"
	default:
		n.t.Fatalf("no .dev text for %q", status)
	}
	if err := os.WriteFile(n.dev, []byte(text), 0o600); err != nil {
		n.t.Fatal(err)
	}
	n.gen++
	at := time.Now().Add(time.Duration(n.gen) * time.Minute)
	if err := os.Chtimes(n.dev, at, at); err != nil {
		n.t.Fatal(err)
	}
}

// wait reads upsd until it reports status.
func (n *nut) wait(status string) {
	n.t.Helper()
	pollUntil(n.t, "upsd to report "+status, func() error {
		c, err := ups.Dial(context.Background(), n.addr.Host, time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		got, err := c.Get(n.addr.UPS, "ups.status")
		if err == nil && got != status {
			err = fmt.Errorf("ups.status %q", got)
		}
		return err
	})
}

// pollUntil polls until f succeeds, for at most 30 s: daemons start in their
// own time.
func pollUntil(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestUPSThroughRealNUT runs the real server against a real upsd with the
// dummy-ups driver: on battery, the hall board's stream carries the alert
// and the region's journal has it; back on line, the alert clears and that
// is journaled; upsd gone is an alert of its own, and the monitor comes
// back with it; on low battery the server tells its streams why, shuts down,
// exits 0 saying why, and its data folder opens at once.
func TestUPSThroughRealNUT(t *testing.T) {
	needNUT(t)
	n := startNUT(t, "OL")
	dir := t.TempDir()

	cmd := exec.Command(testserver.Binary(t), "--demo", "--addr", "127.0.0.1:0", "--data", dir, "--bcrypt-cost", "4",
		"--ups", n.addr.String(), "--ups-every", "100ms")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &outbuf.Buffer{Max: 64 << 10}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	listening := regexp.MustCompile(`слушает (https?://\S+)`)
	sc := bufio.NewScanner(stdout)
	url := ""
	for url == "" && sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
		}
	}
	go func() {
		for sc.Scan() {
		}
		exited <- cmd.Wait()
	}()
	if url == "" {
		t.Fatal("the server exited without listening")
	}
	testserver.WaitHealthy(t, url)

	display := login(t, url, "display1")
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(url, "http", "ws", 1)+"/api/v1/offices/demo/stream?token="+display.Token(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	msgs := make(chan client.StreamMessage, 64)
	go func() {
		defer close(msgs)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			m, err := client.DecodeStreamMessage(data)
			if err != nil {
				t.Errorf("stream message %q: %v", data, err)
				return
			}
			msgs <- m
		}
	}()
	// next returns the next power news: the snapshot's power or an event's.
	next := func() (domain.PowerState, client.StreamMessage) {
		t.Helper()
		for m := range msgs {
			switch {
			case m.Type == client.MessageSnapshot && m.Snapshot.Power != nil:
				return *m.Snapshot.Power, m
			case m.Type == client.MessageEvent && m.Event.Type == domain.EventPowerState:
				return *m.Event.Power, m
			case m.Type == client.MessageBye:
				return domain.PowerState{}, m
			}
		}
		t.Fatal("the stream ended without more power news")
		return domain.PowerState{}, client.StreamMessage{}
	}
	// The snapshot has it if the UPS was read before, else an event follows.
	if p, m := next(); p.Status != domain.PowerOnline {
		t.Fatalf("first power news %+v in %s", p, m.Type)
	}

	admin := login(t, url, "admin")
	journaled := func(action string) domain.JournalRecord {
		t.Helper()
		for _, r := range regionJournal(t, url, admin) {
			if r.Action == action {
				return r
			}
		}
		t.Fatalf("no %s in the region's journal", action)
		return domain.JournalRecord{}
	}

	n.set("OB DISCHRG")
	p, _ := next()
	if p.Status != domain.PowerOnBattery || p.Charge != 80 || p.RuntimeSeconds != 1200 || p.UPS != "" {
		t.Fatalf("on battery the board learns %+v", p)
	}
	if r := journaled("powerOnBattery"); r.Actor != domain.System.Login || r.Object != "ups/"+n.addr.String() || r.Result != domain.JournalOK {
		t.Fatalf("journal record %+v", r)
	}
	snap, err := admin.GetSnapshot(context.Background(), "demo")
	if err != nil || snap.Power == nil || snap.Power.Status != domain.PowerOnBattery || snap.Power.UPS != n.addr.String() {
		t.Fatalf("the office page's snapshot: power %+v, %v", snap.Power, err)
	}

	n.set("OL")
	if p, _ := next(); p.Status != domain.PowerOnline {
		t.Fatalf("back on line the board learns %+v", p)
	}
	journaled("powerOnline")

	// upsd gone: nothing would warn of a cut, and the office is told so.
	n.killUPSD()
	if p, _ := next(); p.Status != domain.PowerUnknown {
		t.Fatalf("without upsd the board learns %+v", p)
	}
	journaled("powerUnknown")
	n.startUPSD()
	if p, _ := next(); p.Status != domain.PowerOnline {
		t.Fatalf("with upsd back the board learns %+v", p)
	}

	n.set("OB LB")
	// The low battery comes as an event, then the bye.
	if p, m := next(); m.Type != client.MessageEvent || p.Status != domain.PowerLowBattery || p.Charge != 9 {
		t.Fatalf("on low battery the board learns %+v in %s", p, m.Type)
	}
	_, bye := next()
	if bye.Type != client.MessageBye || !strings.Contains(bye.Reason, "ИБП") {
		t.Fatalf("bye %q does not say the UPS is why", bye.Reason)
	}
	if err := <-exited; err != nil {
		t.Fatalf("the server exited with %v on low battery, want status 0", err)
	}
	exited <- nil // for the cleanup
	if !strings.Contains(logs.String(), "shutting down: the UPS battery is about to run out") {
		t.Fatalf("the log does not say why the server stopped:\n%s", logs)
	}

	// The store was closed: it opens at once, and its journal has the
	// low battery that stopped it.
	st, err := store.Open(filepath.Join(dir, dbFile), store.Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("the store does not open after the shutdown: %v", err)
	}
	st.Close()
	ctx := context.Background()
	st, svc, err := openService(ctx, dir, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	defer svc.Close()
	recs, err := svc.ListJournal(domain.WithActor(ctx, domain.System), "", domain.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range recs {
		if strings.HasPrefix(r.Action, "power") {
			actions = append(actions, r.Action)
		}
	}
	if got, want := strings.Join(actions, " "), "powerOnline powerOnBattery powerOnline powerUnknown powerOnline powerLowBattery powerShutdown"; got != want {
		t.Fatalf("power in the journal: %s, want %s", got, want)
	}
}

// --ups and its environment variables are read and checked before anything
// starts.
func TestUPSFlags(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	f, err := parseServe(nil, env("TALON_UPS", "myups@10.0.0.5", "TALON_UPS_EVERY", "2s", "TALON_UPS_LOW_RUNTIME", "3m"), io.Discard)
	if err != nil || f.power.ups != (ups.Addr{UPS: "myups", Host: "10.0.0.5:3493"}) || f.power.every != 2*time.Second || f.power.lowRuntime != 3*time.Minute {
		t.Fatalf("from the environment: %+v, %v", f.power, err)
	}
	f, err = parseServe([]string{"--ups", "ups1@localhost:3500"}, env("TALON_UPS", "myups@10.0.0.5"), io.Discard)
	if err != nil || f.power.ups.String() != "ups1@localhost:3500" {
		t.Fatalf("the flag over the environment: %+v, %v", f.power, err)
	}
	if f, err := parseServe(nil, env(), io.Discard); err != nil || f.power.ups.UPS != "" {
		t.Fatalf("without a UPS: %+v, %v", f.power, err)
	}
	for _, tc := range []struct {
		args []string
		env  func(string) string
		want string
	}{
		{[]string{"--ups", "localhost"}, env(), "ИМЯ@ХОСТ"},
		{[]string{"--ups", "u@h", "--ups-every", "0s"}, env(), "--ups-every"},
		{[]string{"--ups", "u@h", "--ups-low-runtime", "-1m"}, env(), "--ups-low-runtime"},
		{nil, env("TALON_UPS_EVERY", "often"), "TALON_UPS_EVERY"},
	} {
		if _, err := parseServe(tc.args, tc.env, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseServe(%q) = %v, want an error about %s", tc.args, err, tc.want)
		}
	}
}

// TestOfficePagePowerAlert: the hall administrator's page raises the
// server's power as the first alert, in words, while it runs on battery or
// cannot read its UPS, and drops it back on line; when the battery runs
// low the server stops and the page says why it lost its connection.
func TestOfficePagePowerAlert(t *testing.T) {
	u := fakeupsd.Start(t, "OL")
	url, _ := startServer(t, t.TempDir(), "--demo", "--ups", u.Name(), "--ups-every", "50ms")
	p := openOfficePage(t)
	p.do(chromedp.EmulateViewport(1366, 768), chromedp.Navigate(url+"/"))
	p.login("hall")
	if n := p.count("#alerts li"); n != 0 {
		t.Fatalf("%d alerts on line", n)
	}

	u.Set("OB DISCHRG")
	alert := `#alerts li[data-power="on_battery"]`
	p.do(chromedp.WaitVisible(alert))
	if text := p.text(alert); !strings.HasPrefix(text, "Сервер работает от ИБП: заряд 80 %, осталось около 20 мин. Сохраняйте работу") ||
		!strings.Contains(text, "ИБП "+u.Name()) {
		t.Fatalf("the alert says %q", text)
	}
	p.screenshot("office-page-power-alert.png")
	u.Set("OL")
	p.do(chromedp.WaitNotVisible("#alerts"))

	u.Set(fakeupsd.Garbage)
	lost := `#alerts li[data-power="unknown"]`
	p.do(chromedp.WaitVisible(lost))
	if text := p.text(lost); !strings.Contains(text, "Нет связи с ИБП сервера") {
		t.Fatalf("the alert says %q", text)
	}
	u.Set("OL")
	p.do(chromedp.WaitNotVisible("#alerts"))

	u.Set("OB LB")
	p.do(chromedp.WaitVisible(`#conn[data-state="offline"]`))
	if text := p.text("#conn"); !strings.Contains(text, "Батарея ИБП разряжена") {
		t.Fatalf("the page lost the server saying %q", text)
	}
	p.noTroubles()
}
