package printer_test

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/hardware/pseudoterm"
	"github.com/talonqueue/talon/hardware/serialport"
	"github.com/talonqueue/talon/printer"
	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/printer/ticket"
	"github.com/talonqueue/talon/printer/virtual"
)

// office is a virtual printer on a real pseudo-terminal and the driver on
// the other end through the reopening serial port a kiosk uses.
type office struct {
	pair    *pseudoterm.Pair
	vp      *virtual.Printer
	port    *serialport.Reopening
	tickets chan virtual.Ticket
}

func newOffice(t *testing.T) *office {
	t.Helper()
	o := &office{tickets: make(chan virtual.Ticket, 16)}
	var err error
	o.pair, err = pseudoterm.New(filepath.Join(t.TempDir(), "printer"))
	if err != nil {
		t.Fatal(err)
	}
	o.vp, err = virtual.New(virtual.Config{
		PaperDots: escpos.Paper80,
		OutDir:    t.TempDir(),
		OnTicket:  func(tk virtual.Ticket) { o.tickets <- tk },
	})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- o.vp.Serve(o.pair.Device()) }()
	o.port, err = serialport.OpenReopening(
		serialport.Config{Path: o.pair.Path(), Baud: 115200, ReadTimeout: 50 * time.Millisecond},
		serialport.ReopenOptions{RetryEvery: 50 * time.Millisecond},
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		o.port.Close()
		o.pair.Close()
		if err := <-served; err != nil && !errors.Is(err, pseudoterm.ErrClosed) {
			t.Errorf("virtual printer: %v", err)
		}
	})
	return o
}

func (o *office) driver(t *testing.T, profile string) *printer.Printer {
	t.Helper()
	return o.driverFor(profileNamed(t, profile))
}

func (o *office) driverFor(p escpos.Profile) *printer.Printer {
	// Generous for a loaded CI machine; an unplugged printer fails at once
	// with an I/O error, not by this timeout.
	return printer.New(o.port, p, printer.Options{StatusTimeout: 3 * time.Second})
}

func profileNamed(t *testing.T, name string) escpos.Profile {
	t.Helper()
	p, err := escpos.ProfileByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// next waits for the virtual printer to cut a ticket.
func (o *office) next(t *testing.T) virtual.Ticket {
	t.Helper()
	select {
	case tk := <-o.tickets:
		return tk
	case <-time.After(10 * time.Second):
		t.Fatal("no ticket came out of the virtual printer")
	}
	return virtual.Ticket{}
}

// noTicket checks that nothing was cut since the last next.
func (o *office) noTicket(t *testing.T) {
	t.Helper()
	select {
	case tk := <-o.tickets:
		t.Fatalf("unexpected ticket %d: %q", tk.Seq, tk.Text)
	default:
	}
}

// decodeQR reads the codes in the PNG with zbarimg, a decoder independent
// of ours.
func decodeQR(t *testing.T, path string) string {
	t.Helper()
	bin, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg not found: run `make setup` (installs Debian zbar-tools) before the printer tests")
	}
	out, err := exec.Command(bin, "--raw", "-q", path).Output()
	if err != nil {
		t.Fatalf("zbarimg %s: %v", path, err)
	}
	return strings.TrimSpace(string(out))
}

func liveTicket(id string) ticket.Live {
	return ticket.Live{
		Office:  "МФЦ «Мои документы» Центрального района",
		Address: "ул. Ленина, 12",
		Number:  "А015",
		Service: "Получение и замена паспорта гражданина Российской Федерации",
		Issued:  time.Date(2026, 11, 23, 14, 5, 0, 0, time.FixedZone("MSK", 3*3600)),
		Ahead:   4,
		Wait:    12 * time.Minute,
		ID:      id,
		Footer:  "Оцените качество обслуживания",
	}
}

func printLive(t *testing.T, drv *printer.Printer, id string) (printer.Result, error) {
	t.Helper()
	job, err := ticket.BuildLive(drv.Profile(), liveTicket(id))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return drv.Print(ctx, job.Bytes)
}

