//go:build cgo && linux

package voice

import (
	"slices"
	"testing"
	"time"
)

// playSignal passes a device through and signals each time an announcement
// is over and the device idle, so the next call starts on a quiet board.
type playSignal struct {
	device
	played chan struct{}
}

func (d playSignal) play(pcm []byte) error {
	err := d.device.play(pcm)
	d.played <- struct{}{}
	return err
}

// BenchmarkCallToFirstSample says 200 calls one at a time through the real
// path (queue, assembly, oto, ALSA) into ALSA's file plugin, read by the
// test like a sound card that is never late, and reports the time from Say
// to the call's first samples leaving the device (found by the chime's
// first 32 samples in the stream). It also reports the time to expand and
// assemble the longest call.
func BenchmarkCallToFirstSample(b *testing.B) {
	dev := playSignal{newALSADevice(), make(chan struct{}, 1)}
	p, err := newPlayer(dev, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	if ok, problem := p.State(); !ok {
		b.Fatal(problem)
	}
	set := testSet(b)
	chimeStart := asFloat32(set.pcm[chime.ID][:32*bytesPerSample])

	b.ResetTimer()
	for range b.N {
		var lat []time.Duration
		for i := range 200 {
			heard := sink.watch(chimeStart)
			t0 := time.Now()
			if err := p.Say("ЗЯ"+string(rune('0'+i%10))+"15", i%999+1); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, (<-heard).Sub(t0))
			<-dev.played
		}
		slices.Sort(lat)
		ms := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)]) / float64(time.Millisecond) }
		b.ReportMetric(ms(0.50), "say-to-first-sample-p50-ms")
		b.ReportMetric(ms(0.99), "say-to-first-sample-p99-ms")

		const phrases = 1000
		t0 := time.Now()
		for range phrases {
			segs, err := Expand("ЪЬ777", 777)
			if err == nil {
				_, err = set.assemble(segs)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(time.Since(t0).Microseconds())/phrases, "assemble-us/phrase")
	}
}
