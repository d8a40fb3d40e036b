package push

// office is the hub's state of one office: subscribers and the last events,
// which always hold consecutive sequence numbers: at most size of them and
// at most maxBytes in all (entry.size), so that a region of busy offices
// keeps a bounded replay memory whatever its events weigh.
type office struct {
	size, maxBytes int
	ring           []entry // oldest first
	bytes          int     // the ring's sizes summed
	subs           map[*client]struct{}
}

// add appends e, dropping the oldest events to make room. It refuses a
// duplicate or older event (false). An event after a gap empties the ring
// first, so no client is replayed across the gap: those get a snapshot
// instead; so does a client that needs an event too large to keep.
func (o *office) add(e entry) bool {
	if n := len(o.ring); n > 0 {
		last := o.ring[n-1].seq
		if e.seq <= last {
			return false
		}
		if e.seq != last+1 {
			o.drop(n)
		}
	}
	for len(o.ring) > 0 && (len(o.ring) >= o.size || o.bytes+e.size > o.maxBytes) {
		o.drop(1)
	}
	if e.size <= o.maxBytes {
		o.ring = append(o.ring, e)
		o.bytes += e.size
	}
	return true
}

// drop forgets the n oldest events. Their slots are cleared, or the array
// behind the ring would keep their messages alive.
func (o *office) drop(n int) {
	for i := range n {
		o.bytes -= o.ring[i].size
		o.ring[i] = entry{}
	}
	o.ring = o.ring[n:]
}

// after returns the events with seq > since if the ring holds every one of
// them; ok is false when a snapshot is needed.
func (o *office) after(since uint64) (missed []entry, ok bool) {
	n := len(o.ring)
	if n == 0 {
		return nil, false
	}
	first, last := o.ring[0].seq, o.ring[n-1].seq
	if since+1 < first || since > last {
		return nil, false
	}
	return append(missed, o.ring[since+1-first:]...), true
}
