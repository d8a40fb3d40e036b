package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/auth"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/store"
)

// httpCall is call for a test that needs the status and the sentence of
// the error, if any.
func httpCall(t *testing.T, method, url, bearer, body string) (int, string) {
	t.Helper()
	status, out := call(t, method, url, bearer, body, nil)
	return status, errorMessage(out)
}

// Regression: an administrator of one office set the password of a region
// administrator and moved the account into their office, then logged in as it.
func TestOfficeAdminCannotTakeOverAccounts(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	ctx := context.Background()
	root := login(t, url, "admin")
	must[domain.Office](t)(root.PutOffice(ctx, domain.Office{ID: "other", Name: "Другой офис", TimeZone: "Europe/Moscow"}))
	must[domain.Account](t)(root.PutAccount(ctx, domain.AccountInput{Account: domain.Account{Login: "boss2", Role: domain.RoleAdmin, OfficeID: "other"}, Password: "boss2-pass"}))
	boss, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := boss.Login(ctx, "boss2", "boss2-pass"); err != nil {
		t.Fatal(err)
	}
	for _, target := range []domain.Account{
		{Login: "admin", Role: domain.RoleAdmin, OfficeID: "other"},
		{Login: "admin", Role: domain.RoleAdmin},
		{Login: "hall", Role: domain.RoleHall, OfficeID: "other"},
		{Login: "hall", Role: domain.RoleHall, OfficeID: demo.OfficeID},
	} {
		_, err := boss.PutAccount(ctx, domain.AccountInput{Account: target, Password: "taken-over"})
		if domain.ErrorCode(err) != domain.CodeForbidden {
			t.Errorf("office admin of other wrote %s in office %q: %v, want forbidden", target.Login, target.OfficeID, err)
		}
		probe, _ := client.New(url)
		if _, err := probe.Login(ctx, target.Login, "taken-over"); err == nil {
			t.Fatalf("the new password of %s logs in", target.Login)
		}
	}
	login(t, url, "admin") // the old password still works
}

