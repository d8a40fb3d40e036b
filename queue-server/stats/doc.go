// Package stats keeps the statistics of the offices as rollups maintained
// by the transactions that append events to the log, so a report over a
// year reads a few thousand small cells and never rescans the log.
//
// Fold turns one event into counter deltas; it is a pure function of the
// event (tickets and sessions carry the stamps it needs: purpose, first
// call, wait norm, estimate at issue, service seconds) and the office's time
// zone, so Rebuild gives the same cells from the log whatever the
// configuration became since. Cells hold integers only and merge exactly.
//
// The store owns the file and creates the bucket in a migration
// (CreateBuckets), folds events into Deltas and writes them inside its
// commits, calls Report inside a read and Reset and Rebuild to recompute
// everything from the log; this package owns what is inside:
//
//	stats/
//	  <office>/<period> 0x00 <dim> 0x00 <value> -> Cell (varints, see merger.merge)
//	  0x00 <office> 0x00 <n>  -> one Write's deltas, pending (n: uint64 big-endian)
//	  0x01 <office>           -> the office's mark: its last event counted (see Mark)
//
// Each Write appends its summed deltas as a pending entry, and about every
// 256th adds them all to the cells (see pendingFlush); reports read both,
// and the events after the mark, which the store folds in batches.
//
// period is an office-local day "2026-12-02" or month "2026-12"; every
// delta goes to both. dim is office (value ""), service, purpose,
// operator, window, hour ("09"), service_hour ("<service>|09"), and, in
// month cells only, weekday ("1" Monday … "7"); a single day's weekday is
// its office cell. One (period, dim) is one contiguous cursor range.
package stats
