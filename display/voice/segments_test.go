package voice

import (
	"bytes"
	"encoding/binary"
	"io/fs"
	"math"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func testSet(t testing.TB) *segmentSet {
	t.Helper()
	set, err := embeddedSet()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// everySegment is every segment Expand can produce.
func everySegment() []Segment {
	segs := []Segment{chime, talon, window}
	for n := 0; n <= MaxNumber; n++ {
		segs = append(segs, number(n)...)
	}
	for _, l := range letters {
		segs = append(segs, l)
	}
	return segs
}

func TestSetHoldsEverySegmentWithItsWords(t *testing.T) {
	set := testSet(t)
	used := map[string]bool{}
	for _, s := range everySegment() {
		used[s.ID] = true
		pcm, ok := set.pcm[s.ID]
		if !ok {
			t.Errorf("%s (%q) is not recorded", s.ID, s.Words)
			continue
		}
		want := s.Words
		if s == chime {
			want = "-"
		}
		if set.words[s.ID] != want {
			t.Errorf("%s: the recording says %q, the voice means %q", s.ID, set.words[s.ID], want)
		}
		if d := duration(len(pcm)); d < 100*time.Millisecond || d > 2*time.Second || silentPCM(pcm) {
			t.Errorf("%s: %v of sound, silent: %v", s.ID, d, silentPCM(pcm))
		}
		// One loudness: segments/generate brings each to -20 dBFS RMS.
		if db := rmsDB(pcm); db < -21.5 || db > -18.5 {
			t.Errorf("%s: %.1f dBFS RMS, want -20 ± 1.5", s.ID, db)
		}
	}
	for id := range set.pcm {
		if !used[id] {
			t.Errorf("%s is recorded but never said", id)
		}
	}
	// Every WAV shipped is in the manifest (and so was checked for format).
	wavs, err := fs.Glob(segmentFiles, "segments/*.wav")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wavs {
		if _, ok := set.pcm[strings.TrimSuffix(path.Base(w), ".wav")]; !ok {
			t.Errorf("%s is not in manifest.tsv", w)
		}
	}
	if len(wavs) != len(set.pcm) {
		t.Errorf("%d WAV files, %d segments", len(wavs), len(set.pcm))
	}
}

func duration(pcmBytes int) time.Duration {
	return time.Duration(pcmBytes/bytesPerSample) * time.Second / sampleRate
}

// rmsDB is the RMS level of pcm in dBFS.
func rmsDB(pcm []byte) float64 {
	var sum float64
	n := len(pcm) / 2
	for i := range n {
		v := float64(int16(binary.LittleEndian.Uint16(pcm[2*i:]))) / (1 << 15)
		sum += v * v
	}
	return 10 * math.Log10(sum/float64(n))
}

// silentPCM says whether no sample rises above -40 dBFS.
func silentPCM(pcm []byte) bool {
	for i := 0; i+1 < len(pcm); i += 2 {
		if v := int16(binary.LittleEndian.Uint16(pcm[i:])); v > 327 || v < -327 {
			return false
		}
	}
	return true
}

// wavFile builds a WAV header and data for the format test.
func wavFile(format, channels uint16, rate uint32, bits uint16, data []byte) []byte {
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + len(data)))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(format)
	le(channels)
	le(rate)
	le(rate * uint32(channels) * uint32(bits/8))
	le(channels * bits / 8)
	le(bits)
	b.WriteString("data")
	le(uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

func TestSetRefusesAnotherFormat(t *testing.T) {
	data := []byte{1, 0, 2, 0}
	for name, c := range map[string]struct {
		wav  []byte
		want string
	}{
		"right":  {wavFile(1, 1, sampleRate, 16, data), ""},
		"stereo": {wavFile(1, 2, sampleRate, 16, data), "2 канал"},
		"44100":  {wavFile(1, 1, 44100, 16, data), "44100 Гц"},
		"8 bit":  {wavFile(1, 1, sampleRate, 8, data), "8 бит"},
		"float":  {wavFile(3, 1, sampleRate, 16, data), "формат 3"},
		"not":    {[]byte("RIFF...."), "не файл WAV"},
		"cut":    {wavFile(1, 1, sampleRate, 16, data)[:46], "обрезан"},
	} {
		fsys := fstest.MapFS{
			"s/manifest.tsv": {Data: []byte("# comment\nx\tслово\n")},
			"s/x.wav":        {Data: c.wav},
		}
		set, err := loadSet(fsys, "s")
		switch {
		case c.want == "" && (err != nil || !bytes.Equal(set.pcm["x"], data)):
			t.Errorf("%s: %v", name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one saying %q", name, err, c.want)
		}
	}
}

func TestAssembledLength(t *testing.T) {
	set := testSet(t)
	if pause < 150*time.Millisecond || pause > 250*time.Millisecond {
		t.Errorf("pause %v, want 150–250 ms", pause)
	}
	segs, err := Expand("ЗЯ125", 17)
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := set.assemble(segs)
	if err != nil {
		t.Fatal(err)
	}
	pauseLen := int(pause.Seconds()*sampleRate) * bytesPerSample
	want := (len(segs) - 1) * pauseLen
	for _, s := range segs {
		want += len(set.pcm[s.ID])
	}
	if len(pcm) != want {
		t.Fatalf("assembled %d bytes, want %d (segments and %d pauses of %d)", len(pcm), want, len(segs)-1, pauseLen)
	}
	// Each segment in order, with silence between.
	at := 0
	for i, s := range segs {
		if i > 0 {
			if !bytes.Equal(pcm[at:at+pauseLen], make([]byte, pauseLen)) {
				t.Errorf("the pause before %s is not silent", s.ID)
			}
			at += pauseLen
		}
		seg := set.pcm[s.ID]
		if !bytes.Equal(pcm[at:at+len(seg)], seg) {
			t.Errorf("segment %d (%s) is not where it belongs", i, s.ID)
		}
		at += len(seg)
	}
	if d := duration(len(pcm)); d < 3*time.Second || d > 10*time.Second {
		t.Errorf("a call lasts %v", d)
	}
	if _, err := set.assemble([]Segment{{ID: "nowhere"}}); err == nil {
		t.Error("assembling a segment that is not recorded: no error")
	}
}
