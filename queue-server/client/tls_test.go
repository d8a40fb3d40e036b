package client

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/tlsconf"
)

// tlsServer is an HTTPS server with a self-signed certificate as
// queue-server --tls-self-signed makes it; it answers /healthz.
type tlsServer struct {
	url, certFile string
	fingerprint   tlsconf.Fingerprint
}

func newTLSServer(t *testing.T) tlsServer {
	t.Helper()
	dir := t.TempDir()
	cert, _, err := tlsconf.SelfSigned(dir, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(t, w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	srv.TLS = tlsconf.ServerConfig(cert)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what the tests expect
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return tlsServer{srv.URL, filepath.Join(dir, tlsconf.CertFile), tlsconf.FingerprintOf(cert.Leaf.Raw)}
}

func TestPinnedCertificate(t *testing.T) {
	srv, other := newTLSServer(t), newTLSServer(t)
	ctx := context.Background()
	plain := strings.ToLower(strings.ReplaceAll(srv.fingerprint.String(), ":", ""))
	for _, pin := range []string{srv.fingerprint.String(), plain} {
		c, err := New(srv.url, WithPinnedCertificate(pin))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Healthz(ctx); err != nil {
			t.Errorf("pin %s: %v", pin, err)
		}
	}

	c, err := New(srv.url, WithPinnedCertificate(other.fingerprint.String()))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Healthz(ctx)
	msg := domain.ErrorMessage(err)
	if domain.ErrorCode(err) != domain.CodeUnavailable || !strings.Contains(msg, "не совпадает") ||
		!strings.Contains(msg, "ожидался "+other.fingerprint.String()) || !strings.Contains(msg, "получен "+srv.fingerprint.String()) {
		t.Fatalf("wrong pin: %v (%q), want the mismatch with both fingerprints", err, msg)
	}
	var mismatch *CertificateMismatchError
	if !errors.As(err, &mismatch) || mismatch.Want != other.fingerprint || mismatch.Got != srv.fingerprint {
		t.Fatalf("wrong pin: %#v does not carry the mismatch", err)
	}
}

func TestCAFile(t *testing.T) {
	srv, other := newTLSServer(t), newTLSServer(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		opts     []Option
		mismatch bool // else: ok
		refused  bool
	}{
		{"own certificate as CA", []Option{WithCAFile(srv.certFile)}, false, false},
		{"CA and pin", []Option{WithCAFile(srv.certFile), WithPinnedCertificate(srv.fingerprint.String())}, false, false},
		{"CA and the pin of another", []Option{WithCAFile(srv.certFile), WithPinnedCertificate(other.fingerprint.String())}, true, true},
		{"another CA", []Option{WithCAFile(other.certFile)}, false, true},
		{"another CA and the right pin", []Option{WithCAFile(other.certFile), WithPinnedCertificate(srv.fingerprint.String())}, false, true},
		{"neither", nil, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(srv.url, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Healthz(ctx)
			var mismatch *CertificateMismatchError
			switch {
			case !tc.refused && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.refused && domain.ErrorCode(err) != domain.CodeUnavailable:
				t.Fatalf("accepted or wrong code: %v", err)
			case tc.mismatch != errors.As(err, &mismatch):
				t.Fatalf("mismatch %v, want %v: %v", mismatch, tc.mismatch, err)
			}
		})
	}
}

func TestTLSOptionsAreChecked(t *testing.T) {
	srv := newTLSServer(t)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "cert.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		url  string
		opts []Option
		want string
	}{
		"short pin":       {srv.url, []Option{WithPinnedCertificate("AB:CD")}, "отпечаток"},
		"missing CA file": {srv.url, []Option{WithCAFile(filepath.Join(dir, "nope.pem"))}, "nope.pem"},
		"CA not PEM":      {srv.url, []Option{WithCAFile(notPEM)}, "no PEM"},
		"plain HTTP":      {strings.Replace(srv.url, "https", "http", 1), []Option{WithPinnedCertificate(srv.fingerprint.String())}, "https://"},
		"own HTTP client": {srv.url, []Option{WithHTTPClient(&http.Client{}), WithPinnedCertificate(srv.fingerprint.String())}, "WithHTTPClient"},
	}
	for name, tc := range tests {
		if _, err := New(tc.url, tc.opts...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %q", name, err, tc.want)
		}
	}
}

// TestTLSConfigOfTheStream: the stream's dialer checks the server as the
// calls do and offers no HTTP/2, which its handshake cannot use.
func TestTLSConfigOfTheStream(t *testing.T) {
	srv := newTLSServer(t)
	c, err := New(srv.url, WithPinnedCertificate(srv.fingerprint.String()))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Healthz(context.Background()); err != nil { // the transport has added h2 by now
		t.Fatal(err)
	}
	d := c.dialer()
	if d.TLSClientConfig == nil || d.TLSClientConfig.VerifyConnection == nil || len(d.TLSClientConfig.NextProtos) != 0 {
		t.Fatalf("stream TLS config %+v", d.TLSClientConfig)
	}

	// A caller's own transport with TLS settings: the same, without HTTP/2.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{ServerName: "talon", NextProtos: []string{"h2", "http/1.1"}}
	c, err = New(srv.url, WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	if d := c.dialer(); d.TLSClientConfig.ServerName != "talon" || len(d.TLSClientConfig.NextProtos) != 0 {
		t.Fatalf("stream TLS config %+v", d.TLSClientConfig)
	}
}
