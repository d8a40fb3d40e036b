package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/talonqueue/talon/queue-server/tlsconf"
)

// WithCAFile trusts the certificate authorities in a PEM file besides the
// system ones: an office or regional CA, or the server's self-signed
// cert.pem copied to the terminal. The server's name is checked as usual.
func WithCAFile(file string) Option { return func(c *Client) { c.caFile = file } }

// WithPinnedCertificate trusts the server only if its certificate has this
// SHA-256 fingerprint, as queue-server prints it at start ("AB:CD:…") or as
// 64 plain hex digits in any case. Without WithCAFile nothing else is
// checked, neither issuer nor name: that is what lets a terminal trust an
// office server's self-signed certificate. With WithCAFile both must hold.
// A server with another certificate fails with CertificateMismatchError.
func WithPinnedCertificate(fingerprint string) Option {
	return func(c *Client) { c.pin = fingerprint }
}

// CertificateMismatchError is a server whose certificate is not the pinned
// one: the certificate was reissued, the address now leads to another
// server, or someone sits in between. Errors of the client's calls carry it
// as their cause (errors.As) and show its message.
type CertificateMismatchError struct {
	Want, Got tlsconf.Fingerprint
}

func (e *CertificateMismatchError) Error() string {
	return fmt.Sprintf("отпечаток сертификата сервера очереди не совпадает с закреплённым: ожидался %s, получен %s", e.Want, e.Got)
}

// tlsConfig builds the client side of WithCAFile and WithPinnedCertificate.
func tlsConfig(caFile, pin string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("client: CA file: %w", err)
		}
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool() // no system store (some Windows kiosks): the file alone
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client: CA file %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = roots
	}
	if pin != "" {
		want, err := tlsconf.ParseFingerprint(pin)
		if err != nil {
			return nil, fmt.Errorf("client: pinned certificate: %w", err)
		}
		// The pin replaces the chain and name checks, not adds to them, when
		// there is no CA: VerifyConnection still runs on every handshake.
		cfg.InsecureSkipVerify = caFile == ""
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			if got := tlsconf.FingerprintOf(cs.PeerCertificates[0].Raw); got != want {
				return &CertificateMismatchError{Want: want, Got: got}
			}
			return nil
		}
	}
	return cfg, nil
}
