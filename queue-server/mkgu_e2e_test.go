package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/integrations/mkgu"
	"github.com/talonqueue/talon/queue-server/outbox"
	"github.com/talonqueue/talon/queue-server/store"
)

// mkguKeyPair writes a fresh RSA key and self-signed certificate into dir as
// PEM files, the way an office is given its МКГУ signing pair.
func mkguKeyPair(t testing.TB, dir string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "МФЦ демо"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "mkgu.pem"), filepath.Join(dir, "mkgu.key")
	write := func(path, typ string, b []byte) {
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(certFile, "CERTIFICATE", der)
	write(keyFile, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	return certFile, keyFile, cert
}

// mkguReceiver stands for ИАС МКГУ: it checks every packet's signature and
// that its foreign id is the idempotency key, accepts each foreign id once
// (a repeat is answered 409, as a receiver that already has it does) and
// counts every attempt on the wire. It can fail the next attempts with 500,
// or hold its answers until the caller goes away.
type mkguReceiver struct {
	t    *testing.T
	cert *x509.Certificate

	mu       sync.Mutex
	accepted map[string]int // foreign id -> times taken in
	wire     map[string]int // foreign id -> attempts seen
	fail     int            // the next attempts answered 500
	drop     int            // the next attempts taken in, then their connection dropped unanswered
	hold     bool           // take in, then answer only when the caller has gone
	changed  chan struct{}  // closed and replaced on every attempt
}

func newMKGUReceiver(t *testing.T, cert *x509.Certificate) *mkguReceiver {
	return &mkguReceiver{t: t, cert: cert, accepted: map[string]int{}, wire: map[string]int{}, changed: make(chan struct{})}
}

func (rc *mkguReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	p, err := mkgu.Verify(body, rc.cert)
	if err != nil {
		rc.t.Errorf("receiver: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if key := r.Header.Get("Idempotency-Key"); key != p.ForeignID {
		rc.t.Errorf("receiver: Idempotency-Key %q for the packet of foreign id %q", key, p.ForeignID)
	}
	rc.mu.Lock()
	rc.wire[p.ForeignID]++
	fail, drop, hold, seen := rc.fail > 0, rc.drop > 0, rc.hold, rc.accepted[p.ForeignID] > 0
	switch {
	case fail:
		rc.fail--
	case drop:
		rc.drop--
	}
	if !fail && !seen {
		rc.accepted[p.ForeignID]++
	}
	close(rc.changed)
	rc.changed = make(chan struct{})
	rc.mu.Unlock()
	switch {
	case fail:
		http.Error(w, "временная ошибка", http.StatusInternalServerError)
	case drop:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			rc.t.Errorf("receiver: hijack: %v", err)
			return
		}
		conn.Close()
	case hold:
		<-r.Context().Done()
	case seen:
		w.WriteHeader(http.StatusConflict)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// waitAccepted waits until every id has been taken in.
func (rc *mkguReceiver) waitAccepted(t *testing.T, ids ...string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		rc.mu.Lock()
		missing := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return rc.accepted[id] > 0 })
		changed := rc.changed
		rc.mu.Unlock()
		if len(missing) == 0 {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("the receiver never got %v", missing)
		}
	}
}

func (rc *mkguReceiver) set(fail, drop int, hold bool) {
	rc.mu.Lock()
	rc.fail, rc.drop, rc.hold = fail, drop, hold
	rc.mu.Unlock()
}

// attempts is how many attempts of the ids reached the receiver.
func (rc *mkguReceiver) attempts(ids []string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, id := range ids {
		n += rc.wire[id]
	}
	return n
}

