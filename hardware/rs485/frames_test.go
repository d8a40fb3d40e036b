package rs485

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestBuildersGoldenBytes(t *testing.T) {
	tests := []struct {
		name  string
		build func() ([]byte, error)
		want  []byte
	}{
		{"board text", func() ([]byte, error) { return BoardText(0x05, "A015") }, []byte{0x01, 0x05, 'A', '0', '1', '5', 0x07}},
		{"board clear", func() ([]byte, error) { return BoardClear(0x10, 4) }, []byte{0x01, 0x10, ' ', ' ', ' ', ' ', 0x07}},
		{"board empty text", func() ([]byte, error) { return BoardText(0x02, "") }, []byte{0x01, 0x02, 0x07}},
		{"lamp off", func() ([]byte, error) { return PadLamp(0x03, LampOff, false) }, []byte{0x01, 0x03, 0x30, 0x07}},
		{"lamp red", func() ([]byte, error) { return PadLamp(0x03, LampRed, false) }, []byte{0x01, 0x03, 0x31, 0x07}},
		{"lamp blink green 500", func() ([]byte, error) { return PadLamp(0x03, LampBlinkGreen500, false) }, []byte{0x01, 0x03, 0x36, 0x07}},
		{"lamp off with beep", func() ([]byte, error) { return PadLamp(0x03, LampOff, true) }, []byte{0x01, 0x03, 0x37, 0x07}},
		{"lamp blink green 500 with beep", func() ([]byte, error) { return PadLamp(0x03, LampBlinkGreen500, true) }, []byte{0x01, 0x03, 0x3d, 0x07}},
		{"display steady", func() ([]byte, error) { return PadDisplay(0x04, "015", 0) }, []byte{0x01, 0x04, 0x20, '0', '1', '5', 0x07}},
		{"display blink", func() ([]byte, error) { return PadDisplay(0x04, "123", -1) }, []byte{0x01, 0x04, 0x21, '1', '2', '3', 0x07}},
		{"display blink 3 times", func() ([]byte, error) { return PadDisplay(0x04, "7", 3) }, []byte{0x01, 0x04, 0x24, ' ', ' ', '7', 0x07}},
		{"display blink once", func() ([]byte, error) { return PadDisplay(0x04, "42", 1) }, []byte{0x01, 0x04, 0x22, ' ', '4', '2', 0x07}},
		{"display blank", func() ([]byte, error) { return PadDisplay(0x04, "", 0) }, []byte{0x01, 0x04, 0x20, ' ', ' ', ' ', 0x07}},
		{"key call", func() ([]byte, error) { return PadKey(0x09, KeyCall) }, []byte{0x01, 0x09, 0x31, 0x07}},
		{"key start service", func() ([]byte, error) { return PadKey(0x09, KeyStartService) }, []byte{0x01, 0x09, 0x32, 0x07}},
		{"address 0x00", func() ([]byte, error) { return PadKey(0x00, KeyCall) }, []byte{0x01, 0x00, 0x31, 0x07}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.build()
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("got % x, want % x", got, tt.want)
			}
		})
	}
}

func TestBuildersRefuse(t *testing.T) {
	tests := []struct {
		name  string
		build func() ([]byte, error)
		want  string
	}{
		{"address 0x01", func() ([]byte, error) { return BoardText(0x01, "1") }, "0x01"},
		{"address 0x07", func() ([]byte, error) { return PadLamp(0x07, LampRed, false) }, "0x07"},
		{"cyrillic board text", func() ([]byte, error) { return BoardText(0x05, "А015") }, "not printable ASCII"},
		{"control byte in board text", func() ([]byte, error) { return BoardText(0x05, "1\x072") }, "not printable ASCII"},
		{"zero width clear", func() ([]byte, error) { return BoardClear(0x05, 0) }, "at least 1"},
		{"lamp code below range", func() ([]byte, error) { return PadLamp(0x05, 0x2f, false) }, "0x30–0x36"},
		{"lamp code with beep passed as code", func() ([]byte, error) { return PadLamp(0x05, 0x37, false) }, "0x30–0x36"},
		{"display too long", func() ([]byte, error) { return PadDisplay(0x05, "1234", 0) }, "longer than 3"},
		{"display blinks too many", func() ([]byte, error) { return PadDisplay(0x05, "1", MaxBlinkTimes+1) }, "at most"},
		{"display non-ASCII", func() ([]byte, error) { return PadDisplay(0x05, "\x01", 0) }, "not printable"},
		{"unknown key", func() ([]byte, error) { return PadKey(0x05, 0x33) }, "want 0x31 or 0x32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.build()
			if err == nil {
				t.Fatalf("built % x, want an error", got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not mention %q", err, tt.want)
			}
		})
	}
	if err := CheckAddress(0x07); !errors.Is(err, ErrBadAddress) {
		t.Fatalf("CheckAddress(0x07) = %v, want ErrBadAddress", err)
	}
}

