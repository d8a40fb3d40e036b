package escpos

import (
	"slices"
	"strings"
	"testing"
)

func TestProfileByName(t *testing.T) {
	for _, p := range Profiles() {
		got, err := ProfileByName(p.Name)
		if err != nil || got.Name != p.Name {
			t.Errorf("ProfileByName(%q) = %q, %v", p.Name, got.Name, err)
		}
		if p.PaperDots != Paper58 && p.PaperDots != Paper80 {
			t.Errorf("%s: paper %d dots", p.Name, p.PaperDots)
		}
		if p.NativeCyrillic && p.CodePage.Charmap == nil {
			t.Errorf("%s: native Cyrillic without a code page", p.Name)
		}
	}
	_, err := ProfileByName("tm-t1000")
	if err == nil {
		t.Fatal("unknown profile accepted")
	}
	for _, name := range []string{"tm-t1000", "epson-80", "star-80", "raster-58"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %q", err, name)
		}
	}
}

func TestProfileCommands(t *testing.T) {
	tests := []struct {
		profile  string
		codePage []byte
		cut      []byte
		columns  [2]int // at width 1 and 2
	}{
		{"epson-80", []byte{0x1B, 0x74, 17}, []byte{0x1D, 0x56, 66, 72}, [2]int{48, 24}},
		{"epson-58", []byte{0x1B, 0x74, 17}, []byte{0x1D, 0x56, 66, 72}, [2]int{32, 16}},
		{"epson-80-cp1251", []byte{0x1B, 0x74, 46}, []byte{0x1D, 0x56, 66, 72}, [2]int{48, 24}},
		{"star-80", []byte{0x1B, 0x74, 17}, []byte{0x1B, 0x64, 4, 0x1D, 0x56, 1}, [2]int{48, 24}},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			p, err := ProfileByName(tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			assertBytes(t, "code page", p.SelectCodePage(), tt.codePage)
			assertBytes(t, "cut", p.CutCommand(), tt.cut)
			if got := [2]int{p.Columns(1), p.Columns(2)}; got != tt.columns {
				t.Errorf("columns = %v, want %v", got, tt.columns)
			}
		})
	}
	star := Profile{CodePage: CodePage{Number: 10, Command: SelectStarEscGsT}, Cut: CutFeedFull}
	assertBytes(t, "star native code page", star.SelectCodePage(), []byte{0x1B, 0x1D, 0x74, 10})
	assertBytes(t, "full feed cut", star.CutCommand(), []byte{0x1D, 0x56, 65, 72})
}

func TestEncode(t *testing.T) {
	cp866, _ := ProfileByName("epson-80")
	cp1251, _ := ProfileByName("epson-80-cp1251")
	raster, _ := ProfileByName("raster-80")
	tests := []struct {
		name     string
		p        Profile
		in       string
		want     []byte
		replaced []rune
	}{
		{"cp866 cyrillic", cp866, "Ёж №1", []byte{0xF0, 0xA6, 0x20, 0xFC, '1'}, nil},
		{"cp1251 cyrillic", cp1251, "Ёж №1", []byte{0xA8, 0xE6, 0x20, 0xB9, '1'}, nil},
		{"cp866 folds typography", cp866, "«Да» — …", []byte{'"', 0x84, 0xA0, '"', ' ', '-', ' ', '.', '.', '.'}, nil},
		{"cp1251 keeps guillemets", cp1251, "«»", []byte{0xAB, 0xBB}, nil},
		{"unencodable replaced visibly", cp866, "a€b😀", []byte{'a', '?', 'b', '?'}, []rune{'€', '😀'}},
		{"control bytes never pass", cp866, "a\x1B@", []byte{'a', '?', '@'}, []rune{0x1B}},
		{"no code page is ASCII", raster, "Aя", []byte{'A', '?'}, []rune{'я'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, replaced := tt.p.Encode(tt.in)
			assertBytes(t, tt.name, got, tt.want)
			if !slices.Equal(replaced, tt.replaced) {
				t.Errorf("replaced = %q, want %q", replaced, tt.replaced)
			}
		})
	}
}
