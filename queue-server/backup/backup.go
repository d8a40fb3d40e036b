// Package backup takes the server's scheduled hot backups into a folder
// meant to be on other media (another disk, a network share): every
// backup is written under a temporary name, synced and verified by the
// store before it gets its name talon-YYYYMMDD-HHMMSS.db (UTC), and the
// oldest are deleted only once a new one has been verified, so the folder
// always holds the newest Keep whole copies. Each backup, done or failed,
// is logged and journaled; a failure stays visible in Status until a
// backup succeeds again.
package backup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/store"
)

// Writer writes one verified backup (store.Store.WriteBackup).
type Writer interface {
	WriteBackup(ctx context.Context, dir, name string) (store.BackupInfo, error)
}

// Config is what Run needs.
type Config struct {
	Dir string
	// DataDir is the data folder, to warn when Dir is on the same disk.
	DataDir string
	Every   time.Duration
	// Keep is how many verified backups stay in Dir; at least 1.
	Keep   int
	Store  Writer
	Record func(ctx context.Context, e domain.JournalEntry) error
	Logger *slog.Logger
	// FirstDelay is how long after the start the first backup is taken
	// when the newest one in Dir is older than Every: the start is left to
	// finish first. A minute when 0 (or Every, if shorter).
	FirstDelay time.Duration
	// RetryAfter is how soon a failed backup is tried again; ten minutes
	// when 0 (or Every, if shorter).
	RetryAfter time.Duration
}

const (
	prefix = "talon-"
	suffix = ".db"
	// stamp is the time in a backup's name: its order is the names' order.
	stamp = "20060102-150405"
	// tempPrefix is what store.WriteBackup names a copy before it is verified.
	tempPrefix = ".talon-backup-"
)

// Name is the file name of a backup taken at t.
func Name(t time.Time) string { return prefix + t.UTC().Format(stamp) + suffix }

// timeOf reads the time from a backup's name; false for any other file.
func timeOf(name string) (time.Time, bool) {
	s, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return time.Time{}, false
	}
	if s, ok = strings.CutSuffix(s, suffix); !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(stamp, s)
	return t, err == nil
}

// Scheduler takes the backups and keeps their status.
type Scheduler struct {
	cfg Config
	mu  sync.Mutex
	st  domain.BackupStatus
}

// New checks the configuration and reads the newest backup already in Dir.
// A missing Dir is no error here: the media may be plugged in later, and
// until then every attempt fails visibly.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Dir == "" || cfg.Every <= 0 || cfg.Keep < 1 || cfg.Store == nil || cfg.Record == nil {
		return nil, errors.New("backup: Dir, Every > 0, Keep ≥ 1, Store and Record are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.FirstDelay <= 0 {
		cfg.FirstDelay = min(time.Minute, cfg.Every)
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = min(10*time.Minute, cfg.Every)
	}
	s := &Scheduler{cfg: cfg, st: domain.BackupStatus{Enabled: true, Dir: cfg.Dir, EverySeconds: int(cfg.Every / time.Second), Keep: cfg.Keep}}
	if names, err := backups(cfg.Dir); err == nil && len(names) > 0 {
		newest := names[len(names)-1]
		t, _ := timeOf(newest)
		s.st.LastSuccessAt, s.st.LastFile = &t, filepath.Join(cfg.Dir, newest)
	} else if err != nil {
		cfg.Logger.Warn("backup folder not readable now; backups will fail until it is", "dir", cfg.Dir, "err", err)
	}
	s.checkDisk()
	return s, nil
}

// checkDisk notes whether Dir is on the data folder's file system, at the
// start and before every backup: the media may be mounted or unmounted at
// any time, and a folder whose media is not mounted is on the root disk.
func (s *Scheduler) checkDisk() {
	same := sameFileSystem(s.cfg.Dir, s.cfg.DataDir)
	s.mu.Lock()
	was := s.st.SameDisk
	s.st.SameDisk = same
	s.mu.Unlock()
	if same && !was {
		s.cfg.Logger.Warn("backups go to the disk the data is on: a failing disk takes them with it; give --backup-dir a folder on other media",
			"dir", s.cfg.Dir, "data", s.cfg.DataDir)
	}
}

// sameFileSystem reports whether two existing paths are on one file
// system; false when either cannot be read.
func sameFileSystem(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA != nil || errB != nil {
		return false
	}
	sa, okA := fa.Sys().(*syscall.Stat_t)
	sb, okB := fb.Sys().(*syscall.Stat_t)
	return okA && okB && sa.Dev == sb.Dev
}