func TestLatin(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"А015", "A015", false},
		{"ВЕКМНОРСТХ-7", "BEKMHOPCTX-7", false},
		{"A-15", "A-15", false},
		{"Б015", "", true},
		{"а015", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Latin(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("Latin(%q) = %q, %v", tt.in, got, err)
			}
		})
	}
}

func deframe(chunks ...[]byte) (frames []string, junk int) {
	var d Deframer
	for _, c := range chunks {
		d.Feed(c, func(f Frame) { frames = append(frames, string(f.Bytes())) })
		junk += d.Junk()
	}
	return frames, junk
}

func TestDeframer(t *testing.T) {
	key := []byte{0x01, 0x05, 0x31, 0x07}
	tests := []struct {
		name     string
		chunks   [][]byte
		want     [][]byte
		wantJunk int
	}{
		{"one frame", [][]byte{key}, [][]byte{key}, 0},
		{"split frame", [][]byte{key[:1], key[1:3], key[3:]}, [][]byte{key}, 0},
		{"two frames in one read", [][]byte{append(append([]byte{}, key...), 0x01, 0x06, 0x32, 0x07)}, [][]byte{key, {0x01, 0x06, 0x32, 0x07}}, 0},
		{"noise before", [][]byte{{0xff, 0x00}, key}, [][]byte{key}, 2},
		{"lost end, next frame kept", [][]byte{{0x01, 0x05, 0x31}, key}, [][]byte{key}, 3},
		{"no address", [][]byte{{0x01, 0x07}, key}, [][]byte{key}, 2},
		{"too long run dropped", [][]byte{append([]byte{0x01}, bytes.Repeat([]byte{'x'}, MaxFrame)...), key}, [][]byte{key}, MaxFrame + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, junk := deframe(tt.chunks...)
			if len(got) != len(tt.want) {
				t.Fatalf("frames % x, want % x", got, tt.want)
			}
			for i := range got {
				if got[i] != string(tt.want[i]) {
					t.Fatalf("frame %d = % x, want % x", i, got[i], tt.want[i])
				}
			}
			if junk != tt.wantJunk {
				t.Fatalf("junk = %d, want %d", junk, tt.wantJunk)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		name    string
		frame   Frame
		want    KeyPress
		wantErr bool
	}{
		{"call", Frame{Addr: 5, Payload: []byte{0x31}}, KeyPress{Addr: 5, Key: KeyCall}, false},
		{"start service", Frame{Addr: 9, Payload: []byte{0x32}}, KeyPress{Addr: 9, Key: KeyStartService}, false},
		{"unknown key", Frame{Addr: 5, Payload: []byte{0x33}}, KeyPress{}, true},
		{"board text", Frame{Addr: 5, Payload: []byte("A015")}, KeyPress{}, true},
		{"empty", Frame{Addr: 5}, KeyPress{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKey(tt.frame)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseKey = %+v, %v", got, err)
			}
		})
	}
}

// FuzzKeyFrames feeds arbitrary line bytes, split anywhere, to the deframer
// and the key parser: results must not depend on the split, frames must obey
// the framing rules, and a parsed key must rebuild to the frame it came from.
func FuzzKeyFrames(f *testing.F) {
	f.Add([]byte{0x01, 0x05, 0x31, 0x07}, uint8(1))
	f.Add([]byte{0xff, 0x01, 0x05, 0x01, 0x06, 0x32, 0x07, 0x07}, uint8(2))
	f.Add([]byte("\x01\x05A015\x07\x01\x07"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		whole, _ := deframe(data)
		var chunks [][]byte
		step := int(split%8) + 1
		for i := 0; i < len(data); i += step {
			chunks = append(chunks, data[i:min(i+step, len(data))])
		}
		pieces, _ := deframe(chunks...)
		if strings.Join(whole, "|") != strings.Join(pieces, "|") {
			t.Fatalf("split changes frames: % x vs % x", whole, pieces)
		}
		for _, raw := range whole {
			b := []byte(raw)
			if len(b) < 3 || len(b) > MaxFrame || b[0] != Start || b[len(b)-1] != End {
				t.Fatalf("bad frame % x", b)
			}
			if bytes.IndexByte(b[1:len(b)-1], Start) >= 0 || bytes.IndexByte(b[1:len(b)-1], End) >= 0 {
				t.Fatalf("delimiter inside frame % x", b)
			}
			kp, err := ParseKey(Frame{Addr: b[1], Payload: b[2 : len(b)-1]})
			if err != nil {
				continue
			}
			back, err := PadKey(kp.Addr, kp.Key)
			if err != nil || !bytes.Equal(back, b) {
				t.Fatalf("key %+v from % x rebuilds to % x, %v", kp, b, back, err)
			}
		}
	})
}
