package mkgu

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/talonqueue/talon/queue-server/outbox"
)

// Signer signs an unsigned packet. RSASigner is the direct API's XMLDSig
// RSA-SHA256; a ГОСТ Р 34.10-2012 signer (СМЭВ, КриптоПро) is another
// implementation of this interface, plugged into Sender the same way.
type Signer interface {
	Sign(unsigned []byte) ([]byte, error)
}

// RSASigner signs with an enveloped XMLDSig signature, RSA-SHA256 over the
// exclusive canonicalisation, carrying the certificate in KeyInfo.
type RSASigner struct {
	ctx *dsig.SigningContext
}

// LoadRSASigner reads a PEM key and certificate, as configured.
func LoadRSASigner(certFile, keyFile string) (*RSASigner, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("mkgu: load the signing key %s and certificate %s: %w", keyFile, certFile, err)
	}
	return NewRSASigner(pair)
}

// NewRSASigner signs with an RSA key pair.
func NewRSASigner(pair tls.Certificate) (*RSASigner, error) {
	key, ok := pair.PrivateKey.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("mkgu: the signing key is %T, want an RSA key", pair.PrivateKey)
	}
	ctx, err := dsig.NewSigningContext(key, pair.Certificate)
	if err != nil {
		return nil, fmt.Errorf("mkgu: signing key: %w", err)
	}
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return nil, fmt.Errorf("mkgu: signing method: %w", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	return &RSASigner{ctx: ctx}, nil
}

// Sign returns the packet with its signature as the last child of mkgu:body.
func (s *RSASigner) Sign(unsigned []byte) ([]byte, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(unsigned); err != nil {
		return nil, fmt.Errorf("mkgu: read packet to sign: %w", err)
	}
	signed, err := s.ctx.SignEnveloped(doc.Root())
	if err != nil {
		return nil, fmt.Errorf("mkgu: sign packet: %w", err)
	}
	out := etree.NewDocument()
	out.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	out.SetRoot(signed)
	b, err := out.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("mkgu: write signed packet: %w", err)
	}
	return b, nil
}

// Verify checks a signed packet against cert and returns its data as signed.
func Verify(signed []byte, cert *x509.Certificate) (Packet, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(signed); err != nil {
		return Packet{}, fmt.Errorf("mkgu: read signed packet: %w", err)
	}
	v := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	el, err := v.Validate(doc.Root())
	if err != nil {
		return Packet{}, fmt.Errorf("mkgu: signature: %w", err)
	}
	return parse(el)
}

// Sender delivers the outbox's МКГУ packets: it signs each one and posts it
// to URL with its foreign id as the idempotency key.
type Sender struct {
	URL    string
	Client *http.Client
	Signer Signer
}

// Send signs m's packet and posts it; see outbox.Post for how answers map.
func (s Sender) Send(ctx context.Context, m outbox.Message) error {
	body, err := s.Signer.Sign(m.Body)
	if err != nil {
		return outbox.Permanent(err)
	}
	return outbox.Post(ctx, s.Client, s.URL, m, body)
}
