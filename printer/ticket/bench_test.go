package ticket

import (
	"testing"

	"github.com/talonqueue/talon/printer/escpos"
)

// wireMillis is the time bytes take on a serial line at baud, 8N1: ten
// bits a byte with the start and stop bits.
func wireMillis(bytes, baud int) float64 { return float64(bytes*10) / float64(baud) * 1000 }

// BenchmarkLiveTicket builds the standard ticket and reports what it costs
// on the wire, the number that decides how long a visitor waits at the
// kiosk: native QR against QR sent as a raster image, and a printer that
// gets everything as raster.
func BenchmarkLiveTicket(b *testing.B) {
	epson, err := escpos.ProfileByName("epson-80")
	if err != nil {
		b.Fatal(err)
	}
	rasterQR := epson
	rasterQR.NativeQR = false
	epson58, _ := escpos.ProfileByName("epson-58")
	raster80, _ := escpos.ProfileByName("raster-80")
	raster58, _ := escpos.ProfileByName("raster-58")
	cases := []struct {
		name string
		p    escpos.Profile
	}{
		{"native-qr/80mm", epson},
		{"native-qr/58mm", epson58},
		{"raster-qr/80mm", rasterQR},
		{"all-raster/80mm", raster80},
		{"all-raster/58mm", raster58},
	}
	t := sampleLive()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				job, err := BuildLive(c.p, t)
				if err != nil {
					b.Fatal(err)
				}
				n = len(job.Bytes)
			}
			b.ReportMetric(float64(n), "wire-bytes")
			b.ReportMetric(wireMillis(n, 115200), "wire-ms@115200")
			b.ReportMetric(wireMillis(n, 9600), "wire-ms@9600")
		})
	}
}
