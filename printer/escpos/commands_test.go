package escpos

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"strings"
	"testing"
)

func assertBytes(t *testing.T, name string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\n got % X\nwant % X", name, got, want)
	}
}

func TestCommandBytes(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"init", Init(), []byte{0x1B, 0x40}},
		{"code page ESC t 17", SelectCodePage(SelectEscT, 17), []byte{0x1B, 0x74, 17}},
		{"code page ESC t 46", SelectCodePage(SelectEscT, 46), []byte{0x1B, 0x74, 46}},
		{"code page Star ESC GS t 10", SelectCodePage(SelectStarEscGsT, 10), []byte{0x1B, 0x1D, 0x74, 10}},
		{"align left", SetAlign(Left), []byte{0x1B, 0x61, 0}},
		{"align center", SetAlign(Center), []byte{0x1B, 0x61, 1}},
		{"align right", SetAlign(Right), []byte{0x1B, 0x61, 2}},
		{"align unknown falls back to left", SetAlign(Align(9)), []byte{0x1B, 0x61, 0}},
		{"bold on", Bold(true), []byte{0x1B, 0x45, 1}},
		{"bold off", Bold(false), []byte{0x1B, 0x45, 0}},
		{"size 1x1", CharSize(1, 1), []byte{0x1D, 0x21, 0x00}},
		{"size 4x4", CharSize(4, 4), []byte{0x1D, 0x21, 0x33}},
		{"size 2 wide 3 high", CharSize(2, 3), []byte{0x1D, 0x21, 0x12}},
		{"size 8x8", CharSize(8, 8), []byte{0x1D, 0x21, 0x77}},
		{"size clamped", CharSize(0, 99), []byte{0x1D, 0x21, 0x07}},
		{"line feed", LineFeed(), []byte{0x0A}},
		{"feed 3", Feed(3), []byte{0x1B, 0x64, 3}},
		{"feed clamped", Feed(1000), []byte{0x1B, 0x64, 255}},
		{"full cut", Cut(FullCut), []byte{0x1D, 0x56, 0}},
		{"partial cut", Cut(PartialCut), []byte{0x1D, 0x56, 1}},
		{"feed and full cut", FeedAndCut(FullCut, 72), []byte{0x1D, 0x56, 65, 72}},
		{"feed and partial cut", FeedAndCut(PartialCut, 72), []byte{0x1D, 0x56, 66, 72}},
		{"status 1", StatusQuery(StatusPrinter), []byte{0x10, 0x04, 1}},
		{"status 4", StatusQuery(StatusPaper), []byte{0x10, 0x04, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertBytes(t, tt.name, tt.got, tt.want) })
	}
}

func TestCode128(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		height  int
		module  int
		hri     HRI
		want    []byte
		wantErr bool
	}{
		{
			name: "ticket id", data: "A015", height: 80, module: 2, hri: HRIBelow,
			want: []byte{0x1D, 0x68, 80, 0x1D, 0x77, 2, 0x1D, 0x48, 2, 0x1D, 0x6B, 73, 6, '{', 'B', 'A', '0', '1', '5'},
		},
		{
			name: "module width clamped to 2..6", data: "X", height: 0, module: 9, hri: HRINone,
			want: []byte{0x1D, 0x68, 1, 0x1D, 0x77, 6, 0x1D, 0x48, 0, 0x1D, 0x6B, 73, 3, '{', 'B', 'X'},
		},
		{name: "empty", data: "", wantErr: true},
		{name: "cyrillic is not set B", data: "А015", wantErr: true},
		{name: "control byte", data: "A\x1B@", wantErr: true},
		{name: "too long", data: strings.Repeat("9", 254), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Code128(tt.data, tt.height, tt.module, tt.hri)
			if tt.wantErr {
				if !errors.Is(err, ErrBarcodeData) {
					t.Fatalf("err = %v, want ErrBarcodeData", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertBytes(t, tt.name, got, tt.want)
		})
	}
}

func TestQR(t *testing.T) {
	got, err := QR("T-1", 6, QRLevelM)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0x1D, 0x28, 0x6B, 4, 0, 0x31, 65, 0x32, 0x00, // model 2
		0x1D, 0x28, 0x6B, 3, 0, 0x31, 67, 6, // module 6 dots
		0x1D, 0x28, 0x6B, 3, 0, 0x31, 69, 49, // level M
		0x1D, 0x28, 0x6B, 6, 0, 0x31, 80, 0x30, 'T', '-', '1', // store
		0x1D, 0x28, 0x6B, 3, 0, 0x31, 81, 0x30, // print
	}
	assertBytes(t, "QR", got, want)

	long, err := QR(strings.Repeat("x", 300), 40, QRLevel(0))
	if err != nil {
		t.Fatal(err)
	}
	// 300 data bytes + m + cn + fn = 303 = 0x012F: pL pH must carry the high byte.
	store := []byte{0x1D, 0x28, 0x6B, 0x2F, 0x01, 0x31, 80, 0x30}
	if !bytes.Contains(long, store) {
		t.Errorf("long QR store header % X not found", store)
	}
	if !bytes.Contains(long, []byte{0x31, 67, 16}) || !bytes.Contains(long, []byte{0x31, 69, 49}) {
		t.Errorf("module size not clamped to 16 or level not defaulted to M: % X", long[:30])
	}
	for _, bad := range []string{"", strings.Repeat("x", 3000)} {
		if _, err := QR(bad, 4, QRLevelL); !errors.Is(err, ErrBarcodeData) {
			t.Errorf("QR(%d bytes) err = %v, want ErrBarcodeData", len(bad), err)
		}
	}
}

