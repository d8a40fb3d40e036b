package queue

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// commitLog records what OnCommit was told.
type commitLog struct {
	mu              sync.Mutex
	ok, failed, ops int
	zeroTook        int
}

func (l *commitLog) observe(ops int, took time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.failed++
		return
	}
	l.ok++
	l.ops += ops
	if took <= 0 {
		l.zeroTook++
	}
}

// OnCommit hears of every transaction, with the operations it carried,
// and of failed ones with their error: it agrees with Stats, which counts
// the successful ones.
func TestOnCommitReportsEveryTransaction(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	flaky := &flakyStore{Store: st}
	log := &commitLog{}
	svc := openDemo(t, flaky, Options{OnCommit: log.observe})
	kiosk := as("kiosk1", svc, t)

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				if _, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	flaky.fail.Store(true)
	if _, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err == nil {
		t.Fatal("issue on a failing disk succeeded")
	}
	flaky.fail.Store(false)

	stats := svc.Stats()
	log.mu.Lock()
	defer log.mu.Unlock()
	if uint64(log.ok) != stats.Commits || uint64(log.ops) != stats.Operations {
		t.Errorf("OnCommit heard %d commits of %d operations, Stats counts %d of %d", log.ok, log.ops, stats.Commits, stats.Operations)
	}
	if log.failed != 1 {
		t.Errorf("OnCommit heard %d failed commits, want 1", log.failed)
	}
	if log.zeroTook > 0 {
		t.Errorf("%d commits reported taking no time", log.zeroTook)
	}
}
