package ticket

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/talonqueue/talon/printer/escpos"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var msk = time.FixedZone("MSK", 3*3600)

// SampleLive is the standard ticket of tests and benchmarks.
func sampleLive() Live {
	return Live{
		Office:  "МФЦ «Мои документы» Центрального района",
		Address: "ул. Ленина, 12",
		Number:  "А015",
		Service: "Получение и замена паспорта гражданина Российской Федерации",
		Issued:  time.Date(2026, 11, 23, 14, 5, 0, 0, msk),
		Ahead:   4,
		Wait:    12 * time.Minute,
		Note:    "Подготовьте оригиналы документов и квитанцию об оплате пошлины.",
		ID:      "T-20261123-000015",
		Footer:  "Оцените качество обслуживания на табло",
	}
}

func sampleAppointment() Appointment {
	return Appointment{
		Office:  "МФЦ «Мои документы» Центрального района",
		Address: "ул. Ленина, 12",
		Code:    "4821-17",
		At:      time.Date(2026, 11, 25, 10, 30, 0, 0, msk),
		Service: "Регистрация по месту жительства",
		Note:    "Приходите за 10 минут до назначенного времени.",
		Footer:  "Спасибо, что выбрали МФЦ",
	}
}

func profile(t *testing.T, name string) escpos.Profile {
	t.Helper()
	p, err := escpos.ProfileByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./printer/ticket -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Errorf("%s: %d bytes, golden %d; first difference at byte %d:\n got % X\nwant % X",
			name, len(got), len(want), i, got[i:min(i+16, len(got))], want[i:min(i+16, len(want))])
	}
}

func TestLiveGolden(t *testing.T) {
	for _, name := range []string{"epson-80", "epson-58", "epson-80-cp1251", "star-80", "raster-58", "raster-80"} {
		t.Run(name, func(t *testing.T) {
			job, err := BuildLive(profile(t, name), sampleLive())
			if err != nil {
				t.Fatal(err)
			}
			if len(job.Replaced) != 0 {
				t.Errorf("replaced %q in a ticket every profile can print", job.Replaced)
			}
			golden(t, "live-"+name+".bin", job.Bytes)
		})
	}
}

func TestLiveRasterQRGolden(t *testing.T) {
	p := profile(t, "epson-80")
	p.NativeQR = false
	job, err := BuildLive(p, sampleLive())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(job.Bytes, []byte{0x1D, 0x28, 0x6B}) {
		t.Error("raster-QR ticket contains GS ( k")
	}
	golden(t, "live-epson-80-raster-qr.bin", job.Bytes)
}

func TestAppointmentGolden(t *testing.T) {
	for _, name := range []string{"epson-80", "raster-58"} {
		t.Run(name, func(t *testing.T) {
			job, err := BuildAppointment(profile(t, name), sampleAppointment())
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "appointment-"+name+".bin", job.Bytes)
		})
	}
}

// TestLiveNativeContent checks the parts of the native ticket by their
// commands, so a golden file rewritten by mistake is still caught.
func TestLiveNativeContent(t *testing.T) {
	p := profile(t, "epson-80")
	job, err := BuildLive(p, sampleLive())
	if err != nil {
		t.Fatal(err)
	}
	enc := func(s string) []byte {
		b, _ := p.Encode(s)
		return b
	}
	qr, _ := escpos.QR("T-20261123-000015", 6, escpos.QRLevelM)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	want := []struct {
		name string
		seq  []byte
	}{
		{"init and CP866", []byte{0x1B, 0x40, 0x1B, 0x74, 17}},
		{"big number", cat(escpos.CharSize(4, 4), escpos.Bold(true), enc("А015"), []byte{'\n'})},
		// 48 columns: the service name wraps after "гражданина".
		{"service wrapped", cat(enc("Получение и замена паспорта гражданина"), []byte{'\n'}, enc("Российской Федерации"), []byte{'\n'})},
		{"date", cat(enc("23 ноября 14:05"), []byte{'\n'})},
		{"people ahead", cat(enc("Перед вами: 4 человека"), []byte{'\n'})},
		{"wait", cat(enc("Ожидаемое время: ~12 мин"), []byte{'\n'})},
		{"call", cat(enc("Ожидайте вызова на табло"), []byte{'\n'})},
		{"qr", qr},
		{"cut", p.CutCommand()},
	}
	at := 0
	for _, w := range want {
		i := bytes.Index(job.Bytes[at:], w.seq)
		if i < 0 {
			t.Fatalf("%s: % X not found after byte %d", w.name, w.seq, at)
		}
		at += i + len(w.seq)
	}
	if at != len(job.Bytes) {
		t.Errorf("%d bytes after the cut", len(job.Bytes)-at)
	}
	if len(job.Bytes) >= 1024 {
		t.Errorf("native ticket is %d bytes, the goal is under 1 KB", len(job.Bytes))
	}
}

func TestRasterProfilesSendNoText(t *testing.T) {
	job, err := BuildLive(profile(t, "raster-80"), sampleLive())
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]byte{{0x1B, 0x74}, {0x1D, 0x21}, {0x1D, 0x28, 0x6B}} {
		if bytes.Contains(job.Bytes, cmd) {
			t.Errorf("raster ticket contains % X", cmd)
		}
	}
	if !bytes.Contains(job.Bytes, []byte{0x1D, 0x76, 0x30, 0}) {
		t.Error("raster ticket has no GS v 0")
	}
}

func TestReplacedReported(t *testing.T) {
	tk := sampleLive()
	tk.Note = "Пошлина 300 € 😀"
	for _, name := range []string{"epson-80", "raster-80"} {
		job, err := BuildLive(profile(t, name), tk)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(job.Replaced, '😀') {
			t.Errorf("%s: replaced %q, want the emoji reported", name, job.Replaced)
		}
	}
	job, _ := BuildLive(profile(t, "epson-80"), tk)
	if !bytes.Contains(job.Bytes, []byte("300 ? ?")) {
		t.Error("unencodable characters not replaced by '?'")
	}
}

func TestIncomplete(t *testing.T) {
	p := profile(t, "epson-80")
	if _, err := BuildLive(p, Live{Number: "А1"}); !errors.Is(err, ErrIncomplete) {
		t.Errorf("live ticket without id: %v", err)
	}
	if _, err := BuildAppointment(p, Appointment{Code: "1"}); !errors.Is(err, ErrIncomplete) {
		t.Errorf("appointment without time: %v", err)
	}
	if _, err := BuildLive(escpos.Profile{}, sampleLive()); err == nil {
		t.Error("profile without paper width accepted")
	}
}

func TestBigNumberFits(t *testing.T) {
	tests := []struct {
		profile string
		number  string
		want    int
	}{
		{"epson-80", "А015", 4},
		{"epson-58", "А015", 4},
		{"epson-58", "ВП-123456", 3},
		{"epson-58", "ВП-12345678", 2},
		{"epson-58", "ОЧЕНЬ-ДЛИННЫЙ-НОМЕР", 1},
	}
	for _, tt := range tests {
		if got := bigStyle(profile(t, tt.profile), tt.number).Width; got != tt.want {
			t.Errorf("%s %q: width %d, want %d", tt.profile, tt.number, got, tt.want)
		}
	}
}
