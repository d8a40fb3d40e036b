package terminal

import (
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// Every field of every language is filled: a missing translation fails
// here, not in front of an applicant.
func TestStringsComplete(t *testing.T) {
	for _, l := range []Language{Russian, English} {
		v := reflect.ValueOf(*StringsFor(l))
		for i := range v.NumField() {
			f, name := v.Field(i), v.Type().Field(i).Name
			if f.IsZero() {
				t.Errorf("%s: %s is empty", l, name)
			}
		}
	}
	if got := StringsFor(Russian).Minutes(90 * time.Second); got != "≈ 2 мин" {
		t.Errorf("90 s is %q", got)
	}
	if got := StringsFor(English).Minutes(0); got != "≈ 1 min" {
		t.Errorf("0 s is %q: a wait is never promised as zero", got)
	}
}

// The hall hears of the server's power only on battery, with what the UPS
// knows.
func TestPowerWords(t *testing.T) {
	ru, en := StringsFor(Russian).Power, StringsFor(English).Power
	for _, tc := range []struct {
		p    domain.PowerState
		want string
	}{
		{domain.PowerState{Status: domain.PowerOnBattery, Charge: 80, RuntimeSeconds: 1190}, "Сервер очереди работает от ИБП: заряд 80 %, осталось около 20 мин"},
		{domain.PowerState{Status: domain.PowerOnBattery, Charge: -1, RuntimeSeconds: 600}, "Сервер очереди работает от ИБП: осталось около 10 мин"},
		{domain.PowerState{Status: domain.PowerOnBattery, Charge: -1, RuntimeSeconds: -1}, "Сервер очереди работает от ИБП"},
		{domain.PowerState{Status: domain.PowerLowBattery, Charge: 9, RuntimeSeconds: 90}, "Батарея ИБП разряжена — сервер очереди выключается: заряд 9 %"},
		{domain.PowerState{Status: domain.PowerOnline, Charge: 100, RuntimeSeconds: 3600}, ""},
		{domain.PowerState{Status: domain.PowerUnknown, Charge: -1, RuntimeSeconds: -1}, ""},
	} {
		if got := ru(tc.p); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
	if got := en(domain.PowerState{Status: domain.PowerOnBattery, Charge: 80, RuntimeSeconds: 1200}); got != "The queue server runs on its UPS battery: charge 80%, about 20 min left" {
		t.Errorf("English: %q", got)
	}
}

func TestBanner(t *testing.T) {
	test.NewTempApp(t)
	b := NewBanner(Russian)
	if b.Live() || !strings.Contains(b.Text(), "Подключение") {
		t.Errorf("at start: live %v, %q", b.Live(), b.Text())
	}
	b.SetState(client.ConnState{Status: client.Online})
	if !b.Live() || b.Text() != "" || b.Visible() {
		t.Errorf("online: live %v, %q, visible %v", b.Live(), b.Text(), b.Visible())
	}
	b.SetState(client.ConnState{Status: client.Connecting})
	if b.Live() || !strings.Contains(b.Text(), "переподключаемся") {
		t.Errorf("dropped: %q", b.Text())
	}
	since := time.Date(2026, 11, 23, 10, 42, 0, 0, time.Local)
	b.SetState(client.ConnState{Status: client.Offline, Since: since, Err: domain.Errorf(domain.CodeUnavailable, "нет связи с сервером очереди")})
	if b.Live() || b.Text() != "Нет связи с сервером — повторяем…\nНет связи с 10:42" {
		t.Errorf("offline: %q", b.Text())
	}
	b.SetLanguage(English)
	if b.Text() != "No connection to the server — retrying…\nNo connection since 10:42" {
		t.Errorf("in English: %q", b.Text())
	}
	b.SetLanguage(Russian)
	b.SetState(client.ConnState{Status: client.Offline, Err: domain.Errorf(domain.CodeUnauthorized, "ключ устройства отозван")})
	if !strings.Contains(b.Text(), "ключ устройства отозван") {
		t.Errorf("a revoked device must say why: %q", b.Text())
	}
	b.SetState(client.ConnState{Status: client.Offline, Err: errors.Join(&client.CertificateMismatchError{})})
	if !strings.Contains(b.Text(), "отпечаток сертификата") {
		t.Errorf("a wrong certificate must say so: %q", b.Text())
	}
	b.SetState(client.ConnState{Status: client.Online})
	if !b.Live() || b.Visible() {
		t.Error("back online: the banner must go")
	}
}

func TestTheme(t *testing.T) {
	normal, large := NewTheme(false), NewTheme(true)
	if large.Size(theme.SizeNameText) <= normal.Size(theme.SizeNameText) {
		t.Error("large text is not larger")
	}
	if normal.Size(theme.SizeNameText) <= theme.DefaultTheme().Size(theme.SizeNameText) {
		t.Error("a kiosk's normal text must be larger than a desktop's")
	}
	if large.Color(theme.ColorNameBackground, theme.VariantLight) != black || large.Color(theme.ColorNameForeground, theme.VariantLight) != white {
		t.Error("large text is white on black")
	}
	// The normal theme is light even where the system prefers dark.
	if normal.Color(theme.ColorNameBackground, theme.VariantDark) != theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight) {
		t.Error("the normal theme follows the system into dark")
	}
}

func TestScreenshot(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewWindow(widget.NewLabel("Талон А015"))
	defer w.Close()
	w.Resize(fyne.NewSize(300, 100))
	path := filepath.Join(t.TempDir(), "shot.png")
	if err := Screenshot(w.Canvas(), path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 100 {
		t.Errorf("screenshot is %v", b)
	}
}
