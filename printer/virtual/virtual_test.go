package virtual

import (
	"bytes"
	"image"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/printer/ticket"
)

// stream is a one-way ESC/POS stream with the printer's answers captured.
type stream struct {
	io.Reader
	answers bytes.Buffer
}

func (s *stream) Write(b []byte) (int, error) { return s.answers.Write(b) }

func newPrinter(t *testing.T, dots int) *Printer {
	t.Helper()
	v, err := New(Config{PaperDots: dots})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// feed runs data through v and returns the status answers.
func feed(t *testing.T, v *Printer, data ...[]byte) []byte {
	t.Helper()
	s := &stream{Reader: bytes.NewReader(bytes.Join(data, nil))}
	if err := v.Serve(s); err != nil {
		t.Fatal(err)
	}
	return s.answers.Bytes()
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func inkBounds(img *image.Gray) image.Rectangle {
	var r image.Rectangle
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			if img.GrayAt(x, y).Y < 128 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

func TestDecodesCodePages(t *testing.T) {
	word := "Паспорт №5"
	cp866, _ := escpos.ProfileByName("epson-80")
	cp1251, _ := escpos.ProfileByName("epson-80-cp1251")
	enc866, _ := cp866.Encode(word)
	enc1251, _ := cp1251.Encode(word)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"ESC t 17 CP866", cat(escpos.SelectCodePage(escpos.SelectEscT, 17), enc866), word},
		{"ESC t 46 CP1251", cat(escpos.SelectCodePage(escpos.SelectEscT, 46), enc1251), word},
		{"Star ESC GS t 10 CP866", cat(escpos.SelectCodePage(escpos.SelectStarEscGsT, 10), enc866), word},
		{"Star ESC GS t 34 CP1251", cat(escpos.SelectCodePage(escpos.SelectStarEscGsT, 34), enc1251), word},
		{"ESC @ resets to CP437", cat(escpos.SelectCodePage(escpos.SelectEscT, 17), escpos.Init(), []byte{0x8F}), "Å"},
		{"unknown table keeps the last", cat(escpos.SelectCodePage(escpos.SelectEscT, 17), escpos.SelectCodePage(escpos.SelectEscT, 99), enc866), word},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newPrinter(t, escpos.Paper80)
			feed(t, v, tt.data, []byte{'\n'}, escpos.Cut(escpos.FullCut))
			got := v.Tickets()
			if len(got) != 1 || !slices.Equal(got[0].Text, []string{tt.want}) {
				t.Fatalf("tickets %+v, want one with %q", got, tt.want)
			}
		})
	}
}

func TestStatusAnswers(t *testing.T) {
	tests := []struct {
		name  string
		state escpos.Status
		want  []byte
	}{
		{"ready", escpos.Status{}, []byte{0x12, 0x12, 0x12, 0x12}},
		{"paper out", escpos.Status{PaperOut: true, PaperEndStop: true, Offline: true}, []byte{0x1A, 0x32, 0x12, 0x72}},
		{"cover open", escpos.Status{CoverOpen: true, Offline: true}, []byte{0x1A, 0x16, 0x12, 0x12}},
		{"near end", escpos.Status{PaperNearEnd: true}, []byte{0x12, 0x12, 0x12, 0x1E}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newPrinter(t, escpos.Paper58)
			v.SetStatus(tt.state)
			var q []byte
			for _, n := range escpos.StatusKinds {
				q = append(q, escpos.StatusQuery(n)...)
			}
			// An out-of-range query gets no answer, as on Epson printers.
			got := feed(t, v, q, []byte{0x10, 0x04, 9})
			if !bytes.Equal(got, tt.want) {
				t.Errorf("answers % X, want % X", got, tt.want)
			}
		})
	}
}

func TestStylesAndAlignment(t *testing.T) {
	v := newPrinter(t, escpos.Paper80)
	feed(t, v,
		escpos.SetAlign(escpos.Right), []byte("AB\n"),
		escpos.SetAlign(escpos.Center), escpos.CharSize(4, 4), []byte("7\n"),
		escpos.Cut(escpos.PartialCut))
	tk := v.Tickets()
	if len(tk) != 1 {
		t.Fatalf("%d tickets", len(tk))
	}
	img := tk[0].Image
	// Row 1: right-aligned "AB" ends at the right edge of the print area.
	top := inkBounds(img.SubImage(image.Rect(0, margin, img.Rect.Dx(), margin+30)).(*image.Gray))
	if top.Min.X < margin+576-24 || top.Max.X > margin+576 {
		t.Errorf("right-aligned text at %v", top)
	}
	// Row 2: a 4× digit is 48 dots wide and 96 high, centred.
	big := inkBounds(img.SubImage(image.Rect(0, margin+30, img.Rect.Dx(), margin+30+96)).(*image.Gray))
	if big.Dy() < 60 || big.Min.X < margin+288-24 || big.Max.X > margin+288+24 {
		t.Errorf("4× centred digit at %v", big)
	}
}

func TestBarcodeAndQRPayloads(t *testing.T) {
	v := newPrinter(t, escpos.Paper80)
	bc, _ := escpos.Code128("A015", 60, 2, escpos.HRIBelow)
	qr, _ := escpos.QR("T-42", 6, escpos.QRLevelM)
	feed(t, v, bc, qr, escpos.FeedAndCut(escpos.PartialCut, 72))
	tk := v.Tickets()
	if len(tk) != 1 || !slices.Equal(tk[0].Codes, []string{"A015", "T-42"}) {
		t.Fatalf("tickets %+v", tk)
	}
	if !slices.Contains(tk[0].Text, "A015") {
		t.Errorf("human-readable text missing: %q", tk[0].Text)
	}
}

