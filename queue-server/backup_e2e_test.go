package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/store"
)

// eventually polls cond until it holds; a condition that never comes fails
// the test after a minute, which is no measure of speed, only of a hang.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// regionJournal reads the region's chain, where the system journals backups
// and power changes.
func regionJournal(t *testing.T, url string, admin *client.Client) []domain.JournalRecord {
	t.Helper()
	return readJournal(t, admin, url+"/api/v1/journal?limit=1000")
}

// backupStatus reads GET /api/v1/backup/status as c.
func backupStatus(t *testing.T, url string, c *client.Client) (int, domain.BackupStatus) {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/api/v1/backup/status", nil)
	req.Header.Set("Authorization", "Bearer "+c.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st domain.BackupStatus
	if resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, st
}

// backupRecords are the journal's scheduled backups, done (ok) or failed.
func backupRecords(recs []domain.JournalRecord, result string) []domain.JournalRecord {
	var out []domain.JournalRecord
	for _, r := range recs {
		if r.Action == "backup" && r.Actor == "system" && strings.HasPrefix(r.Object, "file/talon-") && (r.Result == domain.JournalOK) == (result == domain.JournalOK) {
			out = append(out, r)
		}
	}
	return out
}

func backupFiles(t *testing.T, dir string) (backups, others []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "talon-") && strings.HasSuffix(e.Name(), ".db") {
			backups = append(backups, e.Name())
		} else {
			others = append(others, e.Name())
		}
	}
	return backups, others
}

// The real server with a one-second schedule: backups appear, each one
// verified and journaled, the folder is pruned to --backup-keep, the status
// and /metrics say when the last one was made, and each copy restores to
// a database with the tickets issued before it.
func TestScheduledBackups(t *testing.T) {
	dir, backups := t.TempDir(), t.TempDir()
	cmd, url := testserver.Start(t, dir, "127.0.0.1:0", "--backup-dir", backups, "--backup-every", "1s", "--backup-keep", "2")
	ctx := context.Background()
	issued, err := login(t, url, "kiosk1").IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, url, "admin")
	var done []domain.JournalRecord
	eventually(t, "four scheduled backups journaled", func() bool {
		done = backupRecords(regionJournal(t, url, admin), domain.JournalOK)
		return len(done) >= 4
	})
	code, st := backupStatus(t, url, login(t, url, "hall"))
	if code != 200 || !st.Enabled || st.Failing || st.LastSuccessAt == nil || filepath.Dir(st.LastFile) != backups || st.Keep != 2 {
		t.Errorf("backup status for the hall administrator: %d %+v", code, st)
	}
	if code, _ := backupStatus(t, url, login(t, url, "operator1")); code != http.StatusForbidden {
		t.Errorf("an operator read the backup status: %d", code)
	}
	_, fams := scrape(t, url, "")
	if last := fams["talon_backup_last_success_timestamp_seconds"].GetMetric()[0].GetGauge().GetValue(); last < float64(st.LastSuccessAt.Unix()-1) {
		t.Errorf("talon_backup_last_success_timestamp_seconds = %v, the status says %v", last, st.LastSuccessAt)
	}
	if gaugeOf(t, fams, "talon_backup_failing", nil) != 0 {
		t.Error("talon_backup_failing is not 0 after good backups")
	}

	// A clean stop waits for a backup under way, so the folder is settled.
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	names, others := backupFiles(t, backups)
	if len(names) != 2 || len(others) != 0 {
		t.Fatalf("backup folder after %d backups: %v and %v; want the newest 2 backups alone", len(done), names, others)
	}
	newestJournaled := done[len(done)-1].Object
	if "file/"+names[1] < newestJournaled {
		t.Errorf("the folder keeps %v, older than the journaled %s", names, newestJournaled)
	}
	for _, n := range names {
		info, err := store.Verify(filepath.Join(backups, n))
		if err != nil {
			t.Fatalf("Verify(%s): %v", n, err)
		}
		var seq uint64
		for _, o := range info.Offices {
			if o.OfficeID == demo.OfficeID {
				seq = o.LastSeq
			}
		}
		if seq == 0 {
			t.Errorf("%s holds no events of the demo office: %+v", n, info.Offices)
		}
	}
	restored := t.TempDir()
	if err := run(ctx, []string{"restore", "--from", filepath.Join(backups, names[0]), "--data", restored}, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	url, _ = startServer(t, restored)
	if got, err := login(t, url, "hall").GetTicket(ctx, demo.OfficeID, issued.ID); err != nil || got.Number != issued.Number {
		t.Errorf("ticket restored from a scheduled backup: %+v, %v", got, err)
	}
}

