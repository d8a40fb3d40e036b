package mkgu

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/outbox"
)

var (
	office  = domain.Office{ID: "mfc-1", Name: "МФЦ Центральный", TimeZone: "Europe/Moscow", MKGUVendorID: "vendor-77", OKATO: "45286560000"}
	service = domain.Service{ID: "s1", Name: "Паспорт", FRGU: domain.FRGU{AuthorityID: "10000001", ServiceID: "10000002", ProcedureID: "10000003"}}
	rating  = domain.Rating{ID: "rt-1", OfficeID: "mfc-1", ServiceID: "s1", FormID: "mkgu", FormVersion: "0.0.4",
		Answers:  []domain.RatingAnswer{{IndicatorID: "9", ValueID: "45", Score: 5}, {IndicatorID: "11", ValueID: "51", Score: 1}},
		ServedAt: time.Date(2026, 11, 23, 9, 15, 0, 0, time.UTC), RatedAt: time.Date(2026, 11, 23, 9, 16, 30, 0, time.UTC)}
)

// keyPair writes a fresh RSA key and self-signed certificate as PEM files.
func keyPair(t *testing.T) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "МФЦ"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write := func(path, typ string, b []byte) {
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(certFile, "CERTIFICATE", der)
	write(keyFile, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	return certFile, keyFile, cert
}

func signer(t *testing.T) (*RSASigner, *x509.Certificate) {
	t.Helper()
	c, k, cert := keyPair(t)
	s, err := LoadRSASigner(c, k)
	if err != nil {
		t.Fatal(err)
	}
	return s, cert
}

// validate runs xmllint with the schema over a packet.
func validate(t *testing.T, packet []byte) error {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatal("xmllint is missing: install libxml2-utils (deploy/debian-deps)")
	}
	path := filepath.Join(t.TempDir(), "packet.xml")
	if err := os.WriteFile(path, packet, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("xmllint", "--noout", "--schema", "testdata/mkgu.xsd", path).CombinedOutput()
	if err != nil {
		return &lintError{string(out)}
	}
	return nil
}

type lintError struct{ out string }

func (e *lintError) Error() string { return e.out }

func TestPacketsValidateSignVerifyAndParseBack(t *testing.T) {
	s, cert := signer(t)
	rates, err := Rates(rating, office, service)
	if err != nil {
		t.Fatal(err)
	}
	events, err := Events(rating, office, service, "+79161234567")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Packet{rates, events} {
		t.Run(p.Kind, func(t *testing.T) {
			unsigned, err := p.XML()
			if err != nil {
				t.Fatal(err)
			}
			signed, err := s.Sign(unsigned)
			if err != nil {
				t.Fatal(err)
			}
			for name, doc := range map[string][]byte{"unsigned": unsigned, "signed": signed} {
				if err := validate(t, doc); err != nil {
					t.Errorf("%s packet fails the schema: %v\n%s", name, err, doc)
				}
				back, err := Parse(doc)
				if err != nil || !reflect.DeepEqual(back, p) {
					t.Errorf("%s packet parses to %+v, %v; want %+v", name, back, err, p)
				}
			}
			if !bytes.Contains(signed, []byte(`Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"`)) ||
				!bytes.Contains(signed, []byte(`Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"`)) {
				t.Errorf("not RSA-SHA256 over exclusive c14n:\n%s", signed)
			}
			got, err := Verify(signed, cert)
			if err != nil || !reflect.DeepEqual(got, p) {
				t.Fatalf("Verify = %+v, %v", got, err)
			}
			// One changed byte in the signed data breaks the signature.
			i := bytes.Index(signed, []byte(p.OKATO))
			tampered := bytes.Clone(signed)
			tampered[i] = '9'
			if _, err := Verify(tampered, cert); err == nil {
				t.Error("a packet with a changed ОКАТО digit verified")
			}
			_, _, other := keyPair(t)
			if _, err := Verify(signed, other); err == nil {
				t.Error("verified with another certificate")
			}
		})
	}
}

func TestSchemaRejectsABrokenPacket(t *testing.T) {
	p, err := Rates(rating, office, service)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := p.XML()
	bad := bytes.Replace(doc, []byte("45286560000"), []byte("4528656"), 1)
	if err := validate(t, bad); err == nil {
		t.Error("the schema took a 7-digit ОКАТО")
	}
}

func TestPacketsNeedTheOfficeAndServiceIds(t *testing.T) {
	noVendor, shortOKATO, noFRGU := office, office, service
	noVendor.MKGUVendorID = ""
	shortOKATO.OKATO = "4528656"
	noFRGU.FRGU.ProcedureID = ""
	for name, c := range map[string]struct {
		o     domain.Office
		s     domain.Service
		phone string
		want  string
	}{
		"vendor": {noVendor, service, "", "идентификатор поставщика МКГУ"},
		"okato":  {shortOKATO, service, "", "ОКАТО из 11 цифр"},
		"frgu":   {office, noFRGU, "", "идентификаторы ФРГУ"},
		"phone":  {office, service, "89161234567", "+79XXXXXXXXX"},
	} {
		_, err := Messages(rating, c.o, c.s, c.phone, time.Now())
		if domain.ErrorCode(err) != domain.CodeInvalid || !strings.Contains(domain.ErrorMessage(err), c.want) {
			t.Errorf("%s: %v, want a sentence with %q", name, err, c.want)
		}
	}
}

func TestMessagesAreTheRatesAndTheEventsPacket(t *testing.T) {
	now := time.Now()
	ms, err := Messages(rating, office, service, "", now)
	if err != nil || len(ms) != 1 || ms[0].ID != "rt-1" || ms[0].Channel != ChannelRates {
		t.Fatalf("without a phone: %+v, %v", ms, err)
	}
	ms, err = Messages(rating, office, service, "+79161234567", now)
	if err != nil || len(ms) != 2 || ms[1].ID != "rt-1.phone" || ms[1].Channel != ChannelEvents || !ms[1].CreatedAt.Equal(now) {
		t.Fatalf("with a phone: %+v, %v", ms, err)
	}
	p, err := Parse(ms[1].Body)
	if err != nil || p.Phone != "+79161234567" || p.Kind != KindEvents {
		t.Errorf("events body: %+v, %v", p, err)
	}
}

func TestSenderPostsTheSignedPacket(t *testing.T) {
	s, cert := signer(t)
	ms, err := Messages(rating, office, service, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var got Packet
	status := http.StatusAccepted
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p, err := Verify(body, cert)
		if err != nil || r.Header.Get("Idempotency-Key") != "rt-1" || r.Header.Get("Content-Type") != "application/xml" {
			t.Errorf("received %v, %v", r.Header, err)
		}
		got = p
		w.WriteHeader(status)
	}))
	defer srv.Close()
	snd := Sender{URL: srv.URL, Client: srv.Client(), Signer: s}
	m := outbox.Message{OutboxMessage: ms[0]}
	if err := snd.Send(context.Background(), m); err != nil || got.ForeignID != "rt-1" || len(got.Values) != 2 {
		t.Errorf("Send = %v, received %+v", err, got)
	}
	status = http.StatusBadRequest
	if err := snd.Send(context.Background(), m); !outbox.IsPermanent(err) {
		t.Errorf("a 400 gives %v, want a permanent error", err)
	}
}