func TestToleratesUnknownCommands(t *testing.T) {
	v := newPrinter(t, escpos.Paper58)
	data := cat(
		[]byte{0x1B, 0x70, 0, 25, 250},             // ESC p: drawer kick, 3 args
		[]byte{0x1B, 0x44, 8, 16, 0},               // ESC D: tab stops
		[]byte{0x1D, 0x28, 0x4C, 2, 0, 0x30, 0x45}, // GS ( L with 2 bytes
		[]byte{0x1B, 0x2A, 0, 2, 0, 0xFF, 0xFF},    // ESC *: 8-dot image, 2 columns
		[]byte{0x1C, 0x70, 1, 0},                   // FS p: NV image
		[]byte{0x1B, 0x7E},                         // ESC ~: unknown
		[]byte("OK\n"),
		escpos.Cut(escpos.FullCut),
	)
	feed(t, v, data)
	tk := v.Tickets()
	if len(tk) != 1 || !slices.Equal(tk[0].Text, []string{"OK"}) {
		t.Fatalf("tickets %+v, want one reading OK", tk)
	}
}

func TestRasterImage(t *testing.T) {
	v := newPrinter(t, escpos.Paper58)
	// A 16×2 block, black on the left byte of each row.
	feed(t, v, []byte{0x1D, 0x76, 0x30, 0, 2, 0, 2, 0, 0xFF, 0x00, 0xFF, 0x00}, escpos.Cut(escpos.FullCut))
	tk := v.Tickets()
	if len(tk) != 1 {
		t.Fatalf("%d tickets", len(tk))
	}
	if got, want := inkBounds(tk[0].Image), image.Rect(margin, margin, margin+8, margin+2); got != want {
		t.Errorf("raster ink at %v, want %v", got, want)
	}
}

func TestLostTickets(t *testing.T) {
	p, _ := escpos.ProfileByName("epson-58")
	job, err := ticket.BuildLive(p, ticket.Live{Number: "А1", ID: "T-1", Service: "Паспорт", Issued: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("paper out", func(t *testing.T) {
		v := newPrinter(t, escpos.Paper58)
		v.SetStatus(escpos.Status{PaperOut: true})
		feed(t, v, job.Bytes)
		if n := len(v.Tickets()); n != 0 {
			t.Errorf("%d tickets printed without paper", n)
		}
	})
	t.Run("cover open", func(t *testing.T) {
		v := newPrinter(t, escpos.Paper58)
		v.SetStatus(escpos.Status{CoverOpen: true})
		feed(t, v, job.Bytes)
		if n := len(v.Tickets()); n != 0 {
			t.Errorf("%d tickets printed with the cover open", n)
		}
	})
	t.Run("paper runs out mid-ticket", func(t *testing.T) {
		v := newPrinter(t, escpos.Paper58)
		v.SetPaper(200)
		got := feed(t, v, job.Bytes, escpos.StatusQuery(escpos.StatusPaper))
		if n := len(v.Tickets()); n != 0 {
			t.Errorf("%d tickets printed on 200 dots of paper", n)
		}
		if !bytes.Equal(got, []byte{0x72}) {
			t.Errorf("paper status after the run-out % X, want 72", got)
		}
	})
	t.Run("enough paper", func(t *testing.T) {
		v := newPrinter(t, escpos.Paper58)
		v.SetPaper(5000)
		feed(t, v, job.Bytes)
		if n := len(v.Tickets()); n != 1 {
			t.Errorf("%d tickets, want 1", n)
		}
	})
}

func TestConfigRejected(t *testing.T) {
	if _, err := New(Config{PaperDots: 500}); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("paper width 500: %v", err)
	}
}

// FuzzInterpret feeds arbitrary streams: the interpreter must neither
// panic nor hang, and must answer status queries it understood.
func FuzzInterpret(f *testing.F) {
	for _, name := range []string{"epson-58", "raster-58"} {
		p, _ := escpos.ProfileByName(name)
		job, err := ticket.BuildLive(p, ticket.Live{Number: "А1", ID: "T-1", Service: "Паспорт", Note: "Ёж", Ahead: 2})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(job.Bytes)
	}
	f.Add([]byte{0x10, 0x04, 1, 0x10, 0x04, 4})
	f.Add([]byte{0x1D, 0x76, 0x30, 0, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3})
	f.Add([]byte{0x1D, 0x28, 0x6B, 0xFF, 0xFF, 0x31, 0x50, 0x30})
	f.Add([]byte{0x1D, 0x6B, 73, 5, '{', 'C', 0xFF, 0x00, 0x01, 0x1D, 0x56, 0})
	f.Add([]byte{0x1D, 0x38, 0x4C, 0xFF, 0xFF, 0xFF, 0xFF})
	f.Add(bytes.Repeat([]byte{0x1D, 0x21, 0x77, 'W'}, 30))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := New(Config{PaperDots: escpos.Paper58})
		if err != nil {
			t.Fatal(err)
		}
		s := &stream{Reader: bytes.NewReader(data)}
		if err := v.Serve(s); err != nil {
			t.Fatalf("Serve: %v", err)
		}
		for _, b := range s.answers.Bytes() {
			if b&0x93 != 0x12 && b != 0 {
				t.Fatalf("answer %#02x is neither a DLE EOT nor a GS r answer", b)
			}
		}
	})
}
