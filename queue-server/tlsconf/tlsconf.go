// Package tlsconf holds the queue server's HTTPS certificate: loading one an
// office was given, creating and keeping a self-signed one in the data folder,
// the SHA-256 fingerprint terminals pin it by, and the server's *tls.Config.
//
// A self-signed certificate lives as DIR/cert.pem and DIR/key.pem (key mode
// 0600, folder 0700). It is created once and reused, so the fingerprint pinned
// in every terminal stays valid; deleting both files issues a new one.
package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Names of the self-signed pair: Dir inside the data folder, the files inside Dir.
const (
	Dir      = "tls"
	CertFile = "cert.pem"
	KeyFile  = "key.pem"
)

// Validity is how long a self-signed certificate lasts: offices do not rotate
// certificates by hand, and every rotation means re-pinning every terminal.
const Validity = 10 * 365 * 24 * time.Hour

// Fingerprint is the SHA-256 of a certificate's DER bytes, the value a
// terminal pins; it is what `openssl x509 -fingerprint -sha256` prints.
type Fingerprint [sha256.Size]byte

// FingerprintOf returns the fingerprint of a DER-encoded certificate.
func FingerprintOf(der []byte) Fingerprint { return sha256.Sum256(der) }

// String is the colon-separated upper-case form, "AB:CD:…".
func (f Fingerprint) String() string {
	var b strings.Builder
	b.Grow(len(f)*3 - 1)
	for i, c := range f {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// ParseFingerprint reads a fingerprint in the colon form the server prints or
// as 64 plain hex digits, in any case; spaces around it are ignored.
func ParseFingerprint(s string) (Fingerprint, error) {
	var f Fingerprint
	h := strings.TrimSpace(s)
	if strings.Contains(h, ":") {
		parts := strings.Split(h, ":")
		for _, p := range parts {
			if len(p) != 2 {
				return f, fmt.Errorf("отпечаток сертификата %q: ожидаются пары шестнадцатеричных цифр через двоеточие, как AB:CD:…", s)
			}
		}
		h = strings.Join(parts, "")
	}
	if len(h) != 2*len(f) {
		return f, fmt.Errorf("отпечаток сертификата %q: нужен SHA-256, это %d шестнадцатеричные цифры (с двоеточиями или без)", s, 2*len(f))
	}
	if _, err := hex.Decode(f[:], []byte(h)); err != nil {
		return Fingerprint{}, fmt.Errorf("отпечаток сертификата %q: допустимы только цифры 0-9 и буквы A-F", s)
	}
	return f, nil
}

// ServerConfig serves cert with TLS 1.2 at least. It offers HTTP/2 beside
// HTTP/1.1 as ServeTLS would; WebSocket clients ask for HTTP/1.1 themselves.
func ServerConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"h2", "http/1.1"},
	}
}

// Load reads a certificate (with its chain) and its key from PEM files.
func Load(certFile, keyFile string) (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("load TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	if cert.Leaf == nil {
		// Only under GODEBUG=x509keypairleaf=0; the fingerprint needs the leaf.
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("parse TLS certificate %s: %w", certFile, err)
		}
	}
	return cert, nil
}

// SelfSigned returns the self-signed certificate kept in dir, creating it
// first when there is none; created says which. The certificate names host
// (the address the server listens on), localhost, the loopback addresses and
// the machine's name, so that terminals that trust it as a CA file can check
// the name they connect to.
func SelfSigned(dir, host string) (cert tls.Certificate, created bool, err error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	// The key is written before the certificate, so a certificate without a
	// key was not left by us: someone removed the key, and replacing the
	// certificate silently would break every terminal that pinned it.
	switch _, err := os.Stat(certPath); {
	case err == nil:
		if _, err := os.Stat(keyPath); errors.Is(err, fs.ErrNotExist) {
			return tls.Certificate{}, false, fmt.Errorf("в %s есть сертификат, но нет ключа %s: удалите %s, чтобы сервер создал новую пару (терминалам понадобится новый отпечаток)", dir, KeyFile, CertFile)
		}
		cert, err := Load(certPath, keyPath)
		return cert, false, err
	case !errors.Is(err, fs.ErrNotExist):
		return tls.Certificate{}, false, fmt.Errorf("self-signed certificate: %w", err)
	}
	hostname, _ := os.Hostname() // without a name the certificate still serves by address
	dns, ips := sans(host, hostname, interfaceAddrs(host))
	certPEM, keyPEM, err := generate(dns, ips, time.Now())
	if err != nil {
		return tls.Certificate{}, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, false, fmt.Errorf("create TLS folder: %w", err)
	}
	if err := writeFile(keyPath, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, false, err
	}
	if err := writeFile(certPath, certPEM, 0o644); err != nil {
		return tls.Certificate{}, false, err
	}
	cert, err = Load(certPath, keyPath)
	return cert, true, err
}

// sans lists the names and addresses a self-signed certificate is issued for.
// An unspecified listen host (all interfaces) is replaced by the interfaces'
// addresses, since no client connects to 0.0.0.0.
func sans(host, hostname string, ifaces []net.IP) (dns []string, ips []net.IP) {
	seen := map[string]bool{}
	add := func(name string) {
		name = strings.Trim(name, "[]")
		if name == "" || seen[strings.ToLower(name)] {
			return
		}
		seen[strings.ToLower(name)] = true
		if ip := net.ParseIP(name); ip != nil {
			if !ip.IsUnspecified() {
				ips = append(ips, ip)
			}
			return
		}
		dns = append(dns, name)
	}
	add(host)
	add("localhost")
	add("127.0.0.1")
	add("::1")
	add(hostname)
	for _, ip := range ifaces {
		add(ip.String())
	}
	return dns, ips
}

// interfaceAddrs returns this machine's unicast addresses when host means all
// of them; an error leaves them out, the loopback names still work.
func interfaceAddrs(host string) []net.IP {
	if ip := net.ParseIP(strings.Trim(host, "[]")); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return nil
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.IsGlobalUnicast() {
			ips = append(ips, n.IP)
		}
	}
	return ips
}

// generate creates an ECDSA P-256 key and a certificate for it, valid from an
// hour before now (clocks in an office drift) for Validity.
func generate(dns []string, ips []net.IP, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("generate certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Talon queue-server", Organization: []string{"Talon"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dns,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create self-signed certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode TLS key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// writeFile replaces path with data atomically, so a crash leaves either the
// old file or the whole new one.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