// Status is a copy of the current status; a nil Scheduler, a server
// without --backup-dir, reports backups not enabled.
func (s *Scheduler) Status() domain.BackupStatus {
	if s == nil {
		return domain.BackupStatus{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	return st
}

// Run takes a backup every Every until ctx ends: the first one FirstDelay
// after the start when the newest in Dir is older than Every, else when it
// is Every old. A failed one is retried after RetryAfter.
func (s *Scheduler) Run(ctx context.Context) {
	next := time.Now().Add(s.cfg.FirstDelay)
	if last := s.Status().LastSuccessAt; last != nil && last.Add(s.cfg.Every).After(next) {
		next = last.Add(s.cfg.Every)
	}
	for {
		s.setNext(next)
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := s.Once(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			next = time.Now().Add(s.cfg.RetryAfter)
			continue
		}
		next = time.Now().Add(s.cfg.Every)
	}
}

func (s *Scheduler) setNext(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.NextAt = &t
}

// Once takes one backup now, journals it, and prunes the folder after a
// success; its error is also in Status.
func (s *Scheduler) Once(ctx context.Context) error {
	now := time.Now()
	s.checkDisk()
	removeLeftovers(s.cfg.Dir, s.cfg.Logger)
	info, err := s.cfg.Store.WriteBackup(ctx, s.cfg.Dir, Name(now))
	if err == nil {
		s.succeeded(ctx, now, info)
		s.prune()
		return nil
	}
	if ctx.Err() != nil {
		return err
	}
	s.failed(ctx, now, err)
	return err
}

func (s *Scheduler) succeeded(ctx context.Context, at time.Time, info store.BackupInfo) {
	s.mu.Lock()
	s.st.LastSuccessAt, s.st.LastFile, s.st.Failing = &at, info.Path, false
	s.mu.Unlock()
	s.cfg.Logger.Info("backup written and verified", "file", info.Path, "bytes", info.Size, "schema", info.Schema, "offices", len(info.Offices))
	s.journal(ctx, info.Path, nil)
}

func (s *Scheduler) failed(ctx context.Context, at time.Time, err error) {
	msg := Sentence(s.cfg.Dir, err)
	s.mu.Lock()
	s.st.Failing, s.st.LastFailureAt, s.st.LastError = true, &at, msg
	s.st.Failures++
	s.mu.Unlock()
	s.cfg.Logger.Error("backup failed", "dir", s.cfg.Dir, "err", err)
	s.journal(ctx, filepath.Join(s.cfg.Dir, Name(at)), domain.Errorf(domain.CodeUnavailable, "%s", msg))
}

// Sentence says what went wrong with a backup into dir in words the person
// who has to fix it can act on; the log has the details.
func Sentence(dir string, err error) string {
	has := func(errno syscall.Errno) bool {
		// bbolt formats some errors with %s, which loses the errno.
		return errors.Is(err, errno) || strings.Contains(err.Error(), errno.Error())
	}
	switch {
	case has(syscall.ENOENT):
		return fmt.Sprintf("папки резервных копий %s нет: подключите носитель или создайте папку", dir)
	case has(syscall.ENOSPC), has(syscall.EDQUOT):
		return fmt.Sprintf("на носителе резервных копий %s нет места: освободите место или уменьшите --backup-keep", dir)
	case has(syscall.EROFS), has(syscall.EACCES), has(syscall.EPERM):
		return fmt.Sprintf("в папку резервных копий %s нельзя писать: проверьте носитель и права на папку", dir)
	case errors.Is(err, store.ErrNotDataFile):
		return fmt.Sprintf("резервная копия в %s не прошла проверку после записи: проверьте носитель", dir)
	case domain.ErrorCode(err) != domain.CodeInternal:
		return fmt.Sprintf("резервная копия в %s не записана: %s", dir, domain.ErrorMessage(err))
	}
	return fmt.Sprintf("резервная копия в %s не записана: ошибка ввода-вывода, подробности в журнале сервера", dir)
}

// journal records a backup in the region's chain as the system.
func (s *Scheduler) journal(ctx context.Context, file string, outcome error) {
	ctx = domain.WithOrigin(domain.WithActor(context.WithoutCancel(ctx), domain.System), "расписание резервных копий")
	e := domain.JournalEntry{Action: "backup", Object: "file/" + filepath.Base(file), Err: outcome}
	if err := s.cfg.Record(ctx, e); err != nil {
		s.cfg.Logger.Error("journal the backup", "file", file, "err", err)
	}
}

// prune deletes all but the newest Keep backups.
func (s *Scheduler) prune() {
	names, err := backups(s.cfg.Dir)
	if err != nil {
		s.cfg.Logger.Error("list backups to prune", "dir", s.cfg.Dir, "err", err)
		return
	}
	for _, n := range names[:max(0, len(names)-s.cfg.Keep)] {
		if err := os.Remove(filepath.Join(s.cfg.Dir, n)); err != nil {
			s.cfg.Logger.Error("delete an old backup", "file", n, "err", err)
			continue
		}
		s.cfg.Logger.Info("old backup deleted", "file", n)
	}
}

// backups lists the backups' names in dir, oldest first.
func backups(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if _, ok := timeOf(e.Name()); ok && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// removeLeftovers deletes the copies a crash or a power cut left half
// written: only this server writes into the folder.
func removeLeftovers(dir string, log *slog.Logger) {
	tmp, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*"))
	for _, p := range tmp {
		if err := os.Remove(p); err != nil {
			log.Error("delete a half-written backup", "file", p, "err", err)
		}
	}
}
