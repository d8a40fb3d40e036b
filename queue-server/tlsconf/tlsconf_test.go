package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSelfSignedIsCreatedOnceAndReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), Dir)
	cert, created, err := SelfSigned(dir, "192.0.2.10")
	if err != nil || !created {
		t.Fatalf("first start: created %v, %v", created, err)
	}
	leaf := cert.Leaf
	key, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		t.Fatalf("key is %T, want ECDSA P-256", leaf.PublicKey)
	}
	if years := time.Until(leaf.NotAfter).Hours() / 24 / 365; years < 9.9 || years > 10.1 {
		t.Errorf("valid for %.1f years, want about 10", years)
	}
	if leaf.NotBefore.After(time.Now()) {
		t.Errorf("not valid yet: from %v", leaf.NotBefore)
	}
	hostname, _ := os.Hostname()
	for _, name := range []string{"192.0.2.10", "localhost", "127.0.0.1", "::1", hostname} {
		if err := leaf.VerifyHostname(name); err != nil {
			t.Errorf("certificate does not name %q: %v", name, err)
		}
	}
	// A terminal given cert.pem as its CA file can verify the server by name.
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "localhost"}); err != nil {
		t.Errorf("the certificate does not verify against itself: %v", err)
	}

	for name, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, filepath.Join(dir, KeyFile): 0o600} {
		if fi, err := os.Stat(name); err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v (%v), want %v", name, fi.Mode(), err, want)
		}
	}

	again, created, err := SelfSigned(dir, "192.0.2.10")
	if err != nil || created {
		t.Fatalf("second start: created %v, %v", created, err)
	}
	if a, b := FingerprintOf(again.Leaf.Raw), FingerprintOf(leaf.Raw); a != b {
		t.Fatalf("second start changed the fingerprint from %s to %s", b, a)
	}
}

func TestSelfSignedNames(t *testing.T) {
	hostname, _ := os.Hostname()
	tests := []struct {
		host    string
		wantDNS []string
		wantIPs []string
	}{
		{"talon.office.local", []string{"talon.office.local", "localhost"}, []string{"127.0.0.1", "::1"}},
		{"127.0.0.1", []string{"localhost"}, []string{"127.0.0.1", "::1"}},
		{"::1", []string{"localhost"}, []string{"::1", "127.0.0.1"}},
		{"LOCALHOST", []string{"LOCALHOST"}, []string{"127.0.0.1", "::1"}},
		{"0.0.0.0", []string{"localhost"}, []string{"127.0.0.1", "::1", "10.1.2.3"}},
		{"", []string{"localhost"}, []string{"127.0.0.1", "::1", "10.1.2.3"}},
	}
	for _, tc := range tests {
		dns, ips := sans(tc.host, hostname, []net.IP{net.ParseIP("10.1.2.3")})
		for _, d := range append(tc.wantDNS, hostname) {
			if !slices.Contains(dns, d) {
				t.Errorf("host %q: names %v lack %q", tc.host, dns, d)
			}
		}
		if len(dns) != len(tc.wantDNS)+1 {
			t.Errorf("host %q: names %v, want %v and the hostname once each", tc.host, dns, tc.wantDNS)
		}
		var got []string
		for _, ip := range ips {
			if ip.IsUnspecified() {
				t.Errorf("host %q: the certificate names the unspecified address", tc.host)
			}
			got = append(got, ip.String())
		}
		for _, w := range tc.wantIPs {
			if !slices.Contains(got, w) {
				t.Errorf("host %q: addresses %v lack %s", tc.host, got, w)
			}
		}
	}
	if ips := interfaceAddrs("127.0.0.1"); ips != nil {
		t.Errorf("a loopback listener adds interface addresses %v", ips)
	}
}

func TestSelfSignedWithoutKeyIsRefused(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := SelfSigned(dir, "localhost"); err != nil {
		t.Fatal(err)
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, CertFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, KeyFile)); err != nil {
		t.Fatal(err)
	}
	_, _, err = SelfSigned(dir, "localhost")
	if err == nil || !strings.Contains(err.Error(), "удалите "+CertFile) {
		t.Fatalf("a certificate without its key: %v, want a refusal that says what to delete", err)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, CertFile)); string(now) != string(certPEM) {
		t.Fatal("the pinned certificate was replaced")
	}
}

