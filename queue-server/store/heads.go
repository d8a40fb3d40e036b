package store

import (
	"errors"
	"sync"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// heads remembers where each office's event log and each journal chain end
// after the last commit, so a commit checks that its records continue them
// from memory: seeking the ends of both trees and decoding the last journal
// record was a fifth of a one-ticket commit's work (BenchmarkHeadroom).
//
// Commit holds mu from its check to its logging, so the heads follow the
// commits in their order; only Commit writes events and journal records,
// and one that fails moves no head.
type heads struct {
	mu      sync.Mutex
	events  map[string]uint64               // office -> last event seq
	journal map[string]domain.JournalRecord // chain -> last record (Seq and Hash are read)
	// counters holds each office's and prefix's latest counter, of its
	// latest day only, so the map does not grow with the days.
	counters map[[2]string]domain.Counter
	// behind means acknowledged commits wait for a checkpoint, so an end
	// not in memory cannot be read from the data file yet (errBehind).
	behind bool
}

// errBehind asks for a checkpoint before an end is read from the data file.
var errBehind = errors.New("the data file is behind the write-ahead log")

// lastEvent returns the office's last event seq, from memory or from tx.
func (h *heads) lastEvent(tx *bolt.Tx, officeID string) (uint64, error) {
	if seq, ok := h.events[officeID]; ok {
		return seq, nil
	}
	if h.behind {
		return 0, errBehind
	}
	return lastSeq(tx, officeID)
}

// lastRecord returns the chain's last journal record, from memory or from tx.
func (h *heads) lastRecord(tx *bolt.Tx, chain string) (domain.JournalRecord, error) {
	if r, ok := h.journal[chain]; ok {
		return r, nil
	}
	if h.behind {
		return domain.JournalRecord{}, errBehind
	}
	r, _, err := lastRecord(tx, chain)
	return r, err
}

// lastCount returns the last number of the office's counter of day and
// prefix, from memory or from tx; 0 when there is none.
func (h *heads) lastCount(tx *bolt.Tx, officeID, day, prefix string) (int, error) {
	if c, ok := h.counters[[2]string{officeID, prefix}]; ok && c.Day == day {
		return c.Last, nil
	}
	if h.behind {
		return 0, errBehind
	}
	return storedCount(tx, officeID, day, prefix)
}

// committed moves the heads past c's records, which are on disk.
func (h *heads) committed(c *domain.Changes) {
	if h.events == nil {
		h.events = map[string]uint64{}
		h.journal = map[string]domain.JournalRecord{}
		h.counters = map[[2]string]domain.Counter{}
	}
	for _, e := range c.Events {
		h.events[e.OfficeID] = e.Seq
	}
	for _, r := range c.Journal {
		h.journal[r.Chain] = domain.JournalRecord{Chain: r.Chain, Seq: r.Seq, Hash: r.Hash}
	}
	for _, x := range c.Counters {
		key := [2]string{x.OfficeID, x.Prefix}
		if old, ok := h.counters[key]; !ok || old.Day <= x.Day {
			h.counters[key] = domain.Counter{Day: x.Day, Last: x.Last}
		}
	}
}
