package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/outbuf"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/tlsconf"
)

var printedFingerprint = regexp.MustCompile(`SHA-256: ([0-9A-F]{2}(?::[0-9A-F]{2}){31})\n`)

// startTLSServer runs the real program with a self-signed certificate in dir
// and returns its URL, the fingerprint it printed and everything it said;
// extra flags go after the usual ones.
func startTLSServer(t *testing.T, dir string, extra ...string) (url, fingerprint string, out *outbuf.Buffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &outbuf.Buffer{}
	done := make(chan error, 1)
	args := append([]string{"--tls-self-signed", "--addr", "127.0.0.1:0", "--data", dir, "--demo", "--bcrypt-cost", "4"}, extra...)
	go func() { done <- run(ctx, args, func(string) string { return "" }, out, io.Discard) }()
	stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with %v", err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		u, f := listening.FindStringSubmatch(out.String()), printedFingerprint.FindStringSubmatch(out.String())
		if u != nil && f != nil {
			url, fingerprint = u[1], f[1]
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("server stopped before listening: %v\n%s", err, out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("server did not say where it listens and its fingerprint:\n%s", out)
		}
	}
	if !strings.HasPrefix(url, "https://") {
		stop()
		t.Fatalf("the greeting says %s, want an https:// address", url)
	}
	return url, fingerprint, out, stop
}

