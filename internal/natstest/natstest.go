// Package natstest runs real nats-server processes for the region's tests
// and `make run-region`: the region's three-node JetStream cluster with a
// leaf-node listener on each node, office-like leaf nodes with their own
// JetStream domain, and a TCP proxy that cuts a leaf link when stopped.
// The binary is built from the module's own nats-server, the version
// go.mod names, so the tests run what production runs.
package natstest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/internal/outbuf"
	"github.com/talonqueue/talon/queue-server/tlsconf"
)

const serverModule = "github.com/nats-io/nats-server/v2"

// Limits every node's JetStream is given: explicit, so a node never sizes
// itself from the machine (the feasibility study's advice).
const (
	MaxMemory = 64 << 20
	MaxFile   = 1 << 30
)

var binary = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}|{{.Version}}", serverModule).Output()
	if err != nil {
		return "", fmt.Errorf("find %s in go.mod: %w", serverModule, err)
	}
	_, version, _ := strings.Cut(strings.TrimSpace(string(out)), "|")
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	// Kept between runs: a cold build takes a minute on two cores.
	bin := filepath.Join(cache, "talon", "nats-server-"+version)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("find the module: %w", err)
	}
	tmp := fmt.Sprintf("%s.%d", bin, os.Getpid())
	cmd := exec.Command("go", "build", "-o", tmp, serverModule)
	cmd.Dir = strings.TrimSpace(string(root))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", serverModule, err, out)
	}
	return bin, os.Rename(tmp, bin)
})

// Binary returns the path of the nats-server built from the module, building
// it on first use.
func Binary() (string, error) { return binary() }

// FreePort returns a loopback port nobody listens on now. Nodes need their
// ports before they start, to name each other in their configurations.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Node is one nats-server process, restartable with the same configuration
// and data.
type Node struct {
	Name string
	// URL is the client URL, LeafURL the leaf-node listener's (cluster
	// nodes only).
	URL, LeafURL string
	conf         string
	// client are the options of natstest's own connection to the node.
	client []nats.Option

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	// Log holds the last part of the node's output, for a failed test.
	Log *outbuf.Buffer
}

