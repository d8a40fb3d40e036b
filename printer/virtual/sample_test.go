package virtual

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/printer/ticket"
)

var update = flag.Bool("update", false, "rewrite the sample PNGs in printer/testdata")

// TestSamplePNGs renders the standard ticket and slip and compares them dot
// for dot with the samples the README shows, so the samples stay true.
func TestSamplePNGs(t *testing.T) {
	msk := time.FixedZone("MSK", 3*3600)
	office, address := "МФЦ «Мои документы» Центрального района", "ул. Ленина, 12"
	p, err := escpos.ProfileByName("epson-80")
	if err != nil {
		t.Fatal(err)
	}
	live, err := ticket.BuildLive(p, ticket.Live{
		Office: office, Address: address, Number: "А015",
		Service: "Получение и замена паспорта гражданина Российской Федерации",
		Issued:  time.Date(2026, 11, 23, 14, 5, 0, 0, msk),
		Ahead:   4, Wait: 12 * time.Minute,
		Note:   "Подготовьте оригиналы документов и квитанцию об оплате пошлины.",
		ID:     "T-20261123-000015",
		Footer: "Оцените качество обслуживания на табло",
	})
	if err != nil {
		t.Fatal(err)
	}
	slip, err := ticket.BuildAppointment(p, ticket.Appointment{
		Office: office, Address: address, Code: "4821-17",
		At:      time.Date(2026, 11, 25, 10, 30, 0, 0, msk),
		Service: "Регистрация по месту жительства",
		Note:    "Приходите за 10 минут до назначенного времени.",
		Footer:  "Спасибо, что выбрали МФЦ",
	})
	if err != nil {
		t.Fatal(err)
	}
	v := newPrinter(t, escpos.Paper80)
	feed(t, v, live.Bytes, slip.Bytes)
	tk := v.Tickets()
	if len(tk) != 2 {
		t.Fatalf("%d tickets, want 2", len(tk))
	}
	for i, name := range []string{"live-ticket-epson-80.png", "appointment-epson-80.png"} {
		path := filepath.Join("..", "testdata", name)
		if *update {
			var buf bytes.Buffer
			if err := png.Encode(&buf, tk[i].Image); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !sameImage(tk[i].Image, want) {
			t.Errorf("%s differs from the rendered ticket (run go test ./printer/virtual -update if the change is meant)", name)
		}
	}
}

func sameImage(got *image.Gray, want image.Image) bool {
	if got.Bounds() != want.Bounds() {
		return false
	}
	b := got.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, _, _, _ := want.At(x, y).RGBA()
			if uint8(r>>8) != got.GrayAt(x, y).Y {
				return false
			}
		}
	}
	return true
}
