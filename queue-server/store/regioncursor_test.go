package store

import (
	"context"
	"testing"
)

// The cursor is 0 before any, keeps what was set per office across a
// reopen, and one office's cursor leaves another's alone.
func TestRegionCursor(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	if seq, err := s.RegionCursor(ctx, testOffice); err != nil || seq != 0 {
		t.Fatalf("cursor before any = %d, %v; want 0", seq, err)
	}
	if err := s.SetRegionCursor(ctx, testOffice, 41); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRegionCursor(ctx, testOffice, 1<<40); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRegionCursor(ctx, "other", 7); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	for office, want := range map[string]uint64{testOffice: 1 << 40, "other": 7, "none": 0} {
		if seq, err := s.RegionCursor(ctx, office); err != nil || seq != want {
			t.Errorf("cursor of %s after reopen = %d, %v; want %d", office, seq, err, want)
		}
	}
}