// Start runs the node and waits until its JetStream answers.
func (n *Node) Start(ctx context.Context) error {
	bin, err := Binary()
	if err != nil {
		return err
	}
	n.mu.Lock()
	if n.cmd != nil {
		n.mu.Unlock()
		return fmt.Errorf("%s is already running", n.Name)
	}
	cmd := exec.Command(bin, "-c", n.conf)
	cmd.Stdout, cmd.Stderr = n.Log, n.Log
	if err := cmd.Start(); err != nil {
		n.mu.Unlock()
		return fmt.Errorf("start %s: %w", n.Name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	n.cmd, n.done = cmd, done
	n.mu.Unlock()
	return n.waitReady(ctx, done)
}

// waitReady waits for the node's JetStream to answer on its client port.
func (n *Node) waitReady(ctx context.Context, done chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var last error
	for {
		select {
		case <-done:
			return fmt.Errorf("%s exited while starting:\n%s", n.Name, n.Log)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %v; its log:\n%s", n.Name, last, tail(n.Log.String(), 3000))
		case <-time.After(50 * time.Millisecond):
		}
		nc, err := nats.Connect(n.URL, append([]nats.Option{nats.NoReconnect()}, n.client...)...)
		if err != nil {
			last = err
			continue
		}
		js, err := jetstream.New(nc)
		if err == nil {
			actx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err = js.AccountInfo(actx)
			cancel()
		}
		nc.Close()
		if err == nil {
			return nil
		}
		last = err
	}
}

// Kill ends the node with SIGKILL, as a power cut would.
func (n *Node) Kill() { n.stop(syscall.SIGKILL) }

// Stop ends the node with SIGTERM and waits for it.
func (n *Node) Stop() { n.stop(syscall.SIGTERM) }

func (n *Node) stop(sig syscall.Signal) {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	<-done
}

// Running reports whether the node's process is up.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil
}

// ResidentMB is the node's resident memory in MiB (VmRSS, Linux).
func (n *Node) ResidentMB() (float64, error) {
	n.mu.Lock()
	cmd := n.cmd
	n.mu.Unlock()
	if cmd == nil {
		return 0, fmt.Errorf("%s is not running", n.Name)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				return 0, fmt.Errorf("VmRSS of %s: %w", n.Name, err)
			}
			return float64(kb) / 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS for %s", n.Name)
}

// Cluster is the region's three nodes.
type Cluster struct {
	Nodes []*Node
	// CA is the certificate file the nodes' TLS is checked with (Secure.TLS),
	// empty without TLS.
	CA string
	// ClientCert and ClientKey are the certificate every client and leaf
	// link must present (Secure.VerifyClients).
	ClientCert, ClientKey string
}

// Secure is a cluster's authorization and TLS.
type Secure struct {
	// Accounts is the accounts block of every node's configuration
	// (region.Authorization); the leaf listeners take the same users.
	Accounts string
	// Client are the options natstest's own connections, which wait for a
	// node to start, log in with.
	Client []nats.Option
	// TLS makes every node's client and leaf listeners take TLS only, with
	// a certificate for 127.0.0.1 made in the cluster's folder (Cluster.CA).
	TLS bool
	// VerifyClients, with TLS, makes them take only clients and leaf links
	// presenting the client certificate made there too (Cluster.ClientCert).
	VerifyClients bool
}

// URLs is the client URLs of all nodes, comma-separated, as nats.Connect
// and `queue-server --region` take them.
func (c *Cluster) URLs() string {
	var u []string
	for _, n := range c.Nodes {
		u = append(u, n.URL)
	}
	return strings.Join(u, ",")
}

// LeafURLs is the nodes' leaf-node listeners.
func (c *Cluster) LeafURLs() []string {
	var u []string
	for _, n := range c.Nodes {
		u = append(u, n.LeafURL)
	}
	return u
}

// Stop ends every node still running.
func (c *Cluster) Stop() {
	for _, n := range c.Nodes {
		n.Stop()
	}
}

// Start is StartCluster for a test, in its temporary folder: the cluster
// stops when the test ends, and a failed test shows each node's log.
func Start(t testing.TB, domain string) *Cluster {
	t.Helper()
	return StartSecure(t, domain, Secure{})
}

// StartSecure is Start with authorization and TLS.
func StartSecure(t testing.TB, domain string, sec Secure) *Cluster {
	t.Helper()
	c, err := StartClusterSecure(context.Background(), t.TempDir(), domain, sec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			for _, n := range c.Nodes {
				t.Logf("log of %s:\n%s", n.Name, n.Log)
			}
		}
	})
	return c
}

// StreamLast is the last seq of stream in JetStream domain, asked through
// nc (across a leaf link for another domain); ok is false while the
// domain does not answer.
func StreamLast(nc *nats.Conn, domain, stream string) (last uint64, ok bool) {
	js, err := jetstream.NewWithDomain(nc, domain)
	if err != nil {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return 0, false
	}
	return s.CachedInfo().State.LastSeq, true
}

// StartCluster writes the configurations of a three-node cluster in JetStream
// domain `domain` under dir and starts it; every node listens for leaf nodes.
// No node tells clients or leaf nodes of the others' addresses: they
// connect where they are told, so a Proxy in between can cut them off.
func StartCluster(ctx context.Context, dir, domain string) (*Cluster, error) {
	return StartClusterSecure(ctx, dir, domain, Secure{})
}

// StartClusterSecure is StartCluster with authorization and TLS.
func StartClusterSecure(ctx context.Context, dir, domain string, sec Secure) (*Cluster, error) {
	// The ports are free when picked but taken only when the nodes start:
	// another process (the tests of other packages) may take one in
	// between. Then the cluster starts again on other ports, in a folder of
	// its own.
	for attempt := 1; ; attempt++ {
		c, err := startCluster(ctx, dir, domain, sec)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			return c, err
		}
		dir = filepath.Join(dir, fmt.Sprintf("retry-%d", attempt))
	}
}