// Backups into a folder that is not there (the disk unplugged) fail, each
// failure journaled and raised in the status and /metrics with a sentence;
// once the folder is back, the next backup succeeds and the alert goes.
func TestScheduledBackupFailsAndRecovers(t *testing.T) {
	dir, media := t.TempDir(), t.TempDir()
	backups := filepath.Join(media, "talon")
	_, url := testserver.Start(t, dir, "127.0.0.1:0", "--backup-dir", backups, "--backup-every", "1s")
	admin := login(t, url, "admin")
	var st domain.BackupStatus
	eventually(t, "the backup status failing", func() bool {
		_, st = backupStatus(t, url, admin)
		return st.Failing
	})
	if !strings.Contains(st.LastError, backups) || !strings.Contains(st.LastError, "подключите носитель") || st.LastSuccessAt != nil || st.Failures < 1 {
		t.Errorf("status of a backup into a missing folder: %+v", st)
	}
	_, fams := scrape(t, url, "")
	if gaugeOf(t, fams, "talon_backup_failing", nil) != 1 || fams["talon_backup_failures_total"].GetMetric()[0].GetCounter().GetValue() < 1 {
		t.Error("/metrics does not show the failed backup")
	}
	if failed := backupRecords(regionJournal(t, url, admin), "failed"); len(failed) == 0 || !strings.Contains(failed[0].Message, "подключите носитель") {
		t.Errorf("journal of the failed backup: %+v", failed)
	}

	if err := os.Mkdir(backups, 0o750); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a backup once the folder is back", func() bool {
		_, st = backupStatus(t, url, admin)
		return !st.Failing && st.LastSuccessAt != nil
	})
	if names, _ := backupFiles(t, backups); len(names) == 0 {
		t.Error("no backup in the folder that came back")
	}
}

