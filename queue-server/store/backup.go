package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the whole file to w. It runs in a read
// transaction after a checkpoint, so commits go on meanwhile and the copy is
// the state at its start. A cancelled ctx stops it at the next write.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.settledView(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(ctxWriter{ctx: ctx, w: w})
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			// bbolt formats the writer's error with %s, so the context error is re-attached.
			return n, fmt.Errorf("store: backup: %w (%v)", ctx.Err(), err)
		}
		return n, wrap("backup", err)
	}
	return n, nil
}

// WriteBackup writes a verified backup of the whole file to dir under name:
// it copies to a temporary name, syncs the copy, verifies it (see Verify)
// and checks that it holds the schema and the ends of the event logs it was
// copied with, then gives it its name and syncs dir. A failure leaves no
// file behind: what carries name is always a whole, checked copy.
func (s *Store) WriteBackup(ctx context.Context, dir, name string) (BackupInfo, error) {
	f, err := os.CreateTemp(dir, ".talon-backup-*")
	if err != nil {
		return BackupInfo{}, wrap("backup: create a file in "+dir, err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	var copied BackupInfo
	err = s.settledView(func(tx *bolt.Tx) error {
		var err error
		if copied.Schema, err = schemaVersion(tx); err != nil {
			return err
		}
		if copied.Offices, err = officeLogs(tx); err != nil {
			return err
		}
		_, err = tx.WriteTo(ctxWriter{ctx: ctx, w: f})
		return err
	})
	if err != nil {
		return BackupInfo{}, wrap("backup: write "+tmp, err)
	}
	if err := f.Sync(); err != nil {
		return BackupInfo{}, wrap("backup: sync "+tmp, err)
	}
	if err := f.Close(); err != nil {
		return BackupInfo{}, wrap("backup: close "+tmp, err)
	}
	got, err := Verify(tmp)
	if err != nil {
		return BackupInfo{}, err
	}
	if got.Schema != copied.Schema || !slices.EqualFunc(got.Offices, copied.Offices, sameLog) {
		return BackupInfo{}, notDataFile(tmp, fmt.Errorf("%w: the copy holds schema %d and logs %v, the database had %d and %v when copied",
			ErrNotDataFile, got.Schema, got.Offices, copied.Schema, copied.Offices))
	}
	path := filepath.Join(dir, name)
	if err := os.Rename(tmp, path); err != nil {
		return BackupInfo{}, wrap("backup: rename to "+path, err)
	}
	done = true
	if err := syncDir(dir); err != nil {
		return BackupInfo{}, wrap("backup: sync "+dir, err)
	}
	got.Path = path
	return got, nil
}

// sameLog compares times with Equal: each decoding gives an offset its own Location.
func sameLog(a, b OfficeLog) bool {
	return a.OfficeID == b.OfficeID && a.LastSeq == b.LastSeq && a.LastAt.Equal(b.LastAt)
}

// ctxWriter stops a backup whose receiver went away.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// BeforeRestoreSuffix starts the name Restore gives the file it replaced:
// talon.db.before-restore-20261203-041500 beside talon.db.
const BeforeRestoreSuffix = ".before-restore-"

// Restored is what Restore did: the backup as it verified it, and where it
// kept the file it replaced and that file's write-ahead log ("" when there
// was none).
type Restored struct {
	Backup  BackupInfo
	Kept    string
	KeptLog string
}

// Restore replaces the data file at dataPath (the path Open takes) with the
// backup at backupPath. It verifies the backup first (see Verify), copies it
// next to the live file, syncs it, migrates it to the current schema and
// renames it over the live file, so a crash at any point leaves either the
// old or the restored file. The file it replaces stays beside it under a new
// name: a restore from the wrong backup must not lose the day's work. It
// refuses while a server has the live file open.
func Restore(backupPath, dataPath string) (Restored, error) {
	return restore(backupPath, dataPath, migrations)
}

func restore(backupPath, dataPath string, migs []migration) (Restored, error) {
	info, err := verify(backupPath, migs)
	if err != nil {
		return Restored{}, err
	}
	dir := filepath.Dir(dataPath)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Restored{}, wrap("restore: create data folder "+dir, err)
	}
	unlock, err := lockLive(dataPath)
	if err != nil {
		return Restored{}, err
	}
	// The lock is held until the new file has its name, so a server starting
	// meanwhile waits and then finds the restored file (see openLocked).
	defer unlock()

	tmp, err := copyToTemp(backupPath, dir)
	if err != nil {
		return Restored{}, wrap("restore: copy "+backupPath, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			_ = os.Remove(tmp)
		}
	}()
	if err := migrateFile(tmp, migs); err != nil {
		return Restored{}, err
	}
	kept, err := keepLive(dataPath, time.Now())
	if err != nil {
		return Restored{}, err
	}
	if err := os.Rename(tmp, dataPath); err != nil {
		return Restored{}, wrap("restore: rename over "+dataPath, err)
	}
	renamed = true
	// The replaced file's log, which may hold its last commits, goes with
	// it; left behind, Open would set it aside, as it belongs to no file.
	keptLog := ""
	if kept != "" {
		err := os.Rename(LogPath(dataPath), LogPath(kept))
		switch {
		case err == nil:
			keptLog = LogPath(kept)
		case !errors.Is(err, os.ErrNotExist):
			return Restored{}, wrap("restore: keep the replaced file's write-ahead log", err)
		}
	}
	if err := syncDir(dir); err != nil {
		return Restored{}, wrap("restore: sync data folder", err)
	}
	return Restored{Backup: info, Kept: kept, KeptLog: keptLog}, nil
}

// keepLive gives the live file a second name, so that the rename of the
// restored file over it leaves it there under that name. A hard link copies
// nothing, so keeping even a year's file takes no time. The empty file
// lockLive made to hold its lock is not worth keeping.
func keepLive(dataPath string, now time.Time) (string, error) {
	info, err := os.Stat(dataPath)
	if err != nil {
		return "", wrap("restore: stat "+dataPath, err)
	}
	if info.Size() == 0 {
		return "", nil
	}
	base := dataPath + BeforeRestoreSuffix + now.Format("20060102-150405")
	kept := base
	// Two restores within a second must not lose the first one's file.
	for n := 2; ; n++ {
		err := os.Link(dataPath, kept)
		if err == nil {
			return kept, nil
		}
		if !errors.Is(err, os.ErrExist) || n > 100 {
			return "", wrap("restore: keep the replaced file as "+kept, err)
		}
		kept = fmt.Sprintf("%s-%d", base, n)
	}
}

// lockLive takes the lock a server takes on the live file, creating an empty
// one to lock if there is none yet; unlock releases it.
func lockLive(path string) (unlock func(), err error) {
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, wrap("restore: open "+path, err)
	}
	if err := lockFile(f); err != nil {
		_ = f.Close()
		if errors.Is(err, errLocked) {
			return nil, &domain.Error{
				Code:    domain.CodeUnavailable,
				Message: fmt.Sprintf("файл данных %s открыт работающим сервером: остановите сервер и повторите восстановление", path),
				Err:     fmt.Errorf("%w: %s: %w", ErrInUse, path, err),
			}
		}
		return nil, wrap("restore: lock "+path, err)
	}
	return func() {
		// An empty file made only to hold the lock must not outlive a
		// failed restore; bbolt would treat it as a new database anyway.
		if same, err := sameFile(f, path); created && same && err == nil {
			if info, err := f.Stat(); err == nil && info.Size() == 0 {
				_ = os.Remove(path)
			}
		}
		_ = f.Close()
	}, nil
}

func copyToTemp(src, dir string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, ".talon-restore-*")
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		_ = os.Remove(out.Name())
		return "", err
	}
	if err := out.Sync(); err != nil {
		_ = out.Close()
		_ = os.Remove(out.Name())
		return "", fmt.Errorf("sync %s: %w", out.Name(), err)
	}
	if err := out.Close(); err != nil {
		_ = os.Remove(out.Name())
		return "", err
	}
	return out.Name(), nil
}

// migrateFile brings a copied backup to the current schema and unties it
// from the write-ahead log of the file it was taken from, which must never
// be replayed into it; bbolt syncs the commit.
func migrateFile(path string, migs []migration) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return openError(path, err)
	}
	_, _, err = upgrade(db, path, migs)
	if err == nil {
		err = db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(logMarkKey) })
	}
	if cerr := db.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return wrap("restore: migrate "+path, err)
}
