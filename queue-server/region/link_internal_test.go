package region

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/talonqueue/talon/queue-server/tlsconf"
)

// A credentials file is a .creds (user JWT and seed) or an nkey seed; the
// office node's leaf remote gets either as the server takes it, and the
// CA turns TLS on.
func TestLinkLeaf(t *testing.T) {
	dir := t.TempDir()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	nk := filepath.Join(dir, "office.nk")
	creds := filepath.Join(dir, "office.creds")
	write := func(path, s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(nk, "# the office's key\n"+string(seed)+"\n")
	write(creds, "-----BEGIN NATS USER JWT-----\neyJhbGciOiJlZDI1NTE5In0.e30.c2ln\n------END NATS USER JWT------\n\n"+
		"-----BEGIN USER NKEY SEED-----\n"+string(seed)+"\n------END USER NKEY SEED------\n")
	if _, _, err := tlsconf.SelfSigned(dir, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, tlsconf.CertFile)

	var r server.RemoteLeafOpts
	if err := (Link{Credentials: nk, CA: ca}).leaf(&r); err != nil {
		t.Fatal(err)
	}
	if r.Nkey != string(seed) || r.Credentials != "" || !r.TLS || r.TLSConfig.RootCAs == nil {
		t.Fatalf("with an nkey seed and a CA: nkey %q, credentials %q, TLS %v", r.Nkey, r.Credentials, r.TLS)
	}
	r = server.RemoteLeafOpts{}
	if err := (Link{Credentials: creds}).leaf(&r); err != nil {
		t.Fatal(err)
	}
	if r.Credentials != creds || r.Nkey != "" || r.TLS {
		t.Fatalf("with a .creds file: nkey %q, credentials %q, TLS %v", r.Nkey, r.Credentials, r.TLS)
	}
	for _, l := range []Link{{Credentials: nk}, {Credentials: creds}, {CA: ca}} {
		if opts, err := l.Options(); err != nil || len(opts) != 1 {
			t.Errorf("%+v: %d options, %v", l, len(opts), err)
		}
	}
}

// A password given in a URL is not repeated in a sentence about it.
func TestRedact(t *testing.T) {
	got := Redact("nats://a:4222, nats://admin:s3cret@b:4222,nats://c:4222")
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "admin:xxx@b:4222") {
		t.Fatalf("Redact: %s", got)
	}
}
