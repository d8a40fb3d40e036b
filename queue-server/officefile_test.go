package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/officefile"
	"github.com/talonqueue/talon/queue-server/store"
)

// cli runs a queue-server command as a person at the console would.
func cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, &out, io.Discard)
	return out.String(), err
}

// exported is export-office's file of an office, read back.
func exported(t *testing.T, dir, officeID string) *officefile.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), officeID+".yaml")
	if _, err := cli(t, "export-office", "--data", dir, "--office", officeID, "--out", path); err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := officefile.Parse(path, body)
	if err != nil {
		t.Fatalf("export-office wrote a file it cannot read back: %v", err)
	}
	return f
}

// withoutHashes blanks the logins' password hashes, which differ between
// two hashings of one password by their salt.
func withoutHashes(t *testing.T, f *officefile.File) *officefile.File {
	t.Helper()
	g := *f
	g.Accounts = append([]officefile.Account(nil), f.Accounts...)
	for i := range g.Accounts {
		if g.Accounts[i].PasswordHash == "" {
			t.Errorf("login %s exported without its password hash", g.Accounts[i].Login)
		}
		g.Accounts[i].PasswordHash = ""
	}
	return &g
}

// sameFile compares two files as they are written, which leaves out where
// each was read from.
func sameFile(t *testing.T, what string, got, want *officefile.File) {
	t.Helper()
	g, err := got.Encode(false)
	if err != nil {
		t.Fatal(err)
	}
	w, err := want.Encode(false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", what, g, w)
	}
}

