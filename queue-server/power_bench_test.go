package main

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talonqueue/talon/internal/fakeupsd"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/demo"
)

// BenchmarkLowBatteryShutdown measures how long the real server takes,
// from the UPS saying low battery, to tell 500 hall boards' streams why it
// stops (their bye, p50/p99) and to exit with its store closed: the time
// a UPS's low-battery reserve must cover. The UPS is read every 10 ms, which
// the numbers include.
func BenchmarkLowBatteryShutdown(b *testing.B) {
	const boards = 500
	for range b.N {
		b.StopTimer()
		u := fakeupsd.Start(b, "OL")
		cmd, url := testserver.Start(b, b.TempDir(), "127.0.0.1:0", "--ups", u.Name(), "--ups-every", "10ms")
		stream := strings.Replace(url, "http", "ws", 1) + "/api/v1/offices/" + demo.OfficeID + "/stream?token=" + login(b, url, "display1").Token()
		bye := make(chan time.Time, boards)
		for i := range boards {
			conn, _, err := websocket.DefaultDialer.Dial(stream, nil)
			if err != nil {
				b.Fatalf("board %d: %v", i, err)
			}
			defer conn.Close()
			go func() {
				for {
					_, msg, err := conn.ReadMessage()
					if err != nil {
						return
					}
					if strings.Contains(string(msg), `"type":"bye"`) {
						bye <- time.Now()
					}
				}
			}()
		}
		b.StartTimer()
		t0 := time.Now()
		u.Set("OB LB")
		lat := make([]time.Duration, 0, boards)
		timeout := time.After(60 * time.Second)
		for len(lat) < boards {
			select {
			case at := <-bye:
				lat = append(lat, at.Sub(t0))
			case <-timeout:
				b.Fatalf("%d of %d boards were told within 60 s", len(lat), boards)
			}
		}
		if err := cmd.Wait(); err != nil {
			b.Fatalf("the server exited with %v", err)
		}
		exit := time.Since(t0)
		b.ReportMetric(percentile(lat, 0.50), "bye-p50-ms")
		b.ReportMetric(percentile(lat, 0.99), "bye-p99-ms")
		b.ReportMetric(float64(exit)/float64(time.Millisecond), "exit-ms")
	}
}
