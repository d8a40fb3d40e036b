package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/backup"
	"github.com/talonqueue/talon/queue-server/queue"
	"github.com/talonqueue/talon/queue-server/store"
)

// backupFlags are the scheduled backups' part of serveFlags.
type backupFlags struct {
	dir   string
	every time.Duration
	keep  int
}

// addBackupFlags registers --backup-dir, --backup-every and --backup-keep
// with their TALON_BACKUP_* defaults.
func addBackupFlags(fs *flag.FlagSet, b *backupFlags, getenv func(string) string) error {
	every, err := envDuration(getenv, "TALON_BACKUP_EVERY", 24*time.Hour)
	if err != nil {
		return err
	}
	keep := 7
	if v := getenv("TALON_BACKUP_KEEP"); v != "" {
		if keep, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("TALON_BACKUP_KEEP=%q: ожидается число копий", v)
		}
	}
	fs.StringVar(&b.dir, "backup-dir", getenv("TALON_BACKUP_DIR"),
		"папка плановых резервных копий на другом носителе, чем папка данных (другой диск, сетевая папка): копия там переживёт потерю диска сервера; "+
			"каждая копия проверяется после записи и называется talon-ГГГГММДД-ЧЧММСС.db (UTC); одна папка — один сервер; пусто — без плановых копий (TALON_BACKUP_DIR)")
	fs.DurationVar(&b.every, "backup-every", every, "промежуток между плановыми копиями; первая снимается через минуту после запуска, если самая новая в --backup-dir старше (TALON_BACKUP_EVERY)")
	fs.IntVar(&b.keep, "backup-keep", keep, "сколько проверенных копий хранится в --backup-dir; старые удаляются только после проверки новой (TALON_BACKUP_KEEP)")
	return nil
}

// check refuses a schedule that cannot work, and a backup folder inside the
// data folder: a copy on the same disk is lost with the original.
func (b backupFlags) check(data string) error {
	if b.dir == "" {
		return nil
	}
	if b.every < time.Second || b.keep < 1 {
		return fmt.Errorf("--backup-every должен быть не меньше секунды, а --backup-keep — не меньше 1 (сейчас %v и %d)", b.every, b.keep)
	}
	dir, dataDir := realPath(b.dir), realPath(data)
	if rel, err := filepath.Rel(dataDir, dir); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("папка резервных копий %s находится внутри папки данных %s: копия на том же диске пропадёт вместе с данными — укажите папку на другом носителе", b.dir, data)
	}
	return nil
}

// realPath is path made absolute with its symbolic links resolved as far as
// they exist, so that two names of one folder compare equal.
func realPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	for p, rest := abs, ""; ; {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return abs
		}
		p, rest = parent, filepath.Join(filepath.Base(p), rest)
	}
}

// runBackups starts the backup schedule when --backup-dir is set; stop ends
// it and waits for a backup under way. sched is nil without a schedule.
func runBackups(b backupFlags, data string, st *store.Store, svc *queue.Service, log *slog.Logger) (sched *backup.Scheduler, stop func(), err error) {
	if b.dir == "" {
		return nil, func() {}, nil
	}
	sched, err = backup.New(backup.Config{Dir: b.dir, DataDir: data, Every: b.every, Keep: b.keep, Store: st, Record: svc.Record, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	log.Info("scheduled backups", "dir", b.dir, "every", b.every, "keep", b.keep)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sched.Run(ctx)
	}()
	return sched, func() {
		cancel()
		<-done
	}, nil
}
