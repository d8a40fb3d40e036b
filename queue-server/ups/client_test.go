package ups

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeUPSD answers each request line with what answer returns for it; an
// answer "" closes the connection instead.
func fakeUPSD(t *testing.T, answer func(req string) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				sc := bufio.NewScanner(conn)
				for sc.Scan() {
					a := answer(sc.Text())
					if a == "" {
						return
					}
					if _, err := conn.Write([]byte(a)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// vars is a UPS as upsd would answer for it.
func vars(v map[string]string) func(string) string {
	return func(req string) string {
		name, ok := strings.CutPrefix(req, "GET VAR ups1 ")
		if !ok {
			return "ERR UNKNOWN-UPS\n"
		}
		a, ok := v[name]
		if !ok {
			return "ERR VAR-NOT-SUPPORTED\n"
		}
		return a
	}
}

func TestRead(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    map[string]string
		want Reading
		err  string // a part of the error; "" for none
	}{
		{"on line", map[string]string{"ups.status": "VAR ups1 ups.status \"OL CHRG\"\n", "battery.charge": "VAR ups1 battery.charge \"100\"\n",
			"battery.runtime": "VAR ups1 battery.runtime \"3600\"\n"}, Reading{Status: "OL CHRG", Charge: 100, Runtime: time.Hour}, ""},
		{"on battery, crlf, fractions", map[string]string{"ups.status": "VAR ups1 ups.status \"OB DISCHRG\"\r\n", "battery.charge": "VAR ups1 battery.charge \"85.5\"\r\n",
			"battery.runtime": "VAR ups1 battery.runtime \"1200.0\"\r\n"}, Reading{Status: "OB DISCHRG", OnBattery: true, Charge: 85, Runtime: 20 * time.Minute}, ""},
		{"low, no runtime", map[string]string{"ups.status": "VAR ups1 ups.status \"OB LB\"\n", "battery.charge": "VAR ups1 battery.charge \"9\"\n"},
			Reading{Status: "OB LB", OnBattery: true, LowBattery: true, Charge: 9, Runtime: -1}, ""},
		{"forced shutdown", map[string]string{"ups.status": "VAR ups1 ups.status \"FSD OL\"\n"},
			Reading{Status: "FSD OL", ForcedShutdown: true, Charge: -1, Runtime: -1}, ""},
		{"unknown ups", map[string]string{"ups.status": "ERR UNKNOWN-UPS\n"}, Reading{}, "ERR UNKNOWN-UPS"},
		{"stale data", map[string]string{"ups.status": "ERR DATA-STALE\n"}, Reading{}, "ERR DATA-STALE"},
		{"no status", map[string]string{}, Reading{}, "ERR VAR-NOT-SUPPORTED"},
		{"garbage", map[string]string{"ups.status": "HTTP/1.1 400 Bad Request\n"}, Reading{}, "outside the protocol"},
		{"another variable", map[string]string{"ups.status": "VAR ups1 battery.charge \"100\"\n"}, Reading{}, "outside the protocol"},
		{"unquoted", map[string]string{"ups.status": "VAR ups1 ups.status OL\n"}, Reading{}, "not quoted"},
		{"quote inside", map[string]string{"ups.status": "VAR ups1 ups.status \"OL\" \"OB\"\n"}, Reading{}, "quote inside"},
		{"lower case flag", map[string]string{"ups.status": "VAR ups1 ups.status \"ol\"\n"}, Reading{}, "outside the protocol"},
		{"neither OL nor OB", map[string]string{"ups.status": "VAR ups1 ups.status \"WAIT\"\n"}, Reading{}, "neither OL nor OB"},
		{"both OL and OB", map[string]string{"ups.status": "VAR ups1 ups.status \"OL OB\"\n"}, Reading{}, "neither OL nor OB"},
		{"charge not a number", map[string]string{"ups.status": "VAR ups1 ups.status \"OB\"\n", "battery.charge": "VAR ups1 battery.charge \"много\"\n"},
			Reading{}, "not a number"},
		{"negative runtime", map[string]string{"ups.status": "VAR ups1 ups.status \"OB\"\n", "battery.runtime": "VAR ups1 battery.runtime \"-5\"\n"},
			Reading{}, "not a number"},
		{"endless line", map[string]string{"ups.status": strings.Repeat("x", 10000) + "\n"}, Reading{}, "longer than"},
		{"hang up", map[string]string{"ups.status": ""}, Reading{}, "EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := fakeUPSD(t, vars(tc.v))
			c, err := Dial(context.Background(), host, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			got, err := c.Read("ups1")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one with %q (reading %+v)", err, tc.err, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Read = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestReadUnescapes(t *testing.T) {
	host := fakeUPSD(t, vars(map[string]string{"device.model": `VAR ups1 device.model "Smart \"UPS\" 1500 \\ A"` + "\n"}))
	c, err := Dial(context.Background(), host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.Get("ups1", "device.model")
	if want := `Smart "UPS" 1500 \ A`; err != nil || got != want {
		t.Fatalf("Get = %q, %v; want %q", got, err, want)
	}
}

func TestParseAddr(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Addr
		ok   bool
	}{
		{"myups@localhost", Addr{UPS: "myups", Host: "localhost:3493"}, true},
		{"myups@10.0.0.5:4000", Addr{UPS: "myups", Host: "10.0.0.5:4000"}, true},
		{"myups@[::1]", Addr{UPS: "myups", Host: "[::1]:3493"}, true},
		{"myups@[::1]:3500", Addr{UPS: "myups", Host: "[::1]:3500"}, true},
		{"myups", Addr{}, false},
		{"@localhost", Addr{}, false},
		{"myups@", Addr{}, false},
		{"my ups@localhost", Addr{}, false},
	} {
		got, err := ParseAddr(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseAddr(%q) = %+v, %v; want %+v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestJudge(t *testing.T) {
	cfg := Config{LowRuntime: 5 * time.Minute}
	for _, tc := range []struct {
		r    Reading
		want Power
	}{
		{Reading{Charge: 100, Runtime: time.Hour}, Online},
		{Reading{OnBattery: true, Charge: 80, Runtime: time.Hour}, OnBattery},
		{Reading{OnBattery: true, Charge: 80, Runtime: -1}, OnBattery},
		{Reading{OnBattery: true, Charge: 20, Runtime: 4 * time.Minute}, Low},
		{Reading{OnBattery: true, LowBattery: true, Charge: 50, Runtime: time.Hour}, Low},
		{Reading{ForcedShutdown: true, Charge: 50, Runtime: time.Hour}, Low},  // upsmon powers off
		{Reading{LowBattery: true, Charge: 10, Runtime: time.Minute}, Online}, // OL LB: charging after a cut
		{Reading{Charge: 20, Runtime: time.Minute}, Online},                   // charging after a cut
	} {
		if got := cfg.judge(tc.r).Power; got != tc.want {
			t.Errorf("judge(%+v) = %s, want %s", tc.r, got, tc.want)
		}
	}
	if got := (Config{}).judge(Reading{OnBattery: true, Runtime: time.Second}).Power; got != OnBattery {
		t.Errorf("without --ups-low-runtime a short runtime is %s, want on battery until LB", got)
	}
}

// TestRun follows a UPS through a power cut and upsd's failures: every
// change is reported once, garbage and a hang-up are Lost, and the monitor
// reconnects by itself.
func TestRun(t *testing.T) {
	var mu sync.Mutex
	status := "OL"
	set := func(s string) { mu.Lock(); status = s; mu.Unlock() }
	host := fakeUPSD(t, func(req string) string {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case status == "hangup":
			return ""
		case status == "garbage":
			return "hello\n"
		case req == "GET VAR ups1 ups.status":
			return "VAR ups1 ups.status \"" + status + "\"\n"
		case req == "GET VAR ups1 battery.charge":
			return "VAR ups1 battery.charge \"90\"\n"
		}
		return "ERR VAR-NOT-SUPPORTED\n"
	})
	states := make(chan State)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, Config{Addr: Addr{UPS: "ups1", Host: host}, Every: 5 * time.Millisecond, Timeout: 5 * time.Second,
			OnChange: func(s State) {
				select {
				case states <- s:
				case <-ctx.Done():
				}
			}})
	}()
	defer func() { cancel(); <-done }()
	for _, step := range []struct {
		status string
		want   Power
	}{
		{"OL", Online}, {"OB DISCHRG", OnBattery}, {"garbage", Lost}, {"OB", OnBattery},
		{"hangup", Lost}, {"OL CHRG", Online}, {"OB LB", Low},
	} {
		set(step.status)
		s := <-states
		if s.Power != step.want {
			t.Fatalf("after %q the monitor says %s (%v), want %s", step.status, s.Power, s.Err, step.want)
		}
		if s.Power == Lost && (s.Err == nil || !errors.Is(s.Err, ErrProtocol) && step.status == "garbage") {
			t.Fatalf("lost without the reason: %v", s.Err)
		}
	}
}

// An upsd that accepts a request and never answers does not hold the
// client up once its context ends, however long the timeout: the server
// stops at once even while it is reading the UPS.
func TestContextEndsAHungRequest(t *testing.T) {
	hang := make(chan struct{})
	host := fakeUPSD(t, func(string) string { <-hang; return "" })
	defer close(hang) // before the fake's cleanup waits for its handlers
	ctx, cancel := context.WithCancel(context.Background())
	asked := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := Dial(ctx, host, time.Hour)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		close(asked)
		if _, err := c.Get("ups1", "ups.status"); err == nil {
			t.Error("a request cut off by its context succeeded")
		}
	}()
	<-asked
	cancel()
	<-done
}

func FuzzParseVar(f *testing.F) {
	f.Add(`VAR ups1 ups.status "OL"`)
	f.Add(`VAR ups1 ups.status "a \"b\" \\"`)
	f.Add(`ERR DATA-STALE`)
	f.Add(`VAR ups1 ups.status "`)
	f.Fuzz(func(t *testing.T, line string) {
		v, err := parseVar(line, "ups1", "ups.status")
		if err == nil {
			if _, err := parseStatus(v); err == nil && !strings.Contains(v, "O") {
				t.Fatalf("status %q without OL or OB accepted", v)
			}
		}
	})
}
