package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Backup writes a consistent copy of the whole file to w. It runs in a read
// transaction, so commits go on meanwhile and the copy is the state at its
// start. A cancelled ctx stops it at the next write.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
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

// Restore replaces the data file at dataPath (the path Open takes) with the
// backup at backupPath. It checks the backup first (a Talon file this
// program can read, every page consistent), copies it next to the live file,
// syncs it, migrates it to the current schema and renames it over the live
// file, so a crash at any point leaves either the old or the restored file.
// It refuses while a server has the live file open.
func Restore(backupPath, dataPath string) error {
	return restore(backupPath, dataPath, migrations)
}

func restore(backupPath, dataPath string, migs []migration) error {
	if err := checkBackup(backupPath, migs); err != nil {
		return err
	}
	dir := filepath.Dir(dataPath)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return wrap("restore: create data folder "+dir, err)
	}
	unlock, err := lockLive(dataPath)
	if err != nil {
		return err
	}
	// The lock is held until the new file has its name, so a server starting
	// meanwhile waits and then finds the restored file (see openLocked).
	defer unlock()

	tmp, err := copyToTemp(backupPath, dir)
	if err != nil {
		return wrap("restore: copy "+backupPath, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			_ = os.Remove(tmp)
		}
	}()
	if err := migrateFile(tmp, migs); err != nil {
		return err
	}
	if err := os.Rename(tmp, dataPath); err != nil {
		return wrap("restore: rename over "+dataPath, err)
	}
	renamed = true
	if err := syncDir(dir); err != nil {
		return wrap("restore: sync data folder", err)
	}
	return nil
}

// checkBackup opens the backup read-only and refuses what Open would refuse,
// and a file with damaged pages.
func checkBackup(path string, migs []migration) error {
	info, err := os.Stat(path)
	if err != nil {
		return &domain.Error{Code: domain.CodeInvalid, Message: fmt.Sprintf("не удалось открыть резервную копию %s", path), Err: err}
	}
	if !info.Mode().IsRegular() || info.Size() == 0 {
		return notDataFile(path, fmt.Errorf("%w: %s is empty or not a regular file", ErrNotDataFile, path))
	}
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return &domain.Error{
			Code:    domain.CodeUnavailable,
			Message: fmt.Sprintf("файл %s открыт работающим сервером: укажите файл резервной копии, а не рабочий файл данных", path),
			Err:     fmt.Errorf("%w: %s: %w", ErrInUse, path, err),
		}
	}
	if err != nil {
		return openError(path, err)
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		v, err := checkSchema(tx, path, migs)
		if err != nil {
			return err
		}
		if v == 0 {
			return notDataFile(path, fmt.Errorf("%w: %s is an empty bbolt file", ErrNotDataFile, path))
		}
		var problems []error
		for err := range tx.Check() {
			problems = append(problems, err)
		}
		if len(problems) > 0 {
			return notDataFile(path, fmt.Errorf("%w: %d damaged pages or records: %w", ErrNotDataFile, len(problems), errors.Join(problems...)))
		}
		return nil
	})
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

// migrateFile brings a copied backup to the current schema; bbolt syncs the commit.
func migrateFile(path string, migs []migration) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return openError(path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, _, err := migrate(tx, path, migs)
		return err
	})
	if cerr := db.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return wrap("restore: migrate "+path, err)
}