// tlsLogin returns a client that trusts the server through opts, signed in
// as a demo account.
func tlsLogin(t *testing.T, url, who string, opts ...client.Option) (*client.Client, error) {
	t.Helper()
	if isDemoDevice(who) {
		return tlsPair(t, url, who, opts...)
	}
	c, err := client.New(url, append(opts, client.WithCredentials(who, "demo"),
		client.WithStreamTiming(client.StreamTiming{MinBackoff: 50 * time.Millisecond, MaxBackoff: 300 * time.Millisecond}))...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Login(context.Background(), who, "demo")
	return c, err
}

// tlsPair pairs a demo device over HTTPS, as its administrator and the
// terminal would.
func tlsPair(t *testing.T, url, device string, opts ...client.Option) (*client.Client, error) {
	t.Helper()
	admin, err := tlsLogin(t, url, "admin", opts...)
	if err != nil {
		return nil, err
	}
	code, err := admin.CreatePairingCode(context.Background(), demo.OfficeID, device)
	if err != nil {
		return nil, err
	}
	c, err := client.New(url, append(opts, client.WithStreamTiming(client.StreamTiming{MinBackoff: 50 * time.Millisecond, MaxBackoff: 300 * time.Millisecond}))...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PairDevice(context.Background(), code.Code)
	return c, err
}

// TestTLSSelfSigned runs the office over HTTPS with the certificate the
// server made itself, trusted by its fingerprint or as a CA file.
func TestTLSSelfSigned(t *testing.T) {
	dir := t.TempDir()
	url, fingerprint, out, stop := startTLSServer(t, dir)
	if !strings.Contains(out.String(), "Создан самоподписанный сертификат") || !strings.Contains(out.String(), "client.WithPinnedCertificate") {
		t.Errorf("the first start does not say it created the certificate and how to pin it:\n%s", out)
	}
	ctx := context.Background()
	pin := client.WithPinnedCertificate(fingerprint)

	hall, err := tlsLogin(t, url, "hall", pin)
	if err != nil {
		t.Fatalf("login with the printed pin: %v", err)
	}
	if _, err := hall.ListQueue(ctx, demo.OfficeID, domain.QueueFilter{}); err != nil {
		t.Fatalf("a call with the pin: %v", err)
	}

	// A pin of another certificate is refused, and the message says why.
	wrong := []byte(fingerprint)
	wrong[0] = '0'
	if fingerprint[0] == '0' {
		wrong[0] = '1'
	}
	_, err = tlsLogin(t, url, "hall", client.WithPinnedCertificate(string(wrong)))
	msg := domain.ErrorMessage(err)
	if !strings.Contains(msg, "не совпадает") || !strings.Contains(msg, string(wrong)) || !strings.Contains(msg, fingerprint) {
		t.Fatalf("a wrong pin: %v (%q), want the mismatch with both fingerprints", err, msg)
	}

	// The certificate itself, given as a CA file, works too: it names 127.0.0.1.
	certFile := filepath.Join(dir, tlsconf.Dir, tlsconf.CertFile)
	if _, err := tlsLogin(t, url, "hall", client.WithCAFile(certFile)); err != nil {
		t.Fatalf("login with the certificate as CA file: %v", err)
	}
	// Without either the certificate is not trusted.
	if _, err := tlsLogin(t, url, "hall"); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("login trusting nothing: %v, want unavailable", err)
	}

	// The hall board's stream runs over wss with the pin.
	board, err := tlsLogin(t, url, "display1", pin)
	if err != nil {
		t.Fatal(err)
	}
	online := make(chan struct{}, 10)
	issued := make(chan domain.Event, 10)
	sub := board.Subscribe(ctx, demo.OfficeID, client.Funcs{
		State: func(s client.ConnState) {
			if s.Status == client.Online {
				online <- struct{}{}
			}
		},
		Event: func(e domain.Event) {
			if e.Type == domain.EventTicketIssued {
				issued <- e
			}
		},
	})
	defer sub.Close()
	select {
	case <-online:
	case <-time.After(30 * time.Second):
		t.Fatalf("the stream over wss never came online: %v", sub.State().Err)
	}
	kiosk, err := tlsLogin(t, url, "kiosk1", pin)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-issued:
		if e.TicketID != tk.ID {
			t.Fatalf("the board saw ticket %s, want %s", e.TicketID, tk.ID)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the board did not see the ticket over wss")
	}
	sub.Close()

	// A wrong pin keeps the stream offline with the same message.
	stranger, err := client.New(url, client.WithPinnedCertificate(string(wrong)), client.WithToken(kiosk.Token()))
	if err != nil {
		t.Fatal(err)
	}
	states := make(chan client.ConnState, 10)
	refused := stranger.Subscribe(ctx, demo.OfficeID, client.Funcs{State: func(s client.ConnState) { states <- s }})
	defer refused.Close()
	for s := range states {
		if s.Status == client.Online {
			t.Fatal("the stream came online with a wrong pin")
		}
		if s.Status == client.Offline {
			var mismatch *client.CertificateMismatchError
			if !errors.As(s.Err, &mismatch) || !strings.Contains(domain.ErrorMessage(s.Err), "не совпадает") {
				t.Fatalf("the stream with a wrong pin is offline with %v", s.Err)
			}
			break
		}
	}
	refused.Close()

	// The second start keeps the certificate the terminals pinned.
	stop()
	_, again, out, stop := startTLSServer(t, dir)
	defer stop()
	if again != fingerprint {
		t.Fatalf("the second start has fingerprint %s, the first had %s", again, fingerprint)
	}
	if strings.Contains(out.String(), "Создан самоподписанный") {
		t.Errorf("the second start created a certificate again:\n%s", out)
	}
}

// TestTLSRequiredOffLoopback: plain HTTP that other machines could reach is
// refused before anything is opened, unless asked for with --insecure-http.
func TestTLSRequiredOffLoopback(t *testing.T) {
	noEnv := func(string) string { return "" }
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "queue.office.local:0"} {
		dir := filepath.Join(t.TempDir(), "data")
		err := run(context.Background(), []string{"--addr", addr, "--data", dir}, noEnv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--tls-self-signed") || !strings.Contains(err.Error(), "--insecure-http") {
			t.Errorf("plain HTTP on %s: %v, want a refusal that names the flags", addr, err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the refused start on %s touched the data folder: %v", addr, err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	out := &outbuf.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "0.0.0.0:0", "--insecure-http", "--data", t.TempDir()}, noEnv, out, io.Discard)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "слушает http://") {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("--insecure-http on 0.0.0.0 did not start: %v\n%s", err, out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("--insecure-http on 0.0.0.0 did not start:\n%s", out)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// tlsFiles makes a certificate pair, a file that is no certificate, and names
// a file that does not exist.
func tlsFiles(t testing.TB, dir string) (cert, key, garbage, missing string) {
	t.Helper()
	if _, _, err := tlsconf.SelfSigned(dir, "localhost"); err != nil {
		t.Fatal(err)
	}
	garbage = filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("-----BEGIN NOTHING-----"), 0o600); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, tlsconf.CertFile), filepath.Join(dir, tlsconf.KeyFile), garbage, filepath.Join(dir, "missing.pem")
}

func TestTLSFlags(t *testing.T) {
	dir := t.TempDir()
	cert, key, garbage, missing := tlsFiles(t, dir)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // part of the error; "" for a start
	}{
		{"plain on loopback", []string{"--addr", "127.0.0.1:8080"}, nil, ""},
		{"plain on localhost", []string{"--addr", "localhost:0"}, nil, ""},
		{"plain on ::1", []string{"--addr", "[::1]:0"}, nil, ""},
		{"plain on 127.0.0.2", []string{"--addr", "127.0.0.2:0"}, nil, ""},
		{"the default address", nil, nil, ""},
		{"plain on every interface", []string{"--addr", ":8080"}, nil, "--insecure-http"},
		{"plain on a name", []string{"--addr", "talon:8080"}, nil, "--tls-self-signed"},
		{"plain from the environment", nil, map[string]string{"TALON_ADDR": "0.0.0.0:8080"}, "--tls-cert"},
		{"insecure on purpose", []string{"--addr", "0.0.0.0:8080", "--insecure-http"}, nil, ""},
		{"insecure from the environment", []string{"--addr", "0.0.0.0:8080"}, map[string]string{"TALON_INSECURE_HTTP": "true"}, ""},
		{"self-signed", []string{"--addr", "0.0.0.0:8443", "--tls-self-signed"}, nil, ""},
		{"self-signed from the environment", []string{"--addr", "0.0.0.0:8443"}, map[string]string{"TALON_TLS_SELF_SIGNED": "1"}, ""},
		{"switch not a boolean", nil, map[string]string{"TALON_TLS_SELF_SIGNED": "yes please"}, "TALON_TLS_SELF_SIGNED"},
		{"files", []string{"--addr", "0.0.0.0:8443", "--tls-cert", cert, "--tls-key", key}, nil, ""},
		{"files from the environment", []string{"--addr", "0.0.0.0:8443"}, map[string]string{"TALON_TLS_CERT": cert, "TALON_TLS_KEY": key}, ""},
		{"cert without key", []string{"--tls-cert", cert}, nil, "вместе"},
		{"key without cert", []string{"--tls-key", key}, nil, "вместе"},
		{"files and self-signed", []string{"--tls-cert", cert, "--tls-key", key, "--tls-self-signed"}, nil, "либо"},
		{"self-signed and insecure", []string{"--tls-self-signed", "--insecure-http"}, nil, "--insecure-http"},
		{"files and insecure", []string{"--tls-cert", cert, "--tls-key", key, "--insecure-http"}, nil, "--insecure-http"},
		{"missing cert", []string{"--tls-cert", missing, "--tls-key", key}, nil, missing},
		{"missing key", []string{"--tls-cert", cert, "--tls-key", missing}, nil, missing},
		{"garbage cert", []string{"--tls-cert", garbage, "--tls-key", key}, nil, garbage},
		{"folder as cert", []string{"--tls-cert", dir, "--tls-key", key}, nil, dir},
		{"key as cert", []string{"--tls-cert", key, "--tls-key", key}, nil, key},
		{"address without port", []string{"--addr", "0.0.0.0", "--tls-self-signed"}, nil, "ХОСТ:ПОРТ"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseServe(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			case err == nil && (f.tlsCertFile != "") != (f.tlsCert != nil):
				t.Fatalf("certificate files %q but loaded %v", f.tlsCertFile, f.tlsCert != nil)
			}
		})
	}
}

