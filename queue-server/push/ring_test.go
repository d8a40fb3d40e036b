package push

import (
	"slices"
	"testing"
)

func TestRing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		add   []uint64
		since uint64
		want  []uint64 // nil with ok false: a snapshot is needed
		ok    bool
	}{
		{"empty", nil, 0, nil, false},
		{"all missed", []uint64{1, 2, 3}, 0, []uint64{1, 2, 3}, true},
		{"some missed", []uint64{1, 2, 3}, 1, []uint64{2, 3}, true},
		{"up to date", []uint64{1, 2, 3}, 3, nil, true},
		{"ahead", []uint64{1, 2, 3}, 4, nil, false},
		{"wrapped", []uint64{1, 2, 3, 4, 5, 6}, 2, []uint64{3, 4, 5, 6}, true},
		{"left the ring", []uint64{1, 2, 3, 4, 5, 6}, 1, nil, false},
		{"duplicates ignored", []uint64{1, 2, 2, 1, 3}, 0, []uint64{1, 2, 3}, true},
		{"gap restarts", []uint64{1, 2, 5, 6}, 4, []uint64{5, 6}, true},
		{"not across a gap", []uint64{1, 2, 5, 6}, 2, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &office{size: 4, maxBytes: 1 << 20}
			for _, s := range tc.add {
				o.add(entry{seq: s})
			}
			got, ok := o.after(tc.since)
			var seqs []uint64
			for _, e := range got {
				seqs = append(seqs, e.seq)
			}
			if ok != tc.ok || !slices.Equal(seqs, tc.want) {
				t.Fatalf("after(%d) = %v, %v; want %v, %v", tc.since, seqs, ok, tc.want, tc.ok)
			}
		})
	}
}

// The ring keeps at most maxBytes of events: the oldest leave first, and an
// event larger than the bound is not kept at all, so whoever needs it gets
// a snapshot.
func TestRingBytes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int // of events 1, 2, …
		since uint64
		want  []uint64
		ok    bool
		bytes int // held after adding
	}{
		{"within the bound", []int{3, 3, 3}, 0, []uint64{1, 2, 3}, true, 9},
		{"oldest leave", []int{3, 3, 3, 3}, 1, []uint64{2, 3, 4}, true, 9},
		{"left by bytes", []int{3, 3, 3, 3}, 0, nil, false, 9},
		{"a big one pushes out several", []int{3, 3, 3, 8}, 3, []uint64{4}, true, 8},
		{"too big to keep", []int{3, 3, 11}, 2, nil, false, 0},
		{"one too big missed", []int{3, 11, 3}, 1, nil, false, 3},
		{"one too big seen", []int{3, 11, 3}, 2, []uint64{3}, true, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &office{size: 100, maxBytes: 10}
			for i, n := range tc.sizes {
				o.add(entry{seq: uint64(i + 1), size: n})
			}
			got, ok := o.after(tc.since)
			var seqs []uint64
			for _, e := range got {
				seqs = append(seqs, e.seq)
			}
			if ok != tc.ok || !slices.Equal(seqs, tc.want) || o.bytes != tc.bytes {
				t.Fatalf("after(%d) = %v, %v holding %d bytes; want %v, %v, %d", tc.since, seqs, ok, o.bytes, tc.want, tc.ok, tc.bytes)
			}
		})
	}
}
