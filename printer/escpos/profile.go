package escpos

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Paper widths in dots at 203 dpi.
const (
	Paper58 = 384
	Paper80 = 576
)

// Font A, the default font of ESC/POS printers, is 12×24 dots.
const (
	CharWidth  = 12
	CharHeight = 24
)

// CodePage is a character table a printer holds and how to select it.
type CodePage struct {
	Name    string           // "CP866"
	Charmap *charmap.Charmap // encodes text for this table
	Number  byte             // n of the select command
	Command CodePageCommand
}

// CutStyle is how a profile ends a ticket.
type CutStyle int

const (
	// CutFeedPartial is GS V 66 n: feed to the knife and leave a hinge, so
	// the ticket hangs in the slot instead of falling on the floor.
	CutFeedPartial CutStyle = iota
	// CutFeedFull is GS V 65 n.
	CutFeedFull
	// CutLinesPartial feeds with ESC d and then sends GS V 1, for printers
	// that do not know the feed-and-cut forms.
	CutLinesPartial
)

// StatusDialect is how a printer reports its state.
type StatusDialect int

const (
	// StatusDLEEOT answers the four DLE EOT n queries.
	StatusDLEEOT StatusDialect = iota
	// StatusNone never answers; jobs are sent blind.
	StatusNone
)

// Profile is what Talon needs to know about a printer model to drive it.
// Profiles are plain values: a deployment with an unusual model can build
// its own.
type Profile struct {
	Name        string
	Description string
	PaperDots   int // printable width: Paper58 or Paper80
	// CodePage is empty for profiles that send all text as raster.
	CodePage CodePage
	// NativeCyrillic is false for printers without a Cyrillic code page:
	// their text is rendered and sent as raster images.
	NativeCyrillic bool
	// NativeQR is false for printers without GS ( k: the QR code is drawn
	// and sent as a raster image.
	NativeQR bool
	Cut      CutStyle
	Status   StatusDialect
}

var (
	cp866Epson  = CodePage{Name: "CP866", Charmap: charmap.CodePage866, Number: 17, Command: SelectEscT}
	cp1251Epson = CodePage{Name: "CP1251", Charmap: charmap.Windows1251, Number: 46, Command: SelectEscT}
)

var profiles = []Profile{
	{
		Name:           "epson-80",
		Description:    "Epson TM-T20/T88 and compatibles (Citizen, Bixolon, Sam4s), 80 mm, CP866",
		PaperDots:      Paper80,
		CodePage:       cp866Epson,
		NativeCyrillic: true,
		NativeQR:       true,
		Cut:            CutFeedPartial,
	},
	{
		Name:           "epson-58",
		Description:    "Epson-compatible 58 mm printer, CP866",
		PaperDots:      Paper58,
		CodePage:       cp866Epson,
		NativeCyrillic: true,
		NativeQR:       true,
		Cut:            CutFeedPartial,
	},
	{
		Name:           "epson-80-cp1251",
		Description:    "Epson TM-T20II/III, TM-T88V with the CP1251 table, 80 mm",
		PaperDots:      Paper80,
		CodePage:       cp1251Epson,
		NativeCyrillic: true,
		NativeQR:       true,
		Cut:            CutFeedPartial,
	},
	{
		Name:           "star-80",
		Description:    "Star in ESC/POS emulation, 80 mm, CP866; cuts with ESC d + GS V 1",
		PaperDots:      Paper80,
		CodePage:       cp866Epson,
		NativeCyrillic: true,
		NativeQR:       true,
		Cut:            CutLinesPartial,
	},
	{
		Name:        "raster-80",
		Description: "printer without Cyrillic or QR: everything sent as raster, 80 mm",
		PaperDots:   Paper80,
		Cut:         CutFeedPartial,
	},
	{
		Name:        "raster-58",
		Description: "printer without Cyrillic or QR: everything sent as raster, 58 mm",
		PaperDots:   Paper58,
		Cut:         CutFeedPartial,
	},
}

// Profiles returns the built-in profiles.
func Profiles() []Profile { return slices.Clone(profiles) }

// ProfileByName returns the built-in profile with the given name, as set in
// configuration.
func ProfileByName(name string) (Profile, error) {
	for _, p := range profiles {
		if p.Name == name {
			return p, nil
		}
	}
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = p.Name
	}
	return Profile{}, fmt.Errorf("escpos: unknown printer profile %q; known profiles: %s", name, strings.Join(names, ", "))
}

// Columns is how many characters of the given width multiplier fit a line.
func (p Profile) Columns(widthMul int) int {
	return p.PaperDots / (CharWidth * clamp(widthMul, 1, 8))
}

// SelectCodePage is the command that selects the profile's code page.
func (p Profile) SelectCodePage() []byte {
	return SelectCodePage(p.CodePage.Command, p.CodePage.Number)
}

// CutCommand ends a ticket: feed it past the knife and cut.
func (p Profile) CutCommand() []byte {
	// The knife sits about 3 lines above the print head on most models.
	switch p.Cut {
	case CutFeedFull:
		return FeedAndCut(FullCut, 3*CharHeight)
	case CutLinesPartial:
		return append(Feed(4), Cut(PartialCut)...)
	}
	return FeedAndCut(PartialCut, 3*CharHeight)
}

// typography maps characters that Russian text often carries but the DOS
// code page lacks to plain ones a reader takes for the same thing.
var typography = map[rune]string{
	'«': `"`, '»': `"`, '„': `"`, '“': `"`, '”': `"`,
	'‘': "'", '’': "'",
	'—': "-", '–': "-", '‑': "-",
	'…':      "...",
	'\u00A0': " ", '\u202F': " ",
}

// Encode turns text into bytes of the profile's code page. A character the
// table cannot hold becomes a visible '?' and is returned in replaced, so
// the caller can log it: text is never dropped silently.
func (p Profile) Encode(s string) (out []byte, replaced []rune) {
	out = make([]byte, 0, len(s))
	for _, r := range s {
		if b, ok := p.encodeRune(r); ok && (r >= 0x20 || r == '\t') {
			out = append(out, b)
			continue
		}
		if alt, ok := typography[r]; ok {
			out = append(out, alt...)
			continue
		}
		out = append(out, '?')
		replaced = append(replaced, r)
	}
	return out, replaced
}

// encodeRune encodes one character; without a code page only ASCII prints.
func (p Profile) encodeRune(r rune) (byte, bool) {
	if p.CodePage.Charmap == nil {
		return byte(r), r < 0x7F
	}
	return p.CodePage.Charmap.EncodeRune(r)
}
