package store

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/stats"
	bolt "go.etcd.io/bbolt"
)

// checkpointEvery is how long a logged commit waits at most before the
// data file takes it. Longer batches more commits into each of the data
// file's transactions; reads of the data file checkpoint first anyway.
const checkpointEvery = 50 * time.Millisecond

// checkpoints brings the data file up to date checkpointEvery after a
// commit (kick), or at once when the log is filling up (now), until Close.
func (s *Store) checkpoints() {
	defer close(s.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := false
	for {
		select {
		case <-s.stop:
			timer.Stop()
			return
		case <-s.kick:
			if !armed {
				timer.Reset(checkpointEvery)
				armed = true
			}
			continue
		case <-s.now:
		case <-timer.C:
		}
		if armed && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		armed = false
		// A failure is kept in broken: the next commit retries, and says
		// what is wrong.
		_ = s.flush(0)
	}
}

// flush applies every logged commit to the data file in one transaction
// that also moves the log's mark past them, and past upTo when that is
// further (a record whose write failed). On failure the commits stay
// logged and broken says why.
func (s *Store) flush(upTo uint64) error {
	s.ckMu.Lock()
	defer s.ckMu.Unlock()
	s.pendMu.Lock()
	batch := s.pending
	s.pending = nil
	s.pendMu.Unlock()
	done := s.log.checkpointed()
	if len(batch) > 0 {
		done = max(done, batch[len(batch)-1].end)
	}
	if upTo > done {
		done = upTo
	}
	if done == s.log.checkpointed() {
		return nil
	}
	notify := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		for i := range batch {
			c := &batch[i].c
			if err := write(tx, c, s.zones.in(tx, c), &s.folds); err != nil {
				return err
			}
			notify = notify || len(c.Outbox) > 0
		}
		return putLogMark(tx, s.log.id, done)
	})
	if err != nil {
		s.folds.forget()
		err = wrap("checkpoint", err)
		s.pendMu.Lock()
		s.pending = append(batch, s.pending...)
		s.broken = err
		s.pendMu.Unlock()
		return err
	}
	s.log.done.Store(done)
	if notify {
		s.box.Notify()
	}
	return nil
}

// settle brings the data file up to date for a read: the commits it does
// not hold yet are in memory and in the log only, or in a checkpoint
// under way.
func (s *Store) settle() error {
	if !s.behind() {
		return nil
	}
	return s.flush(0)
}

// behind reports whether acknowledged commits are not in the data file yet.
func (s *Store) behind() bool {
	s.pendMu.Lock()
	logged := s.logged
	s.pendMu.Unlock()
	return s.log.checkpointed() < logged
}

// healthy clears a failure before a commit: a checkpoint that gets the
// data file past every logged record, and past one whose write failed.
// Commit holds the heads' lock, so no record is logged meanwhile.
func (s *Store) healthy() error {
	s.pendMu.Lock()
	broken := s.broken
	s.pendMu.Unlock()
	if broken == nil {
		return nil
	}
	if err := s.flush(s.log.next); err != nil {
		return err
	}
	s.pendMu.Lock()
	s.broken = nil
	s.pendMu.Unlock()
	return nil
}

// logCommit appends c to the log and hands it to the checkpoints; a
// record too big for the log goes to the data file directly.
func (s *Store) logCommit(c *domain.Changes) error {
	end, err := s.log.append(c)
	if errors.Is(err, errLogFull) {
		if err := s.flush(0); err != nil {
			return err
		}
		end, err = s.log.append(c)
	}
	if errors.Is(err, errTooBig) {
		return s.commitDirect(c)
	}
	if err != nil {
		// The record may be on disk in part or whole: the mark passes it
		// at once, so a refused commit never comes back. A checkpoint that
		// fails here leaves broken for the next commit to clear.
		_ = s.flush(s.log.next)
		return wrap("commit", err)
	}
	s.pendMu.Lock()
	s.pending = append(s.pending, logged{c: *c, end: end})
	s.logged = end
	s.pendMu.Unlock()
	wake := s.kick
	if end-s.log.checkpointed() >= uint64(s.log.ring/4) {
		wake = s.now // free the log's space before commits wait for it
	}
	select {
	case wake <- struct{}{}:
	default:
	}
	return nil
}

// commitDirect writes c to the data file after every logged commit, in
// one transaction of its own.
func (s *Store) commitDirect(c *domain.Changes) error {
	if err := s.flush(0); err != nil {
		return err
	}
	s.ckMu.Lock()
	defer s.ckMu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error { return write(tx, c, s.zones.in(tx, c), &s.folds) })
	if err != nil {
		s.folds.forget()
		return wrap("commit", err)
	}
	if len(c.Outbox) > 0 {
		s.box.Notify()
	}
	return nil
}

// logRefusal says what to do about a log Open cannot use.
func logRefusal(path string, err error) error {
	if !errors.Is(err, ErrNotDataFile) {
		return wrap("open write-ahead log "+path, err)
	}
	return &domain.Error{
		Code: domain.CodeUnavailable,
		Message: fmt.Sprintf("журнал записи %s повреждён или не принадлежит Talon: восстановите данные из резервной копии (queue-server restore); "+
			"если сервер перед этим был остановлен штатно, журнал можно убрать из папки данных", path),
		Err: err,
	}
}

// folds is the statistics' memory between checkpoints: offices' marks
// (stats.Mark) and the deltas of each office's events after its mark,
// folded as they were written (foldStats). Both change inside the data
// file's transaction: one that fails forgets them, and the next folds them
// again from the events.
type folds struct {
	marks  map[string]uint64
	deltas map[string]*stats.Deltas
}

func (f *folds) forget() { f.marks, f.deltas = nil, nil }

// view runs fn in a read of the data file brought up to date. When the
// data file cannot take a checkpoint (a full disk), fn reads in a write
// transaction that applies the logged commits and is rolled back: bbolt
// needs no disk until a commit, so reads, and the queue's reload after a
// refused commit, go on from every acknowledged commit.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	err := s.settle()
	if err == nil {
		return s.db.View(fn)
	}
	s.ckMu.Lock()
	defer s.ckMu.Unlock()
	// What the rolled-back writes folded is not on disk.
	defer s.folds.forget()
	tx, berr := s.db.Begin(true)
	if berr != nil {
		return errors.Join(err, wrap("read", berr))
	}
	defer func() { _ = tx.Rollback() }()
	s.pendMu.Lock()
	batch := slices.Clone(s.pending)
	s.pendMu.Unlock()
	for i := range batch {
		c := &batch[i].c
		if werr := write(tx, c, s.zones.in(tx, c), &s.folds); werr != nil {
			return errors.Join(err, wrap("read", werr))
		}
	}
	return fn(tx)
}

// settledView runs fn in a read transaction after a checkpoint, or fails
// when there can be none: a copy of the file must hold every acknowledged
// commit, and a transaction's WriteTo copies what the disk holds.
func (s *Store) settledView(fn func(*bolt.Tx) error) error {
	if err := s.settle(); err != nil {
		return err
	}
	return s.db.View(fn)
}
