package terminal

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// MinTouchHeight is the least height of anything an applicant taps: 15 mm
// is about 60 px on a 1080p 21" screen, and a finger that shakes or a
// glove needs more, so 96.
const MinTouchHeight float32 = 96

// Theme is the terminals' look: light and calm, or, when an applicant asks
// for it, large text in high contrast (white and yellow on black), for
// people who see poorly.
type Theme struct {
	Large bool
}

// NewTheme returns the theme, large or normal.
func NewTheme(large bool) fyne.Theme { return Theme{Large: large} }

// The large theme's colours: the contrast of white on black is 21:1, of
// yellow on black 19:1, well beyond WCAG AAA's 7:1.
var (
	black      = color.NRGBA{A: 0xff}
	white      = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	yellow     = color.NRGBA{R: 0xff, G: 0xe0, B: 0x00, A: 0xff}
	darkGrey   = color.NRGBA{R: 0x22, G: 0x22, B: 0x22, A: 0xff}
	midGrey    = color.NRGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}
	brightRed  = color.NRGBA{R: 0xff, G: 0x55, B: 0x55, A: 0xff}
	warnOrange = color.NRGBA{R: 0xff, G: 0xa0, B: 0x00, A: 0xff}
)

func (t Theme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	if t.Large {
		switch n {
		case theme.ColorNameBackground, theme.ColorNameOverlayBackground, theme.ColorNameMenuBackground,
			theme.ColorNameHeaderBackground, theme.ColorNameInputBackground:
			return black
		case theme.ColorNameButton:
			return darkGrey
		case theme.ColorNameDisabledButton:
			return black
		case theme.ColorNameForeground:
			return white
		case theme.ColorNameForegroundOnPrimary:
			return black
		case theme.ColorNameDisabled, theme.ColorNamePlaceHolder:
			return midGrey
		case theme.ColorNamePrimary, theme.ColorNameFocus, theme.ColorNameHyperlink, theme.ColorNameInputBorder:
			return yellow
		case theme.ColorNameError:
			return brightRed
		case theme.ColorNameWarning:
			return warnOrange
		}
	}
	// The normal theme is always light: a kiosk in a bright hall is read
	// best dark on light, whatever the system prefers.
	return theme.DefaultTheme().Color(n, theme.VariantLight)
}

func (t Theme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

func (t Theme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

// Size makes text larger than a desktop's in both modes: a kiosk is read
// standing, from half a metre or more.
func (t Theme) Size(n fyne.ThemeSizeName) float32 {
	scale := float32(1.5)
	if t.Large {
		scale = 2.2
	}
	switch n {
	case theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText,
		theme.SizeNameCaptionText, theme.SizeNameInlineIcon, theme.SizeNameInnerPadding, theme.SizeNamePadding:
		return theme.DefaultTheme().Size(n) * scale
	}
	return theme.DefaultTheme().Size(n)
}