func startCluster(ctx context.Context, dir, domain string, sec Secure) (*Cluster, error) {
	const size = 3
	type ports struct{ client, cluster, leaf int }
	ps := make([]ports, size)
	for i := range ps {
		for _, p := range []*int{&ps[i].client, &ps[i].cluster, &ps[i].leaf} {
			var err error
			if *p, err = FreePort(); err != nil {
				return nil, err
			}
		}
	}
	c := &Cluster{}
	client := slices.Clone(sec.Client)
	var tlsBlock string
	if sec.TLS {
		tlsDir := filepath.Join(dir, "tls")
		if _, _, err := tlsconf.SelfSigned(tlsDir, "127.0.0.1"); err != nil {
			return nil, err
		}
		c.CA = filepath.Join(tlsDir, tlsconf.CertFile)
		verify := ""
		if sec.VerifyClients {
			c.ClientCert, c.ClientKey = filepath.Join(tlsDir, "client.pem"), filepath.Join(tlsDir, "client-key.pem")
			if err := clientCert(c.ClientCert, c.ClientKey); err != nil {
				return nil, err
			}
			verify = fmt.Sprintf(", ca_file: %q, verify: true", c.ClientCert)
			client = append(client, nats.ClientCert(c.ClientCert, c.ClientKey))
		}
		tlsBlock = fmt.Sprintf("tls { cert_file: %q, key_file: %q%s }", c.CA, filepath.Join(tlsDir, tlsconf.KeyFile), verify)
		client = append(client, nats.RootCAs(c.CA))
	}
	for i, p := range ps {
		name := fmt.Sprintf("%s-%d", domain, i+1)
		var routes []string
		for j, q := range ps {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", q.cluster))
			}
		}
		conf := fmt.Sprintf(`server_name: %q
listen: "127.0.0.1:%d"
jetstream { store_dir: %q, domain: %q, max_memory_store: %d, max_file_store: %d }
cluster { name: %q, listen: "127.0.0.1:%d", routes: [%s], no_advertise: true }
leafnodes { listen: "127.0.0.1:%d", no_advertise: true
%s }
%s
%s
`, name, p.client, filepath.Join(dir, name), domain, MaxMemory, MaxFile, domain, p.cluster, quoteAll(routes), p.leaf, tlsBlock, tlsBlock, sec.Accounts)
		n, err := newNode(dir, name, conf)
		if err != nil {
			return nil, err
		}
		n.client = client
		n.URL = fmt.Sprintf("nats://127.0.0.1:%d", p.client)
		n.LeafURL = fmt.Sprintf("nats-leaf://127.0.0.1:%d", p.leaf)
		c.Nodes = append(c.Nodes, n)
	}
	// The nodes wait for each other's votes: start all, then wait for each.
	errs := make(chan error, size)
	for _, n := range c.Nodes {
		go func() { errs <- n.Start(ctx) }()
	}
	var err error
	for range c.Nodes {
		err = errors.Join(err, <-errs)
	}
	if err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// StartLeaf starts a nats-server in its own JetStream domain whose only
// link is a leaf-node connection to remote (a Proxy's URL in the tests):
// the shape of an office node's embedded server.
func StartLeaf(ctx context.Context, dir, domain, remote string) (*Node, error) {
	return StartLeafLinked(ctx, dir, domain, remote, "")
}

// StartLeafLinked is StartLeaf whose link logs in and checks TLS as link
// says: more settings of the leaf remote, such as
// `nkey: "SU…", tls { ca_file: "…" }`.
func StartLeafLinked(ctx context.Context, dir, domain, remote, link string) (*Node, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`server_name: %q
listen: "127.0.0.1:%d"
jetstream { store_dir: %q, domain: %q, max_memory_store: %d, max_file_store: %d }
leafnodes { reconnect: "1s", remotes: [ { url: %q %s } ] }
`, domain, port, filepath.Join(dir, domain), domain, MaxMemory, MaxFile, remote, link)
	n, err := newNode(dir, domain, conf)
	if err != nil {
		return nil, err
	}
	n.URL = fmt.Sprintf("nats://127.0.0.1:%d", port)
	if err := n.Start(ctx); err != nil {
		return nil, err
	}
	return n, nil
}

// clientCert writes a self-signed certificate for client authentication,
// its own CA.
func clientCert(certFile, keyFile string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "talon test client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}

func newNode(dir, name, conf string) (*Node, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name+".conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	return &Node{Name: name, conf: path, Log: &outbuf.Buffer{Max: 64 << 10}}, nil
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