func TestBackupFlagsRefuseTheDataFolder(t *testing.T) {
	data := t.TempDir()
	alias := filepath.Join(t.TempDir(), "alias")
	if err := os.Symlink(data, alias); err != nil {
		t.Fatal(err)
	}
	// The folder itself, one inside it not yet made, and one reached by
	// another name.
	for _, dir := range []string{data, filepath.Join(data, "backups"), filepath.Join(alias, "backups")} {
		_, err := parseServe([]string{"--data", data, "--backup-dir", dir}, func(string) string { return "" }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "другом носителе") {
			t.Errorf("--backup-dir %s inside --data %s: %v", dir, data, err)
		}
	}
	env := map[string]string{"TALON_DATA": data, "TALON_BACKUP_DIR": filepath.Join(data, "..", filepath.Base(data), "b"), "TALON_BACKUP_EVERY": "6h"}
	if _, err := parseServe(nil, func(k string) string { return env[k] }, io.Discard); err == nil {
		t.Error("TALON_BACKUP_DIR inside TALON_DATA was accepted")
	}
	env["TALON_BACKUP_DIR"] = t.TempDir()
	f, err := parseServe(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || f.backup.every != 6*time.Hour || f.backup.keep != 7 {
		t.Errorf("TALON_BACKUP_* on other media: %+v, %v", f.backup, err)
	}
}

// `backup verify` is the program itself: exit 0 and what the copy holds for
// a good file, a sentence and exit 1 for a damaged one.
func TestBackupVerifyCommand(t *testing.T) {
	backups := t.TempDir()
	cmd, url := testserver.Start(t, t.TempDir(), "127.0.0.1:0", "--backup-dir", backups, "--backup-every", "1s")
	ctx := context.Background()
	if _, err := login(t, url, "kiosk1").IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
		t.Fatal(err)
	}
	admin := login(t, url, "admin")
	eventually(t, "a scheduled backup", func() bool { return len(backupRecords(regionJournal(t, url, admin), domain.JournalOK)) > 0 })
	_ = cmd.Process.Signal(os.Interrupt)
	_ = cmd.Wait()
	names, _ := backupFiles(t, backups)
	good := filepath.Join(backups, names[len(names)-1])

	var out, errOut bytes.Buffer
	verify := exec.Command(testserver.Binary(t), "backup", "verify", good)
	verify.Stdout, verify.Stderr = &out, &errOut
	if err := verify.Run(); err != nil {
		t.Fatalf("backup verify of a good file: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"цела", "схема", demo.OfficeID + ": последнее событие №", "Самое новое событие"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("backup verify says %q, without %q", out.String(), want)
		}
	}

	damaged := filepath.Join(t.TempDir(), "damaged.db")
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for off := 2 * 4096; off < len(data); off += 3 * 4096 {
		copy(data[off:min(off+4096, len(data))], bytes.Repeat([]byte{0xff, 0x00, 0x13}, 2048))
	}
	if err := os.WriteFile(damaged, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	verify = exec.Command(testserver.Binary(t), "backup", "verify", damaged)
	verify.Stdout, verify.Stderr = &out, &errOut
	err = verify.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(errOut.String(), "повреждён") || out.Len() != 0 {
		t.Errorf("backup verify of a damaged file: %v, stdout %q, stderr %q; want exit 1 with a sentence", err, out.String(), errOut.String())
	}
}

// restore keeps the database it replaces and says where: a restore from the
// wrong backup loses nothing.
func TestRestoreKeepsTheReplacedDatabase(t *testing.T) {
	dir := t.TempDir()
	url, stop := startServer(t, dir, "--demo")
	ctx := context.Background()
	kiosk := login(t, url, "kiosk1")
	before, err := kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	file := downloadBackup(t, login(t, url, "admin"))
	after, err := kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	err = run(ctx, []string{"restore", "--from", file, "--data", dir}, func(string) string { return "" }, io.Discard, io.Discard)
	if !errors.Is(err, store.ErrInUse) || !strings.Contains(domain.ErrorMessage(err), "остановите сервер") {
		t.Fatalf("restore under the running server: %v", err)
	}
	stop()

	var out bytes.Buffer
	if err := run(ctx, []string{"restore", "--from", file, "--data", dir}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	kept, _ := filepath.Glob(filepath.Join(dir, dbFile+store.BeforeRestoreSuffix+"*[0-9]"))
	if len(kept) != 1 || !strings.Contains(out.String(), kept[0]) || !strings.Contains(out.String(), kept[0]+".wal") {
		t.Fatalf("restore said %q; kept files %v", out.String(), kept)
	}
	info, err := store.Verify(kept[0])
	if err != nil {
		t.Fatal(err)
	}
	url, stop = startServer(t, dir)
	hall := login(t, url, "hall")
	if _, err := hall.GetTicket(ctx, demo.OfficeID, after.ID); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("the ticket issued after the backup is in the restored database: %v", err)
	}
	if got, err := hall.GetTicket(ctx, demo.OfficeID, before.ID); err != nil || got.Number != before.Number {
		t.Errorf("the ticket issued before the backup: %+v, %v", got, err)
	}
	stop()

	// The kept file is the whole replaced database: restored in turn, it
	// brings the later ticket back.
	if err := run(ctx, []string{"restore", "--from", kept[0], "--data", dir}, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	url, _ = startServer(t, dir)
	if got, err := login(t, url, "hall").GetTicket(ctx, demo.OfficeID, after.ID); err != nil || got.Number != after.Number {
		t.Errorf("the later ticket from the kept database (last seq %+v): %+v, %v", info.Offices, got, err)
	}
}