func TestRaster(t *testing.T) {
	// 10×2 image: first row black from x=0..8, second row only x=9.
	img := image.NewGray(image.Rect(0, 0, 10, 2))
	for x := 0; x < 10; x++ {
		img.SetGray(x, 0, color.Gray{Y: 255})
		img.SetGray(x, 1, color.Gray{Y: 255})
	}
	for x := 0; x < 9; x++ {
		img.SetGray(x, 0, color.Gray{Y: 0})
	}
	img.SetGray(9, 1, color.Gray{Y: 100})
	m := ToMono(img, Threshold)
	got, err := Raster(m)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x1D, 0x76, 0x30, 0, 2, 0, 2, 0, 0xFF, 0x80, 0x00, 0x40}
	assertBytes(t, "raster", got, want)
	if !m.Black(0, 0) || m.Black(9, 0) || !m.Black(9, 1) || m.Black(-1, 0) || m.Black(10, 1) {
		t.Error("Black() disagrees with the bits")
	}
	short := &Mono{Width: 64, Height: 64, BytesPerRow: 1, Bits: []byte{0xFF}}
	if !short.Black(0, 0) || short.Black(9, 0) || short.Black(0, 5) {
		t.Error("Black() on a malformed Mono reads past its bits")
	}
}

func TestRasterBands(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 8, 300))
	got, err := Raster(ToMono(img, Threshold))
	if err != nil {
		t.Fatal(err)
	}
	assertBytes(t, "first band", got[:8], []byte{0x1D, 0x76, 0x30, 0, 1, 0, 0, 1})
	second := got[8+256:]
	assertBytes(t, "second band", second[:8], []byte{0x1D, 0x76, 0x30, 0, 1, 0, 44, 0})
	if len(second) != 8+44 {
		t.Errorf("second band is %d bytes, want 52", len(second))
	}
	if _, err := Raster(&Mono{Width: 8, Height: 2, BytesPerRow: 1, Bits: []byte{1}}); err == nil {
		t.Error("malformed Mono accepted")
	}
}

func TestToMonoTransparentIsPaper(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	img.Set(1, 0, color.NRGBA{A: 255})
	m := ToMono(img, Threshold)
	if m.Black(0, 0) || !m.Black(1, 0) {
		t.Errorf("transparent/black dots = %v/%v, want false/true", m.Black(0, 0), m.Black(1, 0))
	}
}

func TestDitherKeepsGreyLevel(t *testing.T) {
	tests := []struct {
		grey      uint8
		wantBlack float64
	}{{0, 1}, {255, 0}, {128, 0.5}, {64, 0.75}}
	for _, tt := range tests {
		img := image.NewGray(image.Rect(0, 0, 64, 64))
		for i := range img.Pix {
			img.Pix[i] = tt.grey
		}
		m := ToMono(img, Dither)
		black := 0
		for y := 0; y < 64; y++ {
			for x := 0; x < 64; x++ {
				if m.Black(x, y) {
					black++
				}
			}
		}
		got := float64(black) / 4096
		if got < tt.wantBlack-0.05 || got > tt.wantBlack+0.05 {
			t.Errorf("grey %d dithers to %.2f black, want %.2f", tt.grey, got, tt.wantBlack)
		}
	}
}
