package voice

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/binary"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"
)

// The segment set ships inside the binary: a board needs no speech engine
// and no files beside it. segments/generate makes it (see README.md).
//
//go:embed segments/manifest.tsv segments/*.wav
var segmentFiles embed.FS

// The one format of every segment and of what the player hands the device:
// 22050 Hz mono signed 16-bit little-endian PCM, espeak-ng's own rate.
const (
	sampleRate     = 22050
	bytesPerSample = 2
)

// pause is the silence between two segments (the recordings are trimmed of
// their own silence, so this is the whole gap).
const pause = 200 * time.Millisecond

// segmentSet holds each segment's PCM samples and its manifest words.
type segmentSet struct {
	pcm   map[string][]byte
	words map[string]string
}

// embeddedSet is decoded once, on the first call that needs it.
var embeddedSet = sync.OnceValues(func() (*segmentSet, error) {
	return loadSet(segmentFiles, "segments")
})

// loadSet reads the manifest and the WAV file of every segment it lists
// from dir in fsys.
func loadSet(fsys fs.FS, dir string) (*segmentSet, error) {
	manifest, err := fs.ReadFile(fsys, dir+"/manifest.tsv")
	if err != nil {
		return nil, fmt.Errorf("набор записей голоса: %w", err)
	}
	s := &segmentSet{pcm: map[string][]byte{}, words: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(manifest))
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		id, words, ok := strings.Cut(text, "\t")
		words, _, _ = strings.Cut(words, "\t") // the third column is only for espeak-ng
		if !ok {
			return nil, fmt.Errorf("набор записей голоса: manifest.tsv, строка %d: нет табуляции между именем и словами", line)
		}
		wav, err := fs.ReadFile(fsys, dir+"/"+id+".wav")
		if err != nil {
			return nil, fmt.Errorf("набор записей голоса: %w", err)
		}
		pcm, err := wavPCM(wav)
		if err != nil {
			return nil, fmt.Errorf("набор записей голоса: %s.wav: %w", id, err)
		}
		s.pcm[id], s.words[id] = pcm, words
	}
	return s, sc.Err()
}

// wavPCM returns the samples of a WAV file in the set's one format and
// refuses any other format, so that segments can be joined byte for byte.
func wavPCM(wav []byte) ([]byte, error) {
	if len(wav) < 12 || string(wav[:4]) != "RIFF" || string(wav[8:12]) != "WAVE" {
		return nil, fmt.Errorf("не файл WAV")
	}
	var fmtOK bool
	for rest := wav[12:]; len(rest) >= 8; {
		id, size := string(rest[:4]), int(binary.LittleEndian.Uint32(rest[4:8]))
		rest = rest[8:]
		if size > len(rest) {
			return nil, fmt.Errorf("блок %q обрезан", id)
		}
		body := rest[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("блок fmt короче 16 байт")
			}
			format, channels := binary.LittleEndian.Uint16(body[0:2]), binary.LittleEndian.Uint16(body[2:4])
			rate, bits := binary.LittleEndian.Uint32(body[4:8]), binary.LittleEndian.Uint16(body[14:16])
			if format != 1 || channels != 1 || rate != sampleRate || bits != 8*bytesPerSample {
				return nil, fmt.Errorf("формат %d, %d канал(ов), %d Гц, %d бит; нужен PCM, 1 канал, %d Гц, %d бит",
					format, channels, rate, bits, sampleRate, 8*bytesPerSample)
			}
			fmtOK = true
		case "data":
			if !fmtOK {
				return nil, fmt.Errorf("блок data раньше блока fmt")
			}
			return body[:size/bytesPerSample*bytesPerSample], nil
		}
		rest = rest[min(size+size%2, len(rest)):] // chunks are padded to even sizes
	}
	return nil, fmt.Errorf("нет блока data")
}

// pauseBytes is the length of the pause in PCM bytes.
func pauseBytes() int {
	return int(pause*sampleRate/time.Second) * bytesPerSample
}

// assemble joins the segments' samples with a pause between each two, into
// one buffer the device plays in one go.
func (s *segmentSet) assemble(segs []Segment) ([]byte, error) {
	size := 0
	for i, seg := range segs {
		pcm, ok := s.pcm[seg.ID]
		if !ok {
			return nil, fmt.Errorf("в наборе записей голоса нет «%s»", seg.ID)
		}
		if i > 0 {
			size += pauseBytes()
		}
		size += len(pcm)
	}
	out := make([]byte, 0, size)
	for i, seg := range segs {
		if i > 0 {
			out = append(out, make([]byte, pauseBytes())...)
		}
		out = append(out, s.pcm[seg.ID]...)
	}
	return out, nil
}