// rateFinished has operator1 serve and finish a passport ticket at window
// 1, and window 1's rating terminal rate it with a phone for the survey.
func rateFinished(t *testing.T, url string) domain.Rating {
	t.Helper()
	ctx := context.Background()
	kiosk, op1 := login(t, url, "kiosk1"), login(t, url, "operator1")
	rating, err := client.New(url, client.WithDeviceCredential(testserver.Pair(t, url, "rating1")))
	if err != nil {
		t.Fatal(err)
	}
	tk := must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	if _, err := op1.OpenWindowSession(ctx, demo.OfficeID, "w1"); err != nil && domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatal(err)
	}
	must[domain.Ticket](t)(op1.CallNext(ctx, demo.OfficeID, "w1", false))
	must[domain.Ticket](t)(op1.FinishTicket(ctx, demo.OfficeID, tk.ID))
	form := must[domain.RatingForm](t)(rating.CurrentRatingForm(ctx, demo.OfficeID))
	in := form.Indicators[0]
	return must[domain.Rating](t)(rating.SubmitRating(ctx, demo.OfficeID, domain.NewRating{TicketID: tk.ID,
		Answers: []domain.RatingAnswer{{IndicatorID: in.ID, ValueID: in.Values[4].ID}}, Phone: "+7 916 123-45-67", PhoneConsent: true}))
}

