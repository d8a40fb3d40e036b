package ui_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/hardware/serialport"
	"github.com/talonqueue/talon/internal/procmem"
	"github.com/talonqueue/talon/kiosk/ui"
	"github.com/talonqueue/talon/printer"
	"github.com/talonqueue/talon/printer/escpos"
)

// lastWrite passes a serial port through and remembers when the last write
// of more than a status query (DLE EOT n, three bytes) went out: the last
// byte of a ticket on the line.
type lastWrite struct {
	io.ReadWriter
	mu sync.Mutex
	at time.Time
}

func (l *lastWrite) Write(p []byte) (int, error) {
	n, err := l.ReadWriter.Write(p)
	if len(p) > 3 {
		l.mu.Lock()
		l.at = time.Now()
		l.mu.Unlock()
	}
	return n, err
}

func (l *lastWrite) last() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.at
}

// vprinterProcess runs the virtual printer as its own program, so that the
// memory measured is the kiosk's, and returns the serial port's path.
func vprinterProcess(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	bin := filepath.Join(dir, "talon-vprinter")
	if out, err := exec.Command("go", "build", "-o", bin, "../../printer/cmd/talon-vprinter").CombinedOutput(); err != nil {
		b.Fatalf("go build talon-vprinter: %v\n%s", err, out)
	}
	link := filepath.Join(dir, "printer")
	cmd := exec.Command(bin, "-link", link, "-out", filepath.Join(dir, "tickets"))
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitFor(b, "the virtual printer's port", func() bool { _, err := os.Stat(link); return err == nil })
	return link
}

// BenchmarkKiosk issues 500 tickets by tapping the kiosk's screen, with the
// real server, the SDK client paired as kiosk1 and the real printer driver
// over a pseudo-terminal to the virtual printer. It reports, over the first
// 200, the time from the tap to the ticket's last byte on the serial line,
// and the kiosk's resident memory after 100 and after 500 tickets.
func BenchmarkKiosk(b *testing.B) {
	url := startServer(b)
	_, cfg := pairKiosk(b, url)
	openWindow(b, url, cfg.OfficeID)
	port, err := serialport.OpenReopening(serialport.Config{Path: vprinterProcess(b), Baud: 115200, ReadTimeout: 50 * time.Millisecond},
		serialport.ReopenOptions{RetryEvery: 50 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { port.Close() })
	prof, err := escpos.ProfileByName("epson-80")
	if err != nil {
		b.Fatal(err)
	}
	line := &lastWrite{ReadWriter: port}
	drv := printer.New(line, prof, printer.Options{StatusTimeout: time.Second})
	cl, err := cfg.NewClient("talon-kiosk-bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	k := liveKiosk(b, cl, ui.Config{OfficeID: cfg.OfficeID, Printer: drv, IdleTimeout: time.Hour})
	waitFor(b, "results open", func() bool { _, enabled := k.ItemInfo("results"); return enabled })

	b.ResetTimer()
	for range b.N {
		var lat []time.Duration
		var at100 float64
		for i := 1; i <= 500; i++ {
			t0 := time.Now()
			test.Tap(k.Item("results").Button)
			var v ui.View
			waitFor(b, "the ticket printed", func() bool { v = k.View(); return v.Screen == ui.ScreenTicket && !v.Busy })
			if v.Status != "Возьмите талон" {
				b.Fatalf("ticket %d: %+v", i, v)
			}
			if i <= 200 {
				lat = append(lat, line.last().Sub(t0))
			}
			test.Tap(k.DoneButton())
			waitFor(b, "back at the menu", func() bool {
				_, enabled := k.ItemInfo("results")
				return k.View().Screen == ui.ScreenMenu && enabled
			})
			if i == 100 {
				at100 = procmem.Measure(b)
			}
		}
		at500 := procmem.Measure(b)
		slices.Sort(lat)
		ms := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)]) / float64(time.Millisecond) }
		b.ReportMetric(ms(0.50), "tap-to-paper-p50-ms")
		b.ReportMetric(ms(0.99), "tap-to-paper-p99-ms")
		b.ReportMetric(at100, "rss-after-100-MB")
		b.ReportMetric(at500, "rss-after-500-MB")
		b.ReportMetric(at500-at100, "rss-growth-MB")
	}
}