func TestEndToEnd(t *testing.T) {
	o := newOffice(t)

	t.Run("ticket round-trips", func(t *testing.T) {
		rasterQR := profileNamed(t, "epson-80")
		rasterQR.Name, rasterQR.NativeQR = "epson-80 with raster QR", false
		tests := []struct {
			profile  escpos.Profile
			id       string
			wantText bool // raster profiles send no text to decode
		}{
			{profileNamed(t, "epson-80"), "T-20261123-000015", true},
			{profileNamed(t, "epson-80-cp1251"), "T-20261123-000016", true},
			{rasterQR, "T-20261123-000017", true},
			{profileNamed(t, "raster-80"), "T-20261123-000018", false},
		}
		for _, tt := range tests {
			t.Run(tt.profile.Name, func(t *testing.T) {
				if _, err := printLive(t, o.driverFor(tt.profile), tt.id); err != nil {
					t.Fatal(err)
				}
				tk := o.next(t)
				if got := decodeQR(t, tk.Path); got != tt.id {
					t.Errorf("QR on the paper reads %q, want %q", got, tt.id)
				}
				text := strings.Join(tk.Text, " ")
				if tt.wantText && !strings.Contains(text, liveTicket("").Service) {
					t.Errorf("decoded text lacks the service name:\n%s", strings.Join(tk.Text, "\n"))
				}
			})
		}
	})

	t.Run("CODE128 comes out scannable", func(t *testing.T) {
		bc, err := escpos.Code128("A015-20261123", 80, 2, escpos.HRIBelow)
		if err != nil {
			t.Fatal(err)
		}
		p := profileNamed(t, "epson-58")
		job := append(append(escpos.Init(), bc...), p.CutCommand()...)
		if _, err := o.driverFor(p).Print(context.Background(), job); err != nil {
			t.Fatal(err)
		}
		if got := decodeQR(t, o.next(t).Path); got != "A015-20261123" {
			t.Errorf("barcode reads %q", got)
		}
	})

	t.Run("paper out is reported and nothing printed", func(t *testing.T) {
		o.vp.SetStatus(escpos.Status{Offline: true, PaperOut: true, PaperEndStop: true})
		defer o.vp.SetStatus(escpos.Status{})
		res, err := printLive(t, o.driver(t, "epson-80"), "T-paper-out")
		if !errors.Is(err, printer.ErrNotPrinted) || res.Printed || res.Reason != printer.ReasonPaperOut || res.Sent {
			t.Fatalf("result %+v, err %v; want not printed, paper out, nothing sent", res, err)
		}
		o.noTicket(t)
	})

	t.Run("paper running out mid-ticket is not counted as printed", func(t *testing.T) {
		o.vp.SetPaper(300)
		defer func() { o.vp.SetPaper(-1); o.vp.SetStatus(escpos.Status{}) }()
		res, err := printLive(t, o.driver(t, "epson-80"), "T-mid-ticket")
		if err == nil || res.Printed || res.Reason != printer.ReasonPaperOut || !res.Sent {
			t.Fatalf("result %+v, err %v; want not printed, paper out, sent", res, err)
		}
		o.noTicket(t)
	})

	t.Run("cable pulled and plugged back", func(t *testing.T) {
		drv := o.driver(t, "epson-80")
		if err := o.pair.Unplug(); err != nil {
			t.Fatal(err)
		}
		res, err := printLive(t, drv, "T-unplugged")
		if err == nil || res.Printed || (res.Reason != printer.ReasonIO && res.Reason != printer.ReasonTimeout) {
			t.Fatalf("print while unplugged: %+v, %v", res, err)
		}
		if err := o.pair.Replug(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := o.port.WaitConnected(ctx); err != nil {
			t.Fatalf("port did not come back: %v", err)
		}
		if _, err := printLive(t, drv, "T-after-replug"); err != nil {
			t.Fatalf("print after replug: %v", err)
		}
		if got := decodeQR(t, o.next(t).Path); got != "T-after-replug" {
			t.Errorf("QR after replug reads %q", got)
		}
	})
}
