package engine

import (
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Each service's load carries the mean and the longest wait of its own
// waiting tickets, beside the office's.
func TestLiveLoadWaitsPerService(t *testing.T) {
	f := newFixture(t)
	start := f.now
	f.issue("pass")
	f.now = start.Add(4 * time.Minute)
	f.issue("pass")
	f.issue("realty")
	f.now = start.Add(10 * time.Minute)

	load := must(f.e.GetLiveLoad(f.hall, "o1"))
	got := map[string]domain.ServiceLoad{}
	for _, s := range load.Services {
		got[s.ServiceID] = s
	}
	want := map[string][3]int{ // waiting, mean, longest
		"pass":   {2, (600 + 360) / 2, 600},
		"realty": {1, 360, 360},
	}
	for id, w := range want {
		s := got[id]
		if [3]int{s.Waiting, s.AvgWaitSeconds, s.MaxWaitSeconds} != w {
			t.Errorf("%s: waiting %d, mean %d s, longest %d s; want %v", id, s.Waiting, s.AvgWaitSeconds, s.MaxWaitSeconds, w)
		}
	}
	if load.AvgWaitSeconds != (600+360+360)/3 {
		t.Errorf("office mean wait %d s, want %d", load.AvgWaitSeconds, (600+360+360)/3)
	}
}
