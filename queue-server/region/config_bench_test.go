package region_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/officefile"
	"github.com/talonqueue/talon/queue-server/region/regiontest"
)

// BenchmarkConfigToOffice: how long a change of an office's configuration
// set at the region (region.SetConfig on the three-node cluster) takes to
// be applied at the office node (the demo office on a real store, fsync
// on): ms-linked-* over 20 changes while the link is up (woken by the put),
// s-relink-* over 3 changes made while the link is cut, from the link's
// return.
func BenchmarkConfigToOffice(b *testing.B) {
	const linked, cuts = 20, 3
	for range b.N {
		h := regiontest.Start(b)
		o := newOffice(b, h)
		o.startNode()
		h.WaitOffice(demo.OfficeID)
		o.follow()
		f, err := officefile.Parse("demo.yaml", demo.File())
		if err != nil {
			b.Fatal(err)
		}
		f.Categories = append(f.Categories, officefile.Category{ID: "pensioner", Name: "Пенсионеры", Level: 1})
		change := func(i int) uint64 {
			f.Categories[len(f.Categories)-1].Name = fmt.Sprintf("Пенсионеры %d", i)
			return setConfig(b, h, f)
		}
		waitRev := func(rev uint64) {
			for o.applied() < rev {
				time.Sleep(time.Millisecond)
			}
		}
		waitRev(change(0))

		b.ResetTimer()
		var up, back []time.Duration
		for i := range linked {
			t0 := time.Now()
			waitRev(change(i + 1))
			up = append(up, time.Since(t0))
		}
		for i := range cuts {
			h.Cut()
			rev := change(linked + i + 1)
			regiontest.WaitFor(b, "the node sees its link down", func() bool { return !o.node.Linked() })
			t0 := time.Now()
			h.Link()
			waitRev(rev)
			back = append(back, time.Since(t0))
		}
		b.StopTimer()
		slices.Sort(up)
		slices.Sort(back)
		b.ReportMetric(float64(up[len(up)/2].Microseconds())/1000, "ms-linked-p50")
		b.ReportMetric(float64(up[len(up)-1].Microseconds())/1000, "ms-linked-max")
		b.ReportMetric(back[len(back)/2].Seconds(), "s-relink-p50")
		b.ReportMetric(back[len(back)-1].Seconds(), "s-relink-max")
	}
}
