package store

import (
	"context"
	"testing"
)

// The revision is 0 before any, keeps what was set per office across a
// reopen, and lives beside the region cursor without touching it.
func TestRegionConfigRevision(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	if rev, err := s.RegionConfigRevision(ctx, testOffice); err != nil || rev != 0 {
		t.Fatalf("revision before any = %d, %v; want 0", rev, err)
	}
	if err := s.SetRegionCursor(ctx, testOffice, 41); err != nil {
		t.Fatal(err)
	}
	for _, rev := range []uint64{3, 9} {
		if err := s.SetRegionConfigRevision(ctx, testOffice, rev); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetRegionConfigRevision(ctx, "other", 5); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	for office, want := range map[string]uint64{testOffice: 9, "other": 5, "none": 0} {
		if rev, err := s.RegionConfigRevision(ctx, office); err != nil || rev != want {
			t.Errorf("revision of %s after reopen = %d, %v; want %d", office, rev, err, want)
		}
	}
	if seq, err := s.RegionCursor(ctx, testOffice); err != nil || seq != 41 {
		t.Errorf("cursor = %d, %v; want 41", seq, err)
	}
}
