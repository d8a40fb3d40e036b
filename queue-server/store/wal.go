package store

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// The write-ahead log. A commit is acknowledged once its record is in the
// log, one append and one fdatasync into a file written full of zeros
// ahead, so the sync has no metadata to journal; a bbolt commit syncs twice
// and writes a dozen scattered pages (BenchmarkHeadroom). The data file
// catches up in checkpoints: one bbolt transaction applies a batch of
// records and records how far into the log it got (logMarkKey in meta).
// Open replays the records after that mark.
//
// The log is a ring: a record's place is its offset in the log's endless
// virtual stream modulo the ring's size, and the record carries that
// offset, so a record left from an earlier lap, or a torn one, ends the
// replay (its offset or checksum does not match). Space is reused only
// behind the checkpointed mark.
//
// The file begins with a header naming the log's random id, which the data
// file's mark names too: a log beside a data file it does not belong to (a
// restored or copied file) is set aside, never replayed into it.

const (
	// logHeaderSize is the file's header, a page.
	logHeaderSize = 4096
	// recordHeaderSize: magic, checksum, virtual offset, payload length, padding.
	recordHeaderSize = 24
	// DefaultLogSize is the log's ring when Options.LogSize is zero: at
	// about 3 KB a commit, thousands of commits between checkpoints.
	DefaultLogSize = 16 << 20
	recordMagic    = 0x54414c31 // "TAL1"
)

var (
	logMagic   = []byte("TALONWAL")
	logMarkKey = []byte("log")
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	// errLogFull means the record does not fit before the checkpointed
	// mark: a checkpoint frees the space.
	errLogFull = errors.New("write-ahead log full")
	// errTooBig means the record would take more than half the ring: it is
	// written to the data file directly.
	errTooBig = errors.New("record too big for the write-ahead log")
)

// logRecord is a commit as the log keeps it: the Changes as JSON, with the
// hashes that the domain types keep out of JSON carried in the records
// the data file stores them with.
type logRecord struct {
	domain.Changes
	Accounts     []accountRecord
	Devices      []deviceRecord
	Integrations []integrationRecord
}

func encodeRecord(c *domain.Changes) ([]byte, error) {
	r := logRecord{Changes: *c}
	r.Changes.Accounts, r.Changes.Devices, r.Changes.Integrations = nil, nil, nil
	for _, a := range c.Accounts {
		r.Accounts = append(r.Accounts, accountRecordOf(a))
	}
	for _, d := range c.Devices {
		r.Devices = append(r.Devices, deviceRecordOf(d))
	}
	for _, x := range c.Integrations {
		r.Integrations = append(r.Integrations, integrationRecordOf(x))
	}
	return json.Marshal(r)
}

func decodeRecord(data []byte) (domain.Changes, error) {
	var r logRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return domain.Changes{}, err
	}
	c := r.Changes
	for _, a := range r.Accounts {
		c.Accounts = append(c.Accounts, a.account())
	}
	for _, d := range r.Devices {
		c.Devices = append(c.Devices, d.device())
	}
	for _, x := range r.Integrations {
		c.Integrations = append(c.Integrations, x.integration())
	}
	return c, nil
}

// wal is the log file. append is called by one committer at a time (the
// store's heads lock); done is shared with the checkpoints.
type wal struct {
	f    *os.File
	path string
	id   [16]byte
	ring int64  // bytes after the header
	next uint64 // virtual offset of the next record
	done atomic.Uint64
}

// logged is an acknowledged commit the data file does not hold yet.
type logged struct {
	c   domain.Changes
	end uint64 // virtual offset after its record
}

// LogPath is the write-ahead log's file beside the data file at dataPath.
func LogPath(dataPath string) string { return dataPath + ".wal" }

// openLog opens the data file's log, creating it when there is none or
// when the one there belongs to another data file, and returns the
// records the data file does not hold yet, in order.
func openLog(db *bolt.DB, path string, size int64) (*wal, []logged, error) {
	var mark []byte
	err := db.View(func(tx *bolt.Tx) error {
		mark = bytes.Clone(tx.Bucket(bucketMeta).Get(logMarkKey))
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		l, err := createLog(db, path, size)
		return l, nil, err
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open write-ahead log: %w", err)
	}
	l, err := readLogHeader(f, path)
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	if len(mark) != 24 || !bytes.Equal(mark[:16], l.id[:]) {
		// Not this data file's log: keep it for whoever needs it, start anew.
		_ = f.Close()
		aside := path + ".foreign"
		if err := os.Rename(path, aside); err != nil {
			return nil, nil, fmt.Errorf("set aside a write-ahead log of another data file: %w", err)
		}
		l, err := createLog(db, path, size)
		return l, nil, err
	}
	l.done.Store(binary.BigEndian.Uint64(mark[16:]))
	records, err := l.replay()
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return l, records, nil
}

func readLogHeader(f *os.File, path string) (*wal, error) {
	head := make([]byte, 40)
	if _, err := f.ReadAt(head, 0); err != nil {
		return nil, fmt.Errorf("read the write-ahead log's header: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat write-ahead log: %w", err)
	}
	ring := int64(binary.BigEndian.Uint64(head[32:]))
	if !bytes.Equal(head[:8], logMagic) || ring <= 0 || info.Size() != logHeaderSize+ring {
		return nil, fmt.Errorf("%w: %s is not a write-ahead log of Talon's, or it is truncated", ErrNotDataFile, path)
	}
	l := &wal{f: f, path: path, ring: ring}
	copy(l.id[:], head[16:32])
	return l, nil
}

// createLog writes a new log full of zeros under a temporary name, syncs
// it, gives it its name and records its id in the data file.
func createLog(db *bolt.DB, path string, size int64) (*wal, error) {
	l := &wal{path: path, ring: size}
	if _, err := rand.Read(l.id[:]); err != nil {
		return nil, fmt.Errorf("write-ahead log id: %w", err)
	}
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create write-ahead log: %w", err)
	}
	fail := func(err error) (*wal, error) {
		_ = f.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("create write-ahead log: %w", err)
	}
	head := make([]byte, logHeaderSize)
	copy(head, logMagic)
	copy(head[16:], l.id[:])
	binary.BigEndian.PutUint64(head[32:], uint64(size))
	if _, err := f.Write(head); err != nil {
		return fail(err)
	}
	if _, err := io.CopyN(f, zeros{}, size); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fail(err)
	}
	l.f = f
	err = db.Update(func(tx *bolt.Tx) error { return putLogMark(tx, l.id, 0) })
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("record the write-ahead log in the data file: %w", err)
	}
	return l, nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// putLogMark records in tx that the data file holds the log's records
