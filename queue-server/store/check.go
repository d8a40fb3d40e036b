package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// bbolt trusts its file: a page number past the end of a truncated file
// makes it read unmapped memory, which kills the process, and a garbage
// page makes it panic. So a file is checked before bbolt maps it (its size
// against what its meta pages claim) and after (every page reachable and
// readable, under a guard that turns faults into errors), and a damaged
// file is refused with a sentence saying what to do instead of a crash.

// openChecked opens the file at path with bbolt, refusing a damaged one;
// created says there was no file before.
func openChecked(path string, timeout time.Duration, created bool) (*bolt.DB, error) {
	if !created {
		if err := checkFileSize(path); err != nil {
			return nil, refusal(path, err)
		}
	}
	var db *bolt.DB
	err := guarded(path, func() error {
		var err error
		if db, err = openLocked(path, timeout); err != nil {
			return err
		}
		if !created {
			if err := readAhead(path); err != nil {
				_ = db.Close()
				return err
			}
		}
		if err := checkPages(db, path); err != nil {
			_ = db.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return nil, refusal(path, err)
	}
	return db, nil
}

// The meta page layout of bbolt's file format 2: a 16-byte page header, then
// magic, version, page size, flags (uint32 each), the root bucket (root page
// and sequence), the freelist's page, the high-water mark, the txid and an
// FNV-64a checksum of everything before it.
const (
	metaMagic        = 0xED0CDAED
	metaVersion      = 2
	pageHeaderSize   = 16
	metaSize         = 64
	noFreelist       = ^uint64(0)
	freelistPageFlag = 0x10
	minPageSize      = 1 << 10
	maxPageSize      = 1 << 24
	metaChecksumEnd  = pageHeaderSize + 56
)

type meta struct {
	pageSize                 uint64
	root, freelist, pgid, tx uint64
}

// readMeta decodes and validates the meta page at off, or reports why not.
func readMeta(f io.ReaderAt, off int64) (meta, error) {
	var b [pageHeaderSize + metaSize]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		return meta{}, fmt.Errorf("read meta page at %d: %w", off, err)
	}
	le := binary.LittleEndian
	m := b[pageHeaderSize:]
	if le.Uint32(m[0:]) != metaMagic {
		return meta{}, fmt.Errorf("meta page at %d: no bbolt magic", off)
	}
	if v := le.Uint32(m[4:]); v != metaVersion {
		return meta{}, fmt.Errorf("meta page at %d: format version %d", off, v)
	}
	h := fnv.New64a()
	_, _ = h.Write(b[pageHeaderSize:metaChecksumEnd])
	if h.Sum64() != le.Uint64(b[metaChecksumEnd:]) {
		return meta{}, fmt.Errorf("meta page at %d: checksum mismatch", off)
	}
	return meta{
		pageSize: uint64(le.Uint32(m[8:])),
		root:     le.Uint64(m[16:]),
		freelist: le.Uint64(m[32:]),
		pgid:     le.Uint64(m[40:]),
		tx:       le.Uint64(m[48:]),
	}, nil
}

// checkFileSize refuses an existing file bbolt could not map safely: empty,
// shorter than its two meta pages, without a valid meta page, or shorter
// than the pages its meta claims. It reads 160 bytes, so it costs nothing.
func checkFileSize(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return wrap("open "+path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return wrap("stat "+path, err)
	}
	size := uint64(info.Size())
	if !info.Mode().IsRegular() {
		return notDataFile(path, fmt.Errorf("%w: %s is not a regular file", ErrNotDataFile, path))
	}
	if size == 0 {
		// A Talon file is never empty once created: an empty one is a file
		// cut to nothing (a file system repair does that), and starting
		// over in it would hide the loss.
		return notDataFile(path, fmt.Errorf("%w: %s is empty", ErrNotDataFile, path))
	}
	m0, err0 := readMeta(f, 0)
	pageSize := m0.pageSize
	if err0 != nil {
		// bbolt finds the second meta page by trying every page size.
		for ps := uint64(minPageSize); ps <= maxPageSize; ps <<= 1 {
			if m, err := readMeta(f, int64(ps)); err == nil && m.pageSize == ps {
				pageSize = ps
				break
			}
		}
	}
	if pageSize < minPageSize || pageSize > maxPageSize || pageSize&(pageSize-1) != 0 {
		return notDataFile(path, fmt.Errorf("%w: no valid meta page (%v)", ErrNotDataFile, err0))
	}
	if size < 2*pageSize {
		return notDataFile(path, fmt.Errorf("%w: %d bytes, shorter than the two meta pages", ErrNotDataFile, size))
	}
	m1, err1 := readMeta(f, int64(pageSize))
	// bbolt uses the valid meta of the later transaction.
	m := m0
	switch {
	case err0 != nil && err1 != nil:
		return notDataFile(path, fmt.Errorf("%w: both meta pages are invalid: %v; %v", ErrNotDataFile, err0, err1))
	case err0 != nil, err1 == nil && m1.tx > m0.tx:
		m = m1
	}
	if m.pageSize != pageSize {
		return notDataFile(path, fmt.Errorf("%w: meta pages disagree on the page size", ErrNotDataFile))
	}
	if size/pageSize < m.pgid {
		return notDataFile(path, fmt.Errorf("%w: %d bytes, but its meta claims %d pages of %d bytes (the file is cut short)",
			ErrNotDataFile, size, m.pgid, pageSize))
	}
	if m.root >= m.pgid || (m.freelist != noFreelist && m.freelist >= m.pgid) {
		return notDataFile(path, fmt.Errorf("%w: meta points past its last page %d (root %d, freelist %d)",
			ErrNotDataFile, m.pgid, m.root, m.freelist))
	}
	if m.freelist != noFreelist {
		if err := checkFreelistPage(f, m); err != nil {
			return notDataFile(path, err)
		}
	}
	return nil
}

// checkFreelistPage refuses a freelist page that is not one or claims pages
// past the high-water mark: bbolt reads it while opening, before any check
// can run, and frees its pages at the next commit.
func checkFreelistPage(f io.ReaderAt, m meta) error {
	var h [pageHeaderSize]byte
	if _, err := f.ReadAt(h[:], int64(m.freelist*m.pageSize)); err != nil {
		return fmt.Errorf("%w: read the freelist page %d: %w", ErrNotDataFile, m.freelist, err)
	}
	le := binary.LittleEndian
	id, flags, overflow := le.Uint64(h[0:]), le.Uint16(h[8:]), uint64(le.Uint32(h[12:]))
	if id != m.freelist || flags != freelistPageFlag || m.freelist+overflow >= m.pgid {
		return fmt.Errorf("%w: page %d is not a sound freelist page (id %d, flags %#x, overflow %d, %d pages in all)",
			ErrNotDataFile, m.freelist, id, flags, overflow, m.pgid)
	}
	return nil
}

// readAhead reads the file from start to end before the page check: the
// check visits pages in tree order, which on a cold disk is random reads
// (a year of a large office took 52 s that way here), while one
// sequential pass puts the file in the page cache at the disk's full speed.
func readAhead(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return wrap("open "+path, err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		_, err := f.Read(buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return wrap("read "+path, err)
		}
	}
}

// guarded runs f with memory faults turned into panics and any panic into
// an error: f reads a mapped file that may be damaged. A panic inside
// bbolt's Open leaves its descriptor and mapping behind; the caller refuses
// to start, so the process ends soon after.
func guarded(path string, f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = notDataFile(path, fmt.Errorf("%w: reading it failed: %v", ErrNotDataFile, r))
		}
	}()
	return f()
}

