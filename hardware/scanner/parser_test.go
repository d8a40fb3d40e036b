package scanner

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// chunk is bytes arriving at an offset from t0.
type chunk struct {
	at   time.Duration
	data string
}

func feedAll(t *testing.T, cfg ParserConfig, chunks []chunk) []Result {
	t.Helper()
	p, err := NewParser(cfg)
	if err != nil {
		t.Fatalf("NewParser: %v", err)
	}
	var got []Result
	for _, c := range chunks {
		p.Feed([]byte(c.data), t0.Add(c.at), func(r Result) { got = append(got, r) })
	}
	return got
}

func accepted(codes ...string) []Result {
	var rs []Result
	for _, c := range codes {
		rs = append(rs, Result{Kind: Accepted, Code: c})
	}
	return rs
}

func TestParserFraming(t *testing.T) {
	tests := []struct {
		name   string
		cfg    ParserConfig
		chunks []chunk
		want   []Result
	}{
		{"CR", ParserConfig{Suffix: SuffixCR}, []chunk{{0, "A015\r"}}, accepted("A015")},
		{"CRLF", ParserConfig{Suffix: SuffixCRLF}, []chunk{{0, "A015\r\nB7\r\n"}}, accepted("A015", "B7")},
		{"LF", ParserConfig{Suffix: SuffixLF}, []chunk{{0, "PIN 4711\n"}}, accepted("PIN 4711")},
		{"TAB", ParserConfig{Suffix: SuffixTab}, []chunk{{0, "X1\tX2\t"}}, accepted("X1", "X2")},
		{"default suffix is CR", ParserConfig{}, []chunk{{0, "Z9\r"}}, accepted("Z9")},
		{"split across reads", ParserConfig{Suffix: SuffixCRLF}, []chunk{{0, "tick"}, {0, "et-4"}, {0, "2\r"}, {0, "\n"}}, accepted("ticket-42")},
		{"CRLF scanner, CR reader", ParserConfig{Suffix: SuffixCR}, []chunk{{0, "A1\r\nA2\r\n"}}, accepted("A1", "A2")},
		{"CR scanner, CRLF reader", ParserConfig{Suffix: SuffixCRLF}, []chunk{{0, "A1\r\n"}}, accepted("A1")},
		{"empty lines ignored", ParserConfig{Suffix: SuffixCR}, []chunk{{0, "\r\r\rA1\r"}}, accepted("A1")},
		{"no suffix yet: nothing", ParserConfig{Suffix: SuffixCR}, []chunk{{0, "A1"}}, nil},
		{"cyrillic is text", ParserConfig{Suffix: SuffixCR}, []chunk{{0, "Талон А-15\r"}}, accepted("Талон А-15")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertResults(t, feedAll(t, tt.cfg, tt.chunks), tt.want)
		})
	}
}

func TestParserRepeats(t *testing.T) {
	cfg := ParserConfig{Suffix: SuffixCR, RepeatWindow: time.Second}
	tests := []struct {
		name   string
		cfg    ParserConfig
		chunks []chunk
		want   []Kind
	}{
		{"repeat inside window", cfg, []chunk{{0, "A\r"}, {500 * time.Millisecond, "A\r"}}, []Kind{Accepted, Repeated}},
		{"repeat after window", cfg, []chunk{{0, "A\r"}, {1500 * time.Millisecond, "A\r"}}, []Kind{Accepted, Accepted}},
		{"window slides while repeats keep coming", cfg, []chunk{
			{0, "A\r"}, {800 * time.Millisecond, "A\r"}, {1600 * time.Millisecond, "A\r"}, {2400 * time.Millisecond, "A\r"}, {4000 * time.Millisecond, "A\r"},
		}, []Kind{Accepted, Repeated, Repeated, Repeated, Accepted}},
		{"other code in between", cfg, []chunk{{0, "A\r"}, {100 * time.Millisecond, "B\r"}, {200 * time.Millisecond, "A\r"}}, []Kind{Accepted, Accepted, Accepted}},
		{"suppression off", ParserConfig{Suffix: SuffixCR, RepeatWindow: -1}, []chunk{{0, "A\r"}, {0, "A\r"}}, []Kind{Accepted, Accepted}},
		{"default window", ParserConfig{Suffix: SuffixCR}, []chunk{{0, "A\r"}, {DefaultRepeatWindow - time.Millisecond, "A\r"}}, []Kind{Accepted, Repeated}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := feedAll(t, tt.cfg, tt.chunks)
			var kinds []Kind
			for _, r := range got {
				kinds = append(kinds, r.Kind)
			}
			if len(kinds) != len(tt.want) {
				t.Fatalf("got %v, want %v", kinds, tt.want)
			}
			for i := range kinds {
				if kinds[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", kinds, tt.want)
				}
			}
		})
	}
}