func officeEvents(t *testing.T, dir, officeID string) int {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, dbFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.Events(context.Background(), officeID, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func writeFile(t *testing.T, name string, body []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// import-office of the demo file on an empty server gives the office
// --demo seeds; importing it again changes nothing, not even the log.
func TestImportOfficeOfTheDemoFileGivesTheDemoOffice(t *testing.T) {
	seeded := t.TempDir()
	_, stop := startServer(t, seeded, "--demo")
	stop()
	want := withoutHashes(t, exported(t, seeded, demo.OfficeID))

	dir := t.TempDir()
	file := writeFile(t, "office.yaml", demo.File())
	said, err := cli(t, "import-office", file, "--data", dir, "--initial-password", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(said, "без изменений 0") || !strings.Contains(said, "+ окно w1") || !strings.Contains(said, "Не привязаны устройства: display1, kiosk1, rating1") {
		t.Errorf("the first import said:\n%s", said)
	}
	sameFile(t, "the imported demo office", withoutHashes(t, exported(t, dir, demo.OfficeID)), want)

	events := officeEvents(t, dir, demo.OfficeID)
	said, err = cli(t, "import-office", "--data", dir, file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(said, "создано 0, изменено 0, удалено 0") {
		t.Errorf("the second import of the same file said:\n%s", said)
	}
	if n := officeEvents(t, dir, demo.OfficeID); n != events {
		t.Errorf("the second import of the same file wrote %d events", n-events)
	}

	said, err = cli(t, "import-office", file, "--data", dir, "--pair-devices", "https://talon.office.example:8443")
	if err != nil || !strings.Contains(said, "Устройства привязаны") {
		t.Fatalf("import with --pair-devices said %q, %v", said, err)
	}
	cfgPath := filepath.Join(dir, terminalsDir, "kiosk1.json")
	if fi, err := os.Stat(cfgPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the kiosk's configuration: %v, %v", fi, err)
	}
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var kiosk terminalConfig
	if err := json.Unmarshal(cfg, &kiosk); err != nil || kiosk.Server != "https://talon.office.example:8443" || kiosk.DeviceID != "kiosk1" {
		t.Fatalf("the kiosk's configuration: %s, %v", cfg, err)
	}
	if kiosk.CertFingerprint != "" || !strings.Contains(said, "нет отпечатка сертификата") {
		t.Errorf("without a certificate in the data folder the kiosk pins %q and the import said:\n%s", kiosk.CertFingerprint, said)
	}
	if said, err = cli(t, "import-office", file, "--data", dir, "--pair-devices", "https://talon.office.example:8443"); err != nil || strings.Contains(said, "привязаны") {
		t.Errorf("importing again with every device paired said %q, %v", said, err)
	}
	if again, _ := os.ReadFile(cfgPath); !bytes.Equal(again, cfg) {
		t.Error("importing again paired the kiosk again")
	}

	url, _ := startServer(t, dir)
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := c.Login(context.Background(), "operator1", "s3cret"); err != nil || a.OperatorID != "op1" || a.OfficeID != demo.OfficeID {
		t.Errorf("operator1 with the initial password: %+v, %v", a, err)
	}
	k, err := client.New(url, client.WithDeviceCredential(kiosk.Credential))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.IssueTicket(context.Background(), demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
		t.Errorf("the kiosk paired by import-office could not issue a ticket: %v", err)
	}
}

// import-office --pair-devices https://… --tls-self-signed makes the
// server's self-signed certificate before the server ever ran and pins it
// in the terminals' configurations: the server then serves that very
// certificate, and a kiosk that trusts only its fingerprint works.
func TestImportOfficePinsTheSelfSignedCertificate(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	file := writeFile(t, "office.yaml", demo.File())
	said, err := cli(t, "import-office", file, "--data", dir, "--initial-password", "s3cret", "--pair-devices", "https://"+addr, "--tls-self-signed")
	if err != nil || !strings.Contains(said, "Создан самоподписанный сертификат") || !strings.Contains(said, "Устройства привязаны") {
		t.Fatalf("import said %q, %v", said, err)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, terminalsDir, "kiosk1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var kiosk terminalConfig
	if err := json.Unmarshal(cfg, &kiosk); err != nil || kiosk.CertFingerprint == "" || !strings.Contains(said, kiosk.CertFingerprint) {
		t.Fatalf("the kiosk's configuration %s (%v) pins nothing the import named:\n%s", cfg, err, said)
	}
	url, served, _, stop := startTLSServer(t, dir, "--addr", addr)
	defer stop()
	if served != kiosk.CertFingerprint {
		t.Fatalf("the server serves %s, the kiosk pins %s", served, kiosk.CertFingerprint)
	}
	k, err := client.New(url, client.WithDeviceCredential(kiosk.Credential), client.WithPinnedCertificate(kiosk.CertFingerprint))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.IssueTicket(context.Background(), demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
		t.Errorf("the kiosk pinning the imported certificate could not issue a ticket: %v", err)
	}
	if _, err := cli(t, "import-office", file, "--data", dir, "--pair-devices", "http://"+addr, "--tls-self-signed"); err == nil {
		t.Error("--tls-self-signed with a plain http address was accepted")
	}
}

// lineOf is the 1-based number of the file's first line containing s.
func lineOf(t *testing.T, body []byte, s string) int {
	t.Helper()
	for i, l := range strings.Split(string(body), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("no line holds %q", s)
	return 0
}

// A file with mistakes is refused whole, each mistake at its line, and
// nothing of it is written.
func TestImportOfficeRefusesAWrongFileAtItsLines(t *testing.T) {
	body := bytes.Replace(demo.File(), []byte("services: [realty-rights, egrn]"), []byte("services: [realty-rights, egrn, passprt]"), 1)
	body = bytes.Replace(body, []byte("    kind: display"), []byte("    kind: board"), 1)
	body = bytes.Replace(body, []byte("  time_zone: Europe/Moscow"), []byte("  time_zone: Europe/Moscow\n  timezone: Europe/Moscow"), 1)
	file := writeFile(t, "office.yaml", body)
	dir := t.TempDir()
	_, err := cli(t, "import-office", file, "--data", dir, "--initial-password", "s3cret")
	if err == nil {
		t.Fatal("a file with three mistakes was accepted")
	}
	for _, want := range []string{
		fmt.Sprintf("%s:%d: окно w3: услуга passprt не найдена", file, lineOf(t, body, "egrn, passprt]")),
		fmt.Sprintf("%s:%d: устройство display1: тип устройства \"board\" неизвестен", file, lineOf(t, body, "id: display1")),
		fmt.Sprintf("%s:%d: неизвестный ключ «timezone» в office", file, lineOf(t, body, "  timezone:")),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, dbFile)); err == nil {
		if n := officeEvents(t, dir, demo.OfficeID); n != 0 {
			t.Errorf("a refused file wrote %d events", n)
		}
	}

	json := []byte("{\n  \"format\": \"talon-office/1\",\n  \"office\": {\"id\": \"x\", \"name\": \"X\", \"time_zone\": \"Europe/Moscow\",\n    \"hours\": {\"mon\": \"9:00-18:00\"}}\n}\n")
	_, err = cli(t, "import-office", writeFile(t, "office.json", json), "--data", dir)
	if err == nil || !strings.Contains(err.Error(), "office.json:4: часы работы «9:00-18:00»") {
		t.Errorf("a wrong JSON file: %v", err)
	}
}

// export → import round-trips: the clone under another id, on another
// server, is the same office with the same logins and passwords; a clone
// on the same server is refused for its logins, which are server-wide.
func TestExportImportRoundTrip(t *testing.T) {
	seeded := t.TempDir()
	_, stop := startServer(t, seeded, "--demo")
	stop()
	path := filepath.Join(t.TempDir(), "demo.json")
	if _, err := cli(t, "export-office", "--data", seeded, "--office", demo.OfficeID, "--out", path); err != nil {
		t.Fatal(err)
	}
	original := exported(t, seeded, demo.OfficeID)

	dir := t.TempDir()
	if _, err := cli(t, "import-office", path, "--data", dir, "--as", "demo2"); err != nil {
		t.Fatal(err)
	}
	clone := exported(t, dir, "demo2")
	clone.Office.ID = demo.OfficeID
	sameFile(t, "the clone", clone, original)

	_, err := cli(t, "import-office", path, "--data", seeded, "--as", "demo2")
	if err == nil || !strings.Contains(err.Error(), "вход operator1 уже есть на сервере (вход офиса demo)") {
		t.Errorf("a clone on the same server with the same logins: %v", err)
	}

	url, _ := startServer(t, dir)
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := c.Login(context.Background(), "manager", "demo"); err != nil || a.OfficeID != "demo2" || a.Role != domain.RoleManager {
		t.Errorf("the clone's manager with the original's password: %+v, %v", a, err)
	}
}

// Importing a changed file brings the office up to date: what the file
// no longer holds is deleted, what changed is rewritten, the rest stays.
func TestImportOfficeUpdatesAnOffice(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, "office.yaml", demo.File())
	if _, err := cli(t, "import-office", file, "--data", dir, "--initial-password", "s3cret"); err != nil {
		t.Fatal(err)
	}
	f, err := officefile.Parse("office.yaml", demo.File())
	if err != nil {
		t.Fatal(err)
	}
	f.Windows = f.Windows[:len(f.Windows)-1]
	f.Devices = f.Devices[:len(f.Devices)-1]
	f.Services[0].Name = "Паспорта"
	f.Categories = f.Categories[1:]
	body, err := f.Encode(false)
	if err != nil {
		t.Fatal(err)
	}
	changed := writeFile(t, "office.yaml", body)
	events := officeEvents(t, dir, demo.OfficeID)
	said, err := cli(t, "import-office", changed, "--data", dir, "--dry-run")
	if err != nil || !strings.Contains(said, "Пробный прогон") || !strings.Contains(said, "изменено 1, удалено 3") {
		t.Errorf("the dry run said %q, %v", said, err)
	}
	if n := officeEvents(t, dir, demo.OfficeID); n != events {
		t.Errorf("the dry run wrote %d events", n-events)
	}
	said, err = cli(t, "import-office", changed, "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"изменено 1, удалено 3", "~ группа passports", "- окно w6", "- устройство rating6", "- льготная категория heroes"} {
		if !strings.Contains(said, want) {
			t.Errorf("the update did not say %q:\n%s", want, said)
		}
	}
	got := exported(t, dir, demo.OfficeID)
	for i := range got.Accounts {
		got.Accounts[i].PasswordHash = ""
	}
	sameFile(t, "the updated office", got, f)
}

// Windows renumbered in a chain are written in the order that keeps each
// number free when it is taken; windows that swap numbers pass through a
// free number.
func TestImportOfficeRenumbersWindows(t *testing.T) {
	dir := t.TempDir()
	if _, err := cli(t, "import-office", writeFile(t, "office.yaml", demo.File()), "--data", dir, "--initial-password", "s3cret"); err != nil {
		t.Fatal(err)
	}
	f, err := officefile.Parse("office.yaml", demo.File())
	if err != nil {
		t.Fatal(err)
	}
	f.Windows[1].Number, f.Windows[0].Number = 1, 7 // w2 takes the 1 that w1 gives up
	body, err := f.Encode(false)
	if err != nil {
		t.Fatal(err)
	}
	if said, err := cli(t, "import-office", writeFile(t, "office.yaml", body), "--data", dir); err != nil || !strings.Contains(said, "изменено 2") {
		t.Fatalf("a chain of new numbers: %s, %v", said, err)
	}
	if got := exported(t, dir, demo.OfficeID); got.Windows[0].ID != "w2" || got.Windows[0].Number != 1 || got.Windows[len(got.Windows)-1].ID != "w1" {
		t.Errorf("windows after renumbering: %+v", got.Windows)
	}

	f.Windows[1].Number, f.Windows[0].Number = 7, 1 // and now they swap
	f.Windows[2].Number, f.Windows[3].Number = f.Windows[3].Number, f.Windows[2].Number
	if body, err = f.Encode(false); err != nil {
		t.Fatal(err)
	}
	if said, err := cli(t, "import-office", writeFile(t, "office.yaml", body), "--data", dir); err != nil || !strings.Contains(said, "изменено 4") {
		t.Fatalf("two swaps: %s, %v", said, err)
	}
	want := map[string]int{}
	for _, w := range f.Windows {
		want[w.ID] = w.Number
	}
	for _, w := range exported(t, dir, demo.OfficeID).Windows {
		if want[w.ID] != w.Number {
			t.Errorf("after two swaps window %s has number %d, want %d", w.ID, w.Number, want[w.ID])
		}
	}
}