// checkPages reads every page reachable from the root, the last byte of
// every value included, on this goroutine (so that guarded catches a
// fault), and then runs bbolt's own check, which also finds pages neither
// reachable nor free. Each reads the whole file once; the start-up cost is
// measured by BenchmarkOpenCheck.
func checkPages(db *bolt.DB, path string) error {
	return db.View(func(tx *bolt.Tx) error {
		var touched byte
		var walk func(b *bolt.Bucket) error
		walk = func(b *bolt.Bucket) error {
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if v == nil {
					child := b.Bucket(k)
					if child == nil {
						return fmt.Errorf("%w: key %q has no value and is not a bucket", ErrNotDataFile, k)
					}
					if err := walk(child); err != nil {
						return err
					}
					continue
				}
				if len(v) > 0 {
					touched ^= v[len(v)-1]
				}
			}
			return nil
		}
		err := tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(b) })
		if err != nil {
			return notDataFile(path, err)
		}
		var problems []error
		for err := range tx.Check() {
			if len(problems) < 10 {
				problems = append(problems, err)
			}
		}
		if len(problems) > 0 {
			return notDataFile(path, fmt.Errorf("%w: damaged pages: %w", ErrNotDataFile, errors.Join(problems...)))
		}
		lastBytes.Store(uint32(touched))
		return nil
	})
}

// lastBytes keeps the values' last bytes that checkPages reads, so that the
// compiler cannot drop the reads as unused.
var lastBytes atomic.Uint32

// damaged is the refusal of a data file the server cannot start on.
func damaged(path string, err error) error {
	return &domain.Error{
		Code: domain.CodeUnavailable,
		Message: fmt.Sprintf("файл данных %s повреждён или не является файлом данных Talon, сервер не запущен: "+
			"восстановите его из резервной копии командой queue-server restore --from ФАЙЛ_КОПИИ --data %s "+
			"или, если копии нет, переместите этот файл из папки данных (сервер начнёт с пустой базы)",
			path, filepath.Dir(path)),
		Err: err,
	}
}

// refusal gives a start-up error about the file's contents the sentence of
// damaged; others (a file in use, a full disk) keep theirs. The checks
// themselves say only that the file is damaged (notDataFile): Verify runs
// them on backups, for which restoring from a backup is no advice.
func refusal(path string, err error) error {
	var de *domain.Error
	if errors.Is(err, ErrNotDataFile) && errors.As(err, &de) && de.Err != nil {
		return damaged(path, de.Err)
	}
	return err
}
