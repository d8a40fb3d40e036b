package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/outbox"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultLockTimeout is how long Open waits for a file another process holds.
const DefaultLockTimeout = 2 * time.Second

// mmapSize is reserved address space, not memory: a commit that outgrows the
// mapping must wait for every read transaction to end before remapping, so a
// long backup to a slow client would stall the queue (a read held open for
// 3 s held such a commit for 2.9 s). 64 GiB is years of an office's history
// and about two weeks of a hundred offices' busiest days (4 GB each in the
// 100-office load). 32-bit systems have no address space to spare, so
// nothing is reserved there.
const mmapSize = strconv.IntSize / 64 << 36

// Options tune Open; the zero value is fine.
type Options struct {
	// LockTimeout bounds the wait for a file held by another process;
	// DefaultLockTimeout when zero.
	LockTimeout time.Duration
	// Logger receives migrations and other rare events; nothing when nil.
	Logger *slog.Logger
	// LogSize is the write-ahead log's ring in bytes; DefaultLogSize when
	// zero. It takes effect when the log is created.
	LogSize int64
}

// Store is the bbolt implementation of domain.Store, with a write-ahead
// log in front of it (wal.go). It is safe for concurrent use; Commit calls
// are serialised by the heads' lock, checkpoints by ckMu.
type Store struct {
	db    *bolt.DB
	path  string
	box   *outbox.Outbox
	zones zones
	heads heads
	log   *wal

	// ckMu serialises the writes to the data file that must follow the
	// log's order: checkpoints, and commits too big for the log. folds is
	// theirs.
	ckMu  sync.Mutex
	folds folds

	pendMu  sync.Mutex
	pending []logged // acknowledged, not yet in the data file, in order
	logged  uint64   // the log's offset after the last acknowledged record
	// broken is the last failure to write the log or the data file:
	// commits are refused until a checkpoint gets the data file past it.
	broken  error
	kick    chan struct{}
	now     chan struct{}
	stop    chan struct{}
	closing sync.Once
	done    chan struct{}
}

var _ domain.Store = (*Store)(nil)

// Open opens or creates the data file at path, creating its folder, and
// brings its schema up to date. A file held by a running server is refused
// after opts.LockTimeout with an error wrapping ErrInUse.
func Open(path string, opts Options) (*Store, error) {
	return open(path, opts, migrations)
}

func open(path string, opts Options, migs []migration) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, wrap(fmt.Sprintf("create data folder %s", dir), err)
	}
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)

	db, err := openChecked(path, timeout, created)
	if err != nil {
		return nil, err
	}
	if created {
		// The new file's name must survive a power cut like its contents.
		if err := syncDir(dir); err != nil {
			_ = db.Close()
			return nil, wrap("sync data folder", err)
		}
	}
	from, to, err := upgrade(db, path, migs)
	if err != nil {
		_ = db.Close()
		return nil, refusal(path, wrap("migrate "+path, err))
	}
	if from != to {
		log.Info("store: schema migrated", "path", path, "from", from, "to", to)
	}
	size := opts.LogSize
	if size <= 0 {
		size = DefaultLogSize
	}
	wal, records, err := openLog(db, LogPath(path), size)
	if err != nil {
		_ = db.Close()
		return nil, logRefusal(LogPath(path), err)
	}
	s := &Store{db: db, path: path, log: wal, pending: records, logged: wal.next,
		kick: make(chan struct{}, 1), now: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if len(records) > 0 {
		log.Info("store: commits replayed from the write-ahead log", "path", path, "commits", len(records))
		if err := s.flush(0); err != nil {
			_ = wal.close()
			_ = db.Close()
			return nil, err
		}
	}
	s.box = outbox.New(db, s.settle)
	go s.checkpoints()
	return s, nil
}