// FuzzTLSFlags: any address and any combination of the TLS flags parse
// without panicking, and what is accepted is consistent: a certificate comes
// with its key and is loaded, TLS and --insecure-http never meet, and plain
// HTTP off loopback is always asked for.
func FuzzTLSFlags(f *testing.F) {
	cert, key, garbage, missing := tlsFiles(f, f.TempDir())
	files := []string{"", cert, key, garbage, missing}
	f.Add("127.0.0.1:8080", uint8(0), uint8(0), false, false, "")
	f.Add("0.0.0.0:8443", uint8(1), uint8(2), false, false, "")
	f.Add("0.0.0.0:8443", uint8(1), uint8(0), false, false, "")
	f.Add(":8080", uint8(0), uint8(0), true, false, "")
	f.Add("[::1]:80", uint8(1), uint8(2), true, true, "")
	f.Add("host:1", uint8(3), uint8(4), false, true, "")
	f.Add("[fe80::1%eth0]:0", uint8(0), uint8(0), false, false, "1")
	f.Add("localhost", uint8(2), uint8(1), false, false, "false")
	f.Fuzz(func(t *testing.T, addr string, certIdx, keyIdx uint8, selfSigned, insecure bool, envSelfSigned string) {
		args := []string{"--addr", addr}
		if c := files[int(certIdx)%len(files)]; c != "" {
			args = append(args, "--tls-cert", c)
		}
		if k := files[int(keyIdx)%len(files)]; k != "" {
			args = append(args, "--tls-key", k)
		}
		if selfSigned {
			args = append(args, "--tls-self-signed")
		}
		if insecure {
			args = append(args, "--insecure-http")
		}
		getenv := func(k string) string {
			if k == "TALON_TLS_SELF_SIGNED" {
				return envSelfSigned
			}
			return ""
		}
		fl, err := parseServe(args, getenv, io.Discard)
		if err != nil {
			return
		}
		withFiles := fl.tlsCertFile != "" || fl.tlsKeyFile != ""
		switch {
		case withFiles && (fl.tlsCertFile == "" || fl.tlsKeyFile == "" || fl.tlsCert == nil || fl.tlsSelfSigned):
			t.Fatalf("%q: accepted files %q and %q, loaded %v, self-signed %v", args, fl.tlsCertFile, fl.tlsKeyFile, fl.tlsCert != nil, fl.tlsSelfSigned)
		case fl.plainHTTP && (withFiles || fl.tlsSelfSigned):
			t.Fatalf("%q: accepted TLS together with --insecure-http", args)
		case !withFiles && !fl.tlsSelfSigned && !fl.plainHTTP && !loopbackAddr(fl.addr):
			t.Fatalf("%q: accepted plain HTTP on %q", args, fl.addr)
		}
	})
}

// loopbackAddr is the test's own reading of "this machine only", through
// net/netip rather than the net.ParseIP the server uses.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	return strings.EqualFold(host, "localhost") || err == nil && a.Unmap().IsLoopback()
}