func TestSelfSignedReplacesALeftoverKey(t *testing.T) {
	dir := t.TempDir()
	// A start that stopped between writing the key and the certificate.
	if err := os.WriteFile(filepath.Join(dir, KeyFile), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, created, err := SelfSigned(dir, "localhost"); err != nil || !created {
		t.Fatalf("created %v, %v", created, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("the folder holds %d files, want the key and the certificate only", len(entries))
	}
}

func TestLoad(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if _, _, err := SelfSigned(d, "localhost"); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := Load(filepath.Join(a, CertFile), filepath.Join(a, KeyFile))
	if err != nil || cert.Leaf == nil {
		t.Fatalf("load: %v", err)
	}
	for name, files := range map[string][2]string{
		"missing key":      {filepath.Join(a, CertFile), filepath.Join(a, "nope.pem")},
		"key of another":   {filepath.Join(a, CertFile), filepath.Join(b, KeyFile)},
		"key as cert":      {filepath.Join(a, KeyFile), filepath.Join(a, KeyFile)},
		"folder as a file": {a, filepath.Join(a, KeyFile)},
	} {
		if _, err := Load(files[0], files[1]); err == nil || !strings.Contains(err.Error(), files[0]) {
			t.Errorf("%s: %v, want an error naming the files", name, err)
		}
	}
}

func TestServerConfig(t *testing.T) {
	cert, _, err := SelfSigned(t.TempDir(), "localhost")
	if err != nil {
		t.Fatal(err)
	}
	c := ServerConfig(cert)
	if c.MinVersion != tls.VersionTLS12 || len(c.Certificates) != 1 || !slices.Contains(c.NextProtos, "http/1.1") {
		t.Fatalf("config %+v", c)
	}
}

var colonForm = regexp.MustCompile(`^[0-9A-F]{2}(:[0-9A-F]{2}){31}$`)

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	cert, _, err := SelfSigned(dir, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	f := FingerprintOf(cert.Leaf.Raw)
	s := f.String()
	if !colonForm.MatchString(s) {
		t.Fatalf("fingerprint %q is not AB:CD:… upper case", s)
	}
	plain := hex.EncodeToString(f[:])
	for _, in := range []string{s, strings.ToLower(s), plain, strings.ToUpper(plain), "  " + s + "\n"} {
		if got, err := ParseFingerprint(in); err != nil || got != f {
			t.Errorf("ParseFingerprint(%q) = %s, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", s[:len(s)-3], s + ":00", plain[1:], "zz" + plain[2:], strings.Replace(s, ":", "", 1), strings.ReplaceAll(s, ":", "-"), "A:BC" + s[4:]} {
		if _, err := ParseFingerprint(bad); err == nil || !strings.Contains(err.Error(), "отпечаток") {
			t.Errorf("ParseFingerprint(%q): %v, want a refusal", bad, err)
		}
	}

	// The same value openssl shows, so an administrator can check it by hand.
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("no openssl to compare with")
	}
	out, err := exec.Command("openssl", "x509", "-in", filepath.Join(dir, CertFile), "-noout", "-fingerprint", "-sha256").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "="+s) {
		t.Fatalf("openssl says %q, we say %s", out, s)
	}
}

// FuzzParseFingerprint: whatever a person types, parsing either refuses it or
// returns the value the text spells, and printing then parsing gives it back.
func FuzzParseFingerprint(f *testing.F) {
	for _, s := range []string{
		"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
		"abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
		"", ":", "::", "ab:", " AB ", "sha256:ab", "AB:CD", "xyz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFingerprint(s)
		if err != nil {
			return
		}
		spelled := strings.ReplaceAll(strings.TrimSpace(s), ":", "")
		if !strings.EqualFold(spelled, hex.EncodeToString(got[:])) {
			t.Fatalf("ParseFingerprint(%q) = %s", s, got)
		}
		back, err := ParseFingerprint(got.String())
		if err != nil || back != got || !colonForm.MatchString(got.String()) {
			t.Fatalf("%q → %s → %s, %v", s, got, back, err)
		}
	})
}