// openLocked opens path with bbolt and makes sure the file it locked is still
// the one at path: Restore renames a new file over the old one while holding
// the old one's lock, and a server that waited for that lock must not go on
// with the replaced file.
func openLocked(path string, timeout time.Duration) (*bolt.DB, error) {
	for attempt := 0; ; attempt++ {
		var file *os.File
		db, err := bolt.Open(path, 0o600, &bolt.Options{
			Timeout:         timeout,
			FreelistType:    bolt.FreelistMapType,
			InitialMmapSize: mmapSize,
			OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
				f, err := os.OpenFile(name, flag, perm)
				file = f
				return f, err
			},
		})
		if err != nil {
			return nil, openError(path, err)
		}
		same, err := sameFile(file, path)
		if err != nil {
			_ = db.Close()
			return nil, wrap("check data file "+path, err)
		}
		if same {
			return db, nil
		}
		_ = db.Close()
		if attempt == 2 {
			return nil, &domain.Error{
				Code:    domain.CodeUnavailable,
				Message: fmt.Sprintf("файл данных %s всё время подменяется другим процессом: повторите запуск позже", path),
				Err:     fmt.Errorf("%w: %s replaced while opening", ErrInUse, path),
			}
		}
	}
}

func sameFile(f *os.File, path string) (bool, error) {
	if f == nil {
		return false, errors.New("bbolt opened no file")
	}
	opened, err := f.Stat()
	if err != nil {
		return false, err
	}
	now, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(opened, now), nil
}

func openError(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return inUse(path, err)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return notDataFile(path, fmt.Errorf("%w: %w", ErrNotDataFile, err))
	}
	return wrap("open "+path, err)
}

func inUse(path string, err error) error {
	return &domain.Error{
		Code: domain.CodeUnavailable,
		Message: fmt.Sprintf("папка данных %s уже используется другим процессом (запущен ещё один сервер?): остановите его или укажите другую папку",
			filepath.Dir(path)),
		Err: fmt.Errorf("%w: %s: %w", ErrInUse, path, err),
	}
}

// Outbox is the outbox of this file: Commit puts Changes.Outbox into it in
// the change's transaction and notifies it after the commit; a Dispatcher
// built on it delivers.
func (s *Store) Outbox() *outbox.Outbox { return s.box }

// PageWrites counts the pages commits wrote to the data file since it was
// opened (bbolt's count: changed pages, the freelist and the meta page);
// per commit, it is what the commit's fsync waits for.
func (s *Store) PageWrites() int64 {
	st := s.db.Stats()
	return st.TxStats.GetWrite()
}

// Close checkpoints what the log holds and releases the files; in-flight
// transactions finish first. When the checkpoint fails, the log keeps the
// commits for the next Open.
func (s *Store) Close() error {
	s.closing.Do(func() { close(s.stop) })
	<-s.done
	errs := []error{s.flush(0)}
	if err := s.log.close(); err != nil {
		errs = append(errs, wrap("close write-ahead log", err))
	}
	if err := s.db.Close(); err != nil {
		errs = append(errs, wrap("close "+s.path, err))
	}
	return errors.Join(errs...)
}

// wrap gives a storage failure its context and, where a person can fix the
// cause (a full or read-only disk), a sentence saying so. Errors that already
// are *domain.Error pass unchanged.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	err = fmt.Errorf("store: %s: %w", op, err)
	if msg := diskProblem(err); msg != "" {
		return &domain.Error{Code: domain.CodeUnavailable, Message: msg, Err: err}
	}
	return domain.Internal(err, "store")
}

// diskProblem names a disk condition an administrator can fix, or returns "".
// bbolt formats some errors with %s, which loses the errno, so the text is
// matched too.
func diskProblem(err error) string {
	has := func(errno syscall.Errno) bool {
		return errors.Is(err, errno) || strings.Contains(err.Error(), errno.Error())
	}
	switch {
	case has(syscall.ENOSPC), has(syscall.EDQUOT):
		return "на диске нет места для данных очереди: освободите место на диске сервера, иначе талоны не сохраняются"
	case has(syscall.EROFS):
		return "диск с данными очереди доступен только для чтения: проверьте диск сервера"
	case has(syscall.EACCES), has(syscall.EPERM):
		return "нет прав на файл или папку данных очереди: проверьте владельца и права доступа"
	case has(syscall.EIO):
		return "ошибка ввода-вывода диска с данными очереди: проверьте диск сервера и восстановите данные из резервной копии, если он неисправен"
	}
	return ""
}

// syncDir makes a created or renamed name in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return d.Close()
}
