package push

// office is the hub's state of one office: subscribers and a ring of the last
// size events, which always hold consecutive sequence numbers.
type office struct {
	size int
	ring []entry // circular once full; oldest at head
	head int
	subs map[*client]struct{}
}

// add appends e. It refuses a duplicate or older event (false). An event
// after a gap empties the ring first, so no client is replayed across the
// gap: those get a snapshot instead.
func (o *office) add(e entry) bool {
	if n := len(o.ring); n > 0 {
		last := o.at(n - 1).seq
		if e.seq <= last {
			return false
		}
		if e.seq != last+1 {
			o.ring, o.head = o.ring[:0], 0
		}
	}
	if len(o.ring) < o.size {
		o.ring = append(o.ring, e)
		return true
	}
	o.ring[o.head] = e
	o.head = (o.head + 1) % o.size
	return true
}

func (o *office) at(i int) entry { return o.ring[(o.head+i)%len(o.ring)] }

// after returns the events with seq > since if the ring holds every one of
// them; ok is false when a snapshot is needed.
func (o *office) after(since uint64) (missed []entry, ok bool) {
	n := len(o.ring)
	if n == 0 {
		return nil, false
	}
	first, last := o.at(0).seq, o.at(n-1).seq
	if since+1 < first || since > last {
		return nil, false
	}
	for i := int(since + 1 - first); i < n; i++ {
		missed = append(missed, o.at(i))
	}
	return missed, true
}
