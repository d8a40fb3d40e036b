package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// sampleFile writes a closed Talon file of a few hundred tickets, enough for
// branch pages and a freelist, and returns its bytes, page size and the
// type of each page below the high-water mark.
func sampleFile(t *testing.T) (data []byte, pageSize int, types []string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "talon.db")
	s, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	seq := uint64(0)
	for range 30 {
		var c domain.Changes
		for range 10 {
			seq++
			c.Merge(issue(seq, ticket(fmt.Sprintf("t%08d", seq), "2026-11-23", domain.StatusWaiting), int(seq)))
		}
		commit(t, s, c)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		pageSize = tx.DB().Info().PageSize
		for id := 0; ; {
			p, err := tx.Page(id)
			if err != nil || p == nil {
				return err
			}
			types = append(types, p.Type)
			id++
			if p.Type == "free" {
				continue
			}
			for range p.OverflowCount {
				types = append(types, p.Type+" overflow")
				id++
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(types, "branch") || !slices.Contains(types, "freelist") {
		t.Fatalf("the sample file's pages %v lack a branch or the freelist", types)
	}
	data, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data, pageSize, types
}

// wantRefused opens data as a data file and wants the start-up refusal.
func wantRefused(t *testing.T, data []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "talon.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if err == nil {
		_ = s.Close()
		t.Fatal("Open accepted the file")
	}
	wantRefusal(t, err, path)
}

func wantRefusal(t *testing.T, err error, path string) {
	t.Helper()
	if !errors.Is(err, ErrNotDataFile) {
		t.Errorf("Open = %v, want ErrNotDataFile", err)
	}
	msg := domain.ErrorMessage(err)
	for _, want := range []string{path + " повреждён", "queue-server restore --from", "--data " + filepath.Dir(path), "переместите этот файл"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
	t.Logf("refused: %v", err)
}

func TestOpenRefusesATruncatedFile(t *testing.T) {
	data, ps, types := sampleFile(t)
	pages := len(types)
	if len(data) < pages*ps {
		t.Fatalf("sample file of %d bytes holds fewer than its %d pages", len(data), pages)
	}
	for _, size := range []int{0, 100, ps / 2, ps, ps + 100, 2 * ps, 2*ps + ps/2, 3 * ps, pages / 2 * ps, pages/2*ps + 123, (pages-1)*ps + ps/2, pages*ps - 1} {
		t.Run(fmt.Sprintf("%d bytes", size), func(t *testing.T) {
			wantRefused(t, data[:size])
		})
	}
}

func TestOpenRefusesAGarbagePage(t *testing.T) {
	data, ps, types := sampleFile(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, id := range someInUse(types) {
		typ := types[id]
		t.Run(fmt.Sprintf("page %d (%s)", id, typ), func(t *testing.T) {
			bad := append([]byte(nil), data...)
			for i := id * ps; i < (id+1)*ps; i++ {
				bad[i] = byte(rng.Uint32())
			}
			wantRefused(t, bad)
		})
	}
}

// someInUse picks the pages to damage: every page that is not a leaf or
// free, and a dozen leaves spread over the file, which opening each damaged
// copy keeps the test quick.
func someInUse(types []string) []int {
	var leaves, picked []int
	for id, typ := range types {
		switch typ {
		case "free":
		case "leaf":
			leaves = append(leaves, id)
		default:
			picked = append(picked, id)
		}
	}
	for i := 0; i < len(leaves); i += max(1, len(leaves)/12) {
		picked = append(picked, leaves[i])
	}
	return picked
}

// A byte flipped in a page's header (its id, type, a count grown past the
// page, an overflow) is found. bbolt keeps no checksum of its pages, so a
// leaf's count that shrank or a flipped byte inside a value is not: the
// first looks like fewer records, the second fails where it is decoded.
func TestOpenRefusesAFlippedHeaderByte(t *testing.T) {
	data, ps, types := sampleFile(t)
	for _, id := range someInUse(types) {
		typ := types[id]
		if typ != "branch" && typ != "leaf" && typ != "freelist" {
			continue
		}
		for _, off := range []int{0, 8, 11, 12} {
			t.Run(fmt.Sprintf("page %d (%s) byte %d", id, typ, off), func(t *testing.T) {
				bad := append([]byte(nil), data...)
				bad[id*ps+off] ^= 0x40
				wantRefused(t, bad)
			})
		}
	}
}

func TestOpenRefusesBothMetaPagesFlipped(t *testing.T) {
	data, ps, _ := sampleFile(t)
	bad := append([]byte(nil), data...)
	bad[16+40] ^= 1 // the high-water mark of meta 0
	opens(t, bad)
	bad[ps+16+40] ^= 1
	wantRefused(t, bad)
}

func TestOpenRefusesForeignFiles(t *testing.T) {
	t.Run("SQLite database", func(t *testing.T) {
		sqlite, err := exec.LookPath("sqlite3")
		if err != nil {
			t.Fatal("sqlite3 is missing: run deploy/debian-deps")
		}
		path := filepath.Join(t.TempDir(), "talon.db")
		out, err := exec.Command(sqlite, path, "create table tickets(id text); insert into tickets values ('А001');").CombinedOutput()
		if err != nil {
			t.Fatalf("sqlite3: %v\n%s", err, out)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		wantRefused(t, data)
	})
	t.Run("another program's bbolt file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "other.db")
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket([]byte("keys"))
			if err != nil {
				return err
			}
			return b.Put([]byte("k"), []byte("v"))
		})
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		wantRefused(t, data)
	})
	t.Run("text file", func(t *testing.T) {
		wantRefused(t, []byte(strings.Repeat("not a database\n", 1000)))
	})
}

// opens wants data to open as a data file, as bbolt's fallback to the
// other meta page promises.
func opens(t *testing.T, data []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "talon.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open of a file with one bad meta page: %v", err)
	}
	_ = s.Close()
}