// before done.
func putLogMark(tx *bolt.Tx, id [16]byte, done uint64) error {
	mark := binary.BigEndian.AppendUint64(id[:], done)
	if err := tx.Bucket(bucketMeta).Put(logMarkKey, mark); err != nil {
		return fmt.Errorf("record the checkpoint: %w", err)
	}
	return nil
}

// replay reads the records from done on, up to the first that is not
// there: torn, from an earlier lap, or never written.
func (l *wal) replay() ([]logged, error) {
	var out []logged
	at := l.checkpointed()
	head := make([]byte, recordHeaderSize)
	for {
		if err := l.readAt(head, at); err != nil {
			return nil, err
		}
		n := int64(binary.BigEndian.Uint32(head[16:]))
		if binary.BigEndian.Uint32(head) != recordMagic || binary.BigEndian.Uint64(head[8:]) != at ||
			n > l.ring/2 {
			break
		}
		payload := make([]byte, n)
		if err := l.readAt(payload, at+recordHeaderSize); err != nil {
			return nil, err
		}
		if binary.BigEndian.Uint32(head[4:]) != checksum(head, payload) {
			break
		}
		c, err := decodeRecord(payload)
		if err != nil {
			return nil, fmt.Errorf("%w: write-ahead log %s: record at %d: %w", ErrNotDataFile, l.path, at, err)
		}
		at += uint64(recordHeaderSize + n)
		out = append(out, logged{c: c, end: at})
	}
	l.next = at
	return out, nil
}

func checksum(head, payload []byte) uint32 {
	sum := crc32.Update(0, castagnoli, head[8:])
	return crc32.Update(sum, castagnoli, payload)
}

// readAt reads p from the ring at virtual offset at.
func (l *wal) readAt(p []byte, at uint64) error {
	if err := l.around(p, at, l.f.ReadAt); err != nil {
		return fmt.Errorf("read write-ahead log %s: %w", l.path, err)
	}
	return nil
}

// around runs do, the file's ReadAt or WriteAt, on p at the ring's
// virtual offset at, in two parts where p runs past the ring's end.
func (l *wal) around(p []byte, at uint64, do func([]byte, int64) (int, error)) error {
	for len(p) > 0 {
		pos := int64(at % uint64(l.ring))
		n := min(int64(len(p)), l.ring-pos)
		if _, err := do(p[:n], logHeaderSize+pos); err != nil {
			return err
		}
		p, at = p[n:], at+uint64(n)
	}
	return nil
}

// append writes c's record and syncs it, returning the offset after it.
// A write or sync that fails still uses up the record's place, for the
// checkpoint's mark to pass (Store.logCommit).
func (l *wal) append(c *domain.Changes) (uint64, error) {
	payload, err := encodeRecord(c)
	if err != nil {
		return 0, fmt.Errorf("encode the commit for the write-ahead log: %w", err)
	}
	n := uint64(recordHeaderSize + len(payload))
	if n > uint64(l.ring/2) {
		return 0, errTooBig
	}
	if l.next+n-l.checkpointed() > uint64(l.ring) {
		return 0, errLogFull
	}
	at := l.next
	l.next += n
	if err := l.writeAt(frame(payload, at), at); err != nil {
		return 0, err
	}
	if err := datasync(l.f); err != nil {
		return 0, fmt.Errorf("sync the write-ahead log: %w", err)
	}
	return l.next, nil
}

// frame makes the record of payload at virtual offset at.
func frame(payload []byte, at uint64) []byte {
	rec := make([]byte, recordHeaderSize+len(payload))
	binary.BigEndian.PutUint32(rec, recordMagic)
	binary.BigEndian.PutUint64(rec[8:], at)
	binary.BigEndian.PutUint32(rec[16:], uint32(len(payload)))
	copy(rec[recordHeaderSize:], payload)
	binary.BigEndian.PutUint32(rec[4:], checksum(rec[:recordHeaderSize], payload))
	return rec
}

// writeAt writes p into the ring at virtual offset at.
func (l *wal) writeAt(p []byte, at uint64) error {
	if err := l.around(p, at, l.f.WriteAt); err != nil {
		return fmt.Errorf("write the write-ahead log: %w", err)
	}
	return nil
}

// checkpointed is the offset before which the data file holds every record.
func (l *wal) checkpointed() uint64 { return l.done.Load() }

func (l *wal) close() error { return l.f.Close() }