// waitDelivered waits until the manager sees every id delivered.
func waitDelivered(t *testing.T, manager *client.Client, ids ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		list, err := manager.ListOutbox(context.Background(), demo.OfficeID, domain.DeliveryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		state := map[string]string{}
		for _, d := range list {
			state[d.ID] = d.State
		}
		if !slices.ContainsFunc(ids, func(id string) bool { return state[id] != domain.DeliveryDelivered }) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the manager sees %v, want %v delivered", state, ids)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A rating on the real server reaches a local МКГУ receiver as two signed
// packets, rates and events, each taken in once; the manager sees both
// delivered and the phone is purged after the events packet. A receiver
// that answers 500 for a while still gets the next rating's packets, so does
// one that drops connections mid-request, and one that holds its answer
// while the server is killed with SIGKILL and started again: every foreign
// id is taken in exactly once.
func TestRatingsReachMKGUOnce(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, cert := mkguKeyPair(t, t.TempDir())
	rc := newMKGUReceiver(t, cert)
	receiver := httptest.NewServer(rc)
	defer receiver.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	flags := []string{"--mkgu-url", receiver.URL + "/api/rates", "--mkgu-cert", certFile, "--mkgu-key", keyFile}
	cmd, url := testserver.Start(t, dir, addr, flags...)
	ctx := context.Background()
	manager := login(t, url, "manager")

	r := rateFinished(t, url)
	ids := []string{r.ID, r.ID + ".phone"}
	rc.waitAccepted(t, ids...)
	waitDelivered(t, manager, ids...)
	for deadline := time.Now().Add(60 * time.Second); !journaled(t, url, manager, "purgeRatingPhone", "rating/"+r.ID); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the phone of a delivered events packet was never purged")
		}
	}
	if !journaled(t, url, manager, "deliverMessage", "message/"+r.ID) {
		t.Error("the delivery of the rates packet is not in the office's journal")
	}
	all := slices.Clone(ids)

	// 500 for three attempts, then three dropped mid-request after the
	// receiver took the packet in: five or more attempts for two packets.
	for _, tc := range []struct{ fail, drop int }{{3, 0}, {0, 3}} {
		rc.set(tc.fail, tc.drop, false)
		r = rateFinished(t, url)
		ids = []string{r.ID, r.ID + ".phone"}
		rc.waitAccepted(t, ids...)
		waitDelivered(t, manager, ids...)
		if n := rc.attempts(ids); n < 5 {
			t.Errorf("%d attempts on the wire with %d failing with 500 and %d dropped; want 5 or more", n, tc.fail, tc.drop)
		}
		all = append(all, ids...)
	}

	rc.set(0, 0, true)
	r = rateFinished(t, url)
	ids = []string{r.ID, r.ID + ".phone"}
	rc.waitAccepted(t, ids...)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	rc.set(0, 0, false)
	cmd, url = testserver.Start(t, dir, addr, flags...)
	// stop ends the server as an administrator does, so its data can be read.
	stop := func() {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("the server stopped with %v", err)
		}
	}
	manager = login(t, url, "manager")
	waitDelivered(t, manager, ids...)
	all = append(all, ids...)

	rc.mu.Lock()
	for _, id := range all {
		if rc.accepted[id] != 1 {
			t.Errorf("foreign id %s taken in %d times", id, rc.accepted[id])
		}
	}
	if len(rc.accepted) != len(all) {
		t.Errorf("the receiver took in %d foreign ids, want %d: %v", len(rc.accepted), len(all), rc.accepted)
	}
	for _, id := range ids {
		if rc.wire[id] < 2 {
			t.Errorf("%s was sent %d times: the attempt cut by the kill was not repeated after the restart", id, rc.wire[id])
		}
	}
	t.Logf("attempts on the wire per foreign id: %v", rc.wire)
	rc.mu.Unlock()
	list, err := manager.ListOutbox(ctx, demo.OfficeID, domain.DeliveryQuery{Channel: mkgu.ChannelEvents})
	if err != nil || len(list) != 4 {
		t.Fatalf("events packets the manager sees: %+v, %v", list, err)
	}

	// Once every purge is journaled, no full phone is left on disk: not
	// with the ratings, not in the delivered packets.
	for _, id := range all {
		if mkgu.RatingID(id) != id {
			continue
		}
		for deadline := time.Now().Add(60 * time.Second); !journaled(t, url, manager, "purgeRatingPhone", "rating/"+id); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the phone of rating %s was never purged", id)
			}
		}
	}
	stop()
	st, err := store.Open(filepath.Join(dir, dbFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ratings, err := st.Ratings(ctx, demo.OfficeID, "2000-01-01", "9999-12-31")
	if err != nil || len(ratings) != 4 {
		t.Fatalf("ratings on disk: %d, %v", len(ratings), err)
	}
	for _, r := range ratings {
		if r.Phone != "" {
			t.Errorf("rating %s keeps the phone after its events packet was delivered", r.Rating.ID)
		}
	}
	packets, err := st.Outbox().List(ctx, outbox.Query{Channel: mkgu.ChannelEvents})
	if err != nil || len(packets) != 4 {
		t.Fatalf("events packets on disk: %d, %v", len(packets), err)
	}
	for _, p := range packets {
		if p.Body != nil {
			t.Errorf("delivered events packet %s keeps its body with the phone", p.ID)
		}
	}
}

// journaled reports whether the office's journal has a successful action on object.
func journaled(t *testing.T, url string, manager *client.Client, action, object string) bool {
	t.Helper()
	return slices.ContainsFunc(getJournal(t, url, manager, ""), func(r domain.JournalRecord) bool {
		return r.Action == action && r.Object == object && r.Result == domain.JournalOK
	})
}

// The МКГУ export takes its three flags together, and a key it cannot read
// stops the start.
func TestMKGUFlagsComeTogether(t *testing.T) {
	certFile, keyFile, _ := mkguKeyPair(t, t.TempDir())
	none := func(string) string { return "" }
	for _, tc := range []struct {
		name string
		args []string
		want string // "" for a start
	}{
		{"none", nil, ""},
		{"all", []string{"--mkgu-url", "https://mkgu.example/api", "--mkgu-cert", certFile, "--mkgu-key", keyFile}, ""},
		{"no key", []string{"--mkgu-url", "https://mkgu.example/api", "--mkgu-cert", certFile}, "тремя флагами вместе"},
		{"url only", []string{"--mkgu-url", "https://mkgu.example/api"}, "тремя флагами вместе"},
		{"not a url", []string{"--mkgu-url", "mkgu.example", "--mkgu-cert", certFile, "--mkgu-key", keyFile}, "нужен адрес"},
		{"key is the certificate", []string{"--mkgu-url", "https://mkgu.example/api", "--mkgu-cert", certFile, "--mkgu-key", certFile}, "ключ подписи пакетов МКГУ не прочитан"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseServe(tc.args, none, io.Discard)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "" && (f.mkguSigner != nil) != (len(tc.args) > 0):
				t.Fatalf("signer %v for %v", f.mkguSigner, tc.args)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want a refusal with %q", err, tc.want)
			}
		})
	}
}
