package store

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// BackupInfo is what a verified backup holds.
type BackupInfo struct {
	Path string
	Size int64
	// Schema is the file's own version, before any migration.
	Schema  int
	Offices []OfficeLog
}

// OfficeLog is where an office's event log ends.
type OfficeLog struct {
	OfficeID string
	LastSeq  uint64
	// LastAt is the time of the last event; zero with none.
	LastAt time.Time
}

// NewestEvent is the time of the newest event of any office: how recent
// the copy's data is, whenever the file itself was written.
func (b BackupInfo) NewestEvent() time.Time {
	var t time.Time
	for _, o := range b.Offices {
		if o.LastAt.After(t) {
			t = o.LastAt
		}
	}
	return t
}

// Verify checks a backup without changing it: it opens the file read-only,
// refuses what Open would refuse (not a Talon file, a newer schema) and a
// file with damaged pages, and reads where each office's event log ends.
// The scheduled backups and restore use it too.
func Verify(path string) (BackupInfo, error) {
	return verify(path, migrations)
}

func verify(path string, migs []migration) (BackupInfo, error) {
	info, err := os.Stat(path)
	if err != nil {
		return BackupInfo{}, &domain.Error{Code: domain.CodeInvalid, Message: fmt.Sprintf("не удалось открыть резервную копию %s", path), Err: err}
	}
	// A cut or damaged copy must not bring down the server that verifies
	// it: the start-up checks refuse what bbolt could not map, and read
	// every page under a guard.
	if err := checkFileSize(path); err != nil {
		return BackupInfo{}, err
	}
	var db *bolt.DB
	err = guarded(path, func() error {
		var err error
		if db, err = bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: time.Second}); err != nil {
			return err
		}
		if err := checkPages(db, path); err != nil {
			_ = db.Close()
			return err
		}
		return nil
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return BackupInfo{}, &domain.Error{
			Code:    domain.CodeUnavailable,
			Message: fmt.Sprintf("файл %s открыт работающим сервером: укажите файл резервной копии, а не рабочий файл данных", path),
			Err:     fmt.Errorf("%w: %s: %w", ErrInUse, path, err),
		}
	}
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return BackupInfo{}, err
		}
		return BackupInfo{}, openError(path, err)
	}
	defer db.Close()
	out := BackupInfo{Path: path, Size: info.Size()}
	err = db.View(func(tx *bolt.Tx) (err error) {
		v, err := checkSchema(tx, path, migs)
		if err != nil {
			return err
		}
		if v == 0 {
			return notDataFile(path, fmt.Errorf("%w: %s is an empty bbolt file", ErrNotDataFile, path))
		}
		out.Schema = v
		if out.Offices, err = officeLogs(tx); err != nil {
			return notDataFile(path, fmt.Errorf("%w: %w", ErrNotDataFile, err))
		}
		return nil
	})
	return out, err
}

// officeLogs reads where every office's event log ends, in the order of the
// offices' ids.
func officeLogs(tx *bolt.Tx) ([]OfficeLog, error) {
	offices := tx.Bucket(bucketOffices)
	if offices == nil {
		return nil, fmt.Errorf("no bucket %s", bucketOffices)
	}
	var out []OfficeLog
	err := offices.ForEach(func(k, _ []byte) error {
		id := string(k)
		seq, err := lastSeq(tx, id)
		if err != nil {
			return err
		}
		l := OfficeLog{OfficeID: id, LastSeq: seq}
		if seq > 0 {
			e, err := decode[struct {
				At time.Time `json:"at"`
			}](tx.Bucket(bucketEvents).Get(seqKeyOf(id, seq)))
			if err != nil {
				return fmt.Errorf("event %d of office %q: %w", seq, id, err)
			}
			l.LastAt = e.At
		}
		out = append(out, l)
		return nil
	})
	return out, err
}