// Regression: the token signing key was kept in the database, so every
// backup let its reader mint an administrator's token. It is in a file of
// its own that backups leave out and a restore keeps.
func TestBackupCarriesNoSigningKey(t *testing.T) {
	dir := t.TempDir()
	url, stop := startServer(t, dir, "--demo")
	ctx := context.Background()
	keyFile := filepath.Join(dir, auth.KeyFile)
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("signing key file: %v, %v", fi, err)
	}
	rawHex, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(rawHex)))
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, url, "admin")
	var backup bytes.Buffer
	if _, err := admin.Backup(ctx, &backup); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(backup.Bytes(), key) || bytes.Contains(backup.Bytes(), bytes.TrimSpace(rawHex)) {
		t.Fatal("the backup contains the token signing key")
	}
	stop()

	file := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(file, backup.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(file, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var settings map[string]string
	err = st.Load(ctx, "2000-01-01", func(state domain.State) error {
		settings = state.Settings
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	for k := range settings {
		if strings.Contains(k, "secret") || strings.Contains(k, "key") {
			t.Errorf("the backup keeps setting %q", k)
		}
	}

	// Restore into the same data folder: the key stays, so tokens and
	// device credentials issued before keep working.
	token := admin.Token()
	if err := run(ctx, []string{"restore", "--from", file, "--data", dir}, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(keyFile); !bytes.Equal(after, rawHex) {
		t.Fatal("restore changed the signing key")
	}
	url, _ = startServer(t, dir)
	if status, msg := httpCall(t, "GET", url+"/api/v1/me", token, ""); status != http.StatusOK {
		t.Fatalf("a token from before the restore: %d %s", status, msg)
	}
	// The backup was journaled before the copy, the restore into the copy.
	req, _ := http.NewRequest("GET", url+"/api/v1/journal", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var region []domain.JournalRecord
	if err := json.NewDecoder(resp.Body).Decode(&region); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range region {
		actions = append(actions, r.Action)
	}
	if n := len(actions); n < 2 || actions[n-2] != "backup" || actions[n-1] != "restore" || region[n-1].Object != "backup/backup.db" {
		t.Fatalf("the region journal ends with %q", actions)
	}
}

// A device is registered, paired with a one-time code, works, and is refused
// at once when revoked: on the API and on its open stream.
func TestDevicePairingEndToEnd(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	ctx := context.Background()
	admin := login(t, url, "admin")
	must[domain.Device](t)(admin.PutDevice(ctx, domain.Device{ID: "kiosk9", OfficeID: demo.OfficeID, Kind: domain.DeviceKiosk, Name: "Киоск у лифта"}))
	code := must[domain.PairingCode](t)(admin.CreatePairingCode(ctx, demo.OfficeID, "kiosk9"))
	if time.Until(code.ExpiresAt) > domain.PairingCodeTTL || time.Until(code.ExpiresAt) < domain.PairingCodeTTL-time.Minute {
		t.Fatalf("the code expires at %v", code.ExpiresAt)
	}

	kiosk, err := client.New(url, client.WithStreamTiming(client.StreamTiming{MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	p := must[domain.DevicePairing](t)(kiosk.PairDevice(ctx, code.Code))
	if !strings.HasPrefix(p.Credential, domain.DeviceCredentialPrefix) || p.Device.PairedAt == nil {
		t.Fatalf("pairing gave %+v", p)
	}
	if status, msg := httpCall(t, "POST", url+"/api/v1/pair", "", fmt.Sprintf(`{"code":%q}`, code.Code)); status != http.StatusNotFound || !strings.Contains(msg, "уже использован") {
		t.Fatalf("the code used again: %d %q", status, msg)
	}
	if status, msg := httpCall(t, "POST", url+"/api/v1/pair", "", `{"code":"ab"}`); status != http.StatusBadRequest || !strings.Contains(msg, "8 знаков") {
		t.Fatalf("a malformed code: %d %q", status, msg)
	}
	tk := must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))

	states := make(chan client.ConnState, 32)
	sub := kiosk.Subscribe(ctx, demo.OfficeID, client.Funcs{State: func(s client.ConnState) { states <- s }})
	defer sub.Close()
	waitFor(t, states, func(s client.ConnState) bool { return s.Status == client.Online })

	devices := must[[]domain.Device](t)(admin.ListDevices(ctx, demo.OfficeID))
	for _, d := range devices {
		if d.ID == "kiosk9" && d.PairedAt == nil {
			t.Fatalf("the list shows kiosk9 unpaired: %+v", d)
		}
	}
	raw, _ := json.Marshal(devices)
	if strings.Contains(string(raw), "hash") {
		t.Fatalf("the device list carries hashes: %s", raw)
	}

	must[domain.Device](t)(admin.RevokeDevice(ctx, demo.OfficeID, "kiosk9"))
	waitFor(t, states, func(s client.ConnState) bool { return s.Status != client.Online })
	_, err = kiosk.GetTicket(ctx, demo.OfficeID, tk.ID)
	if domain.ErrorCode(err) != domain.CodeUnauthorized || !strings.Contains(domain.ErrorMessage(err), "привяжите его заново") {
		t.Fatalf("a revoked device: %v", err)
	}
	if status, _ := httpCall(t, "GET", url+"/api/v1/me", p.Credential, ""); status != http.StatusUnauthorized {
		t.Fatalf("a revoked credential on /me: %d", status)
	}
}

func waitFor(t *testing.T, states <-chan client.ConnState, ok func(client.ConnState) bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case s := <-states:
			if ok(s) {
				return
			}
		case <-deadline:
			t.Fatal("the stream never reached the expected state")
		}
	}
}

// Devices and the public stream learn no staff identity, no priority
// category and nothing of appointments; a kiosk cannot read or cancel a
// booking. People of the office still see the whole ticket.
func TestDevicesLearnOnlyWhatTheyShow(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	ctx := context.Background()
	hall, kiosk, board := login(t, url, "hall"), login(t, url, "kiosk1"), login(t, url, "display1")
	events := make(chan domain.Event, 64)
	sub := board.Subscribe(ctx, demo.OfficeID, client.Funcs{Event: func(e domain.Event) { events <- e }})
	defer sub.Close()
	time.Sleep(200 * time.Millisecond) // let the board subscribe

	prio := must[domain.Ticket](t)(hall.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport", PriorityCategoryID: "disability-1-2", PriorityDocument: "Справка МСЭ"}))
	slots := must[[]domain.Slot](t)(hall.ListAppointmentSlots(ctx, demo.OfficeID, "consultation", time.Now().Add(24*time.Hour).In(mustLoc(t)).Format(time.DateOnly)))
	if len(slots) == 0 {
		t.Fatal("no slot tomorrow")
	}
	ap := must[domain.Appointment](t)(hall.CreateAppointment(ctx, demo.OfficeID, domain.NewAppointment{ServiceID: "consultation", Start: slots[0].Start, Name: "Иванов И. И.", Phone: "+79990001122"}))

	for _, fn := range []func() error{
		func() error { _, err := kiosk.GetAppointment(ctx, demo.OfficeID, ap.ID); return err },
		func() error { _, err := kiosk.CancelAppointment(ctx, demo.OfficeID, ap.ID); return err },
		func() error { _, err := kiosk.ListQueue(ctx, demo.OfficeID, domain.QueueFilter{}); return err },
	} {
		if err := fn(); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Errorf("the kiosk was not refused: %v", err)
		}
	}
	got := must[domain.Ticket](t)(kiosk.GetTicket(ctx, demo.OfficeID, prio.ID))
	if got.PriorityCategoryID != "" || got.PriorityLevel != 0 || got.VerifiedBy != "" || got.PriorityDocument != "" || !got.Priority {
		t.Errorf("the kiosk sees %+v", got)
	}
	if staff := must[domain.Ticket](t)(hall.GetTicket(ctx, demo.OfficeID, prio.ID)); staff.PriorityCategoryID != "disability-1-2" || staff.PriorityDocument != "Справка МСЭ" {
		t.Errorf("the hall administrator sees %+v", staff)
	}
	deadline := time.After(20 * time.Second)
	for seen := 0; seen < 2; {
		select {
		case e := <-events:
			raw, _ := json.Marshal(e)
			for _, secret := range []string{"hall", "disability-1-2", "Справка МСЭ", "Иванов", "+7999", ap.ID, ap.Code} {
				if strings.Contains(string(raw), secret) {
					t.Errorf("the board's stream carries %q: %s", secret, raw)
				}
			}
			if e.Type == domain.EventTicketIssued || e.Type == domain.EventAppointmentBooked {
				seen++
			}
		case <-deadline:
			t.Fatal("the board did not see the ticket and the booking")
		}
	}
}

// Regression: appointments could be booked for 9999-12-31.
func TestBookingHorizonOverHTTP(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	hall := login(t, url, "hall")
	far := time.Date(9999, 12, 31, 10, 0, 0, 0, mustLoc(t))
	_, err := hall.CreateAppointment(context.Background(), demo.OfficeID, domain.NewAppointment{ServiceID: "consultation", Start: far})
	if domain.ErrorCode(err) != domain.CodeInvalid || !strings.Contains(domain.ErrorMessage(err), "вперёд") {
		t.Fatalf("a booking for 9999: %v", err)
	}
}

// Regression: the server had no read or idle timeout, so a slow body or an
// idle keep-alive connection was held for ever.
func TestSlowAndIdleConnectionsAreClosed(t *testing.T) {
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}), httpLimits{header: 200 * time.Millisecond, read: 300 * time.Millisecond, idle: 300 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	closedWithin := func(what string, c net.Conn) {
		t.Helper()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		start := time.Now()
		_, _ = io.Copy(io.Discard, c)
		if time.Since(start) > 4*time.Second {
			t.Fatalf("%s was held open", what)
		}
	}

	slow, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly a little")
	closedWithin("a connection with a slow body", slow)

	idle, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	closedWithin("an idle keep-alive connection", idle)
	if defaultHTTPLimits.read <= 0 || defaultHTTPLimits.idle <= 0 || defaultHTTPLimits.header <= 0 {
		t.Fatalf("the server runs without limits: %+v", defaultHTTPLimits)
	}
}

// Logging out ends the session for every token of it; refreshing gives a
// new token of the same session without the password.
func TestRefreshAndLogout(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	ctx := context.Background()
	hall := login(t, url, "hall")
	old := hall.Token()
	me := must[domain.Actor](t)(hall.Me(ctx))
	res := must[client.LoginResult](t)(hall.Refresh(ctx))
	if res.Token == "" || me.SessionID == "" || res.Actor.SessionID != me.SessionID {
		t.Fatalf("refresh of session %q gave %+v", me.SessionID, res)
	}
	if err := hall.EndSession(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{old, res.Token} {
		if status, msg := httpCall(t, "GET", url+"/api/v1/me", tok, ""); status != http.StatusUnauthorized || !strings.Contains(msg, "вышли") {
			t.Fatalf("a token of the ended session: %d %q", status, msg)
		}
	}
	login(t, url, "hall") // a new login is a new session
}