func TestParserRejects(t *testing.T) {
	short := ParserConfig{Suffix: SuffixCR, MaxLen: 8}
	tests := []struct {
		name       string
		cfg        ParserConfig
		chunks     []chunk
		want       []Result
		wantReason string // substring of the rejection's reason
	}{
		{"too long in one read", short, []chunk{{0, "123456789\rOK\r"}}, []Result{{Kind: Rejected}, {Kind: Accepted, Code: "OK"}}, "longer than 8"},
		{"too long across reads", short, []chunk{{0, "12345"}, {0, "67890"}, {0, "abc\rOK\r"}}, []Result{{Kind: Rejected}, {Kind: Accepted, Code: "OK"}}, "longer than 8"},
		{"exactly max with CRLF", ParserConfig{Suffix: SuffixCRLF, MaxLen: 8}, []chunk{{0, "12345678\r\n"}}, accepted("12345678"), ""},
		{"control byte", ParserConfig{Suffix: SuffixCR}, []chunk{{0, "A\x00B\rOK\r"}}, []Result{{Kind: Rejected}, {Kind: Accepted, Code: "OK"}}, "control character U+0000"},
		{"escape sequence", ParserConfig{Suffix: SuffixCR}, []chunk{{0, "\x1b[2J\r"}}, []Result{{Kind: Rejected}}, "control character"},
		{"invalid UTF-8 (wrong baud)", ParserConfig{Suffix: SuffixCR}, []chunk{{0, "\xfe\xff\x80\r"}}, []Result{{Kind: Rejected}}, "invalid UTF-8"},
		{"CR inside a TAB-framed line", ParserConfig{Suffix: SuffixTab}, []chunk{{0, "A\rB\t"}}, []Result{{Kind: Rejected}}, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := feedAll(t, tt.cfg, tt.chunks)
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i].Kind != tt.want[i].Kind {
					t.Fatalf("result %d = %+v, want kind %v", i, got[i], tt.want[i].Kind)
				}
				if got[i].Kind == Accepted && got[i].Code != tt.want[i].Code {
					t.Fatalf("result %d code %q, want %q", i, got[i].Code, tt.want[i].Code)
				}
				if got[i].Kind == Rejected && !strings.Contains(got[i].Reason, tt.wantReason) {
					t.Fatalf("reason %q does not contain %q", got[i].Reason, tt.wantReason)
				}
			}
		})
	}
}

func TestParserReset(t *testing.T) {
	p, err := NewParser(ParserConfig{Suffix: SuffixCR})
	if err != nil {
		t.Fatal(err)
	}
	var got []Result
	emit := func(r Result) { got = append(got, r) }
	p.Feed([]byte("HALF"), t0, emit)
	if p.Pending() != 4 {
		t.Fatalf("Pending = %d, want 4", p.Pending())
	}
	p.Reset()
	p.Feed([]byte("NEW\r"), t0, emit)
	assertResults(t, got, accepted("NEW"))
}

func TestSuffixConfig(t *testing.T) {
	tests := []struct {
		name    string
		want    Suffix
		wantErr bool
	}{
		{"CR", SuffixCR, false},
		{"crlf", SuffixCRLF, false},
		{"LF", SuffixLF, false},
		{"TAB", SuffixTab, false},
		{"none", "", true},
		{"ENTER", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSuffix(tt.name)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseSuffix(%q) = %q, %v", tt.name, got, err)
			}
		})
	}
	if _, err := NewParser(ParserConfig{Suffix: ";"}); err == nil {
		t.Fatal("NewParser accepted suffix \";\"")
	}
}

func assertResults(t *testing.T, got, want []Result) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("result %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// FuzzParser checks that any byte stream, split anywhere, gives the same
// results as when it arrives in one piece, and that every accepted code is
// within the rules.
func FuzzParser(f *testing.F) {
	f.Add([]byte("A015\r"), uint8(1), uint8(0))
	f.Add([]byte("A1\r\nA1\r\nB2\r\n"), uint8(2), uint8(1))
	f.Add([]byte("X\tY\t\x00\t"), uint8(3), uint8(3))
	f.Add([]byte("Талон\n\xff\xfe\n"), uint8(4), uint8(2))
	f.Add([]byte(strings.Repeat("9", 100)+"\r"), uint8(7), uint8(0))
	suffixes := []Suffix{SuffixCR, SuffixCRLF, SuffixLF, SuffixTab}
	f.Fuzz(func(t *testing.T, data []byte, split, suffix uint8) {
		cfg := ParserConfig{Suffix: suffixes[int(suffix)%len(suffixes)], MaxLen: 64}
		whole := run(t, cfg, data, len(data)+1)
		pieces := run(t, cfg, data, int(split%16)+1)
		if len(whole) != len(pieces) {
			t.Fatalf("split changes results: %+v vs %+v", whole, pieces)
		}
		for i := range whole {
			if whole[i] != pieces[i] {
				t.Fatalf("split changes result %d: %+v vs %+v", i, whole[i], pieces[i])
			}
			r := whole[i]
			if r.Kind == Rejected {
				if r.Reason == "" {
					t.Fatalf("rejection without a reason: %+v", r)
				}
				continue
			}
			if r.Code == "" || len(r.Code) > cfg.MaxLen || !utf8.ValidString(r.Code) {
				t.Fatalf("bad code accepted: %q", r.Code)
			}
			for _, c := range r.Code {
				if !unicode.IsPrint(c) {
					t.Fatalf("code %q holds %U", r.Code, c)
				}
			}
		}
	})
}

// run feeds data in pieces of size step, all at t0.
func run(t *testing.T, cfg ParserConfig, data []byte, step int) []Result {
	t.Helper()
	p, err := NewParser(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []Result
	for i := 0; i < len(data); i += step {
		end := min(i+step, len(data))
		p.Feed(data[i:end], t0, func(r Result) { out = append(out, r) })
	}
	return out
}
