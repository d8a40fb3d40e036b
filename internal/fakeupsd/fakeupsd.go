// Package fakeupsd is a stand-in for Network UPS Tools' upsd in tests that
// cannot run the real one (it needs root): it answers GET VAR for one UPS,
// ups1, whose status a test sets. The queue-server's own test against the
// real upsd with the dummy-ups driver is what proves the protocol; this one
// lets the terminals' and the web page's tests follow a power cut.
package fakeupsd

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// UPSD serves ups1 on loopback until the test ends.
type UPSD struct {
	mu     sync.Mutex
	status string
	host   string
}

// Garbage is a status that makes the server answer what no upsd would.
const Garbage = "garbage"

// Start serves ups1 with status ("OL", "OB DISCHRG", "OB LB" …): on battery
// the charge is 80 % with 20 minutes left, else 100 % and an hour.
func Start(t testing.TB, status string) *UPSD {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &UPSD{status: status, host: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer conn.Close()
				sc := bufio.NewScanner(conn)
				for sc.Scan() {
					if _, err := io.WriteString(conn, u.answer(sc.Text())); err != nil {
						return
					}
				}
			})
		}
	})
	return u
}

// Name is the UPS as --ups takes it: ups1@127.0.0.1:PORT.
func (u *UPSD) Name() string { return "ups1@" + u.host }

// Set changes what the UPS reports from the next request on.
func (u *UPSD) Set(status string) {
	u.mu.Lock()
	u.status = status
	u.mu.Unlock()
}

func (u *UPSD) answer(req string) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	charge, runtime := "100", "3600"
	if strings.HasPrefix(u.status, "OB") {
		charge, runtime = "80", "1200"
	}
	switch {
	case u.status == Garbage:
		return "SSH-2.0-OpenSSH_9.2\n"
	case req == "GET VAR ups1 ups.status":
		return `VAR ups1 ups.status "` + u.status + "\"\n"
	case req == "GET VAR ups1 battery.charge":
		return `VAR ups1 battery.charge "` + charge + "\"\n"
	case req == "GET VAR ups1 battery.runtime":
		return `VAR ups1 battery.runtime "` + runtime + "\"\n"
	case req == "LOGOUT":
		return "OK Goodbye\n"
	}
	return "ERR UNKNOWN-COMMAND\n"
}
