package terminal

import (
	"errors"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// Banner shows the terminal's connection to the server, fed by the
// stream's ConnState: hidden while the screen is live, a red strip that
// says so in words while it is not, so that a stale screen is never taken
// for a live one. Call its methods on the UI goroutine.
type Banner struct {
	widget.BaseWidget

	lang  Language
	state client.ConnState
	// wasOnline is whether the stream was ever up: before that the terminal
	// is connecting, not cut off.
	wasOnline bool

	bg     *canvas.Rectangle
	title  *canvas.Text
	detail *canvas.Text
}

// The banner's colours hold in both themes: white on dark red is 7.5:1.
var (
	bannerBackground = color.NRGBA{R: 0xb0, G: 0x00, B: 0x20, A: 0xff}
	bannerText       = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
)

// NewBanner starts in the connecting state.
func NewBanner(lang Language) *Banner {
	b := &Banner{
		lang:   lang,
		state:  client.ConnState{Status: client.Connecting},
		bg:     canvas.NewRectangle(bannerBackground),
		title:  canvas.NewText("", bannerText),
		detail: canvas.NewText("", bannerText),
	}
	b.title.TextStyle.Bold = true
	b.title.Alignment = fyne.TextAlignCenter
	b.detail.Alignment = fyne.TextAlignCenter
	b.ExtendBaseWidget(b)
	b.update()
	return b
}

func (b *Banner) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(b.bg, container.NewPadded(container.NewVBox(b.title, b.detail))))
}

// SetState takes a new connection state from the stream.
func (b *Banner) SetState(s client.ConnState) {
	b.state = s
	b.wasOnline = b.wasOnline || s.Status == client.Online
	b.update()
}

// SetLanguage changes the language of the text.
func (b *Banner) SetLanguage(l Language) {
	b.lang = l
	b.update()
}

// Live reports whether the stream is up to date: what the screen shows is
// the server's state now.
func (b *Banner) Live() bool { return b.state.Status == client.Online }

// Text is what the banner says, "" while hidden.
func (b *Banner) Text() string {
	if b.Hidden {
		return ""
	}
	if b.detail.Text == "" {
		return b.title.Text
	}
	return b.title.Text + "\n" + b.detail.Text
}

func (b *Banner) update() {
	str := StringsFor(b.lang)
	b.detail.Text = ""
	switch {
	case b.state.Status == client.Online:
		b.Hide()
		return
	case b.state.Status == client.Connecting && !b.wasOnline:
		b.title.Text = str.Connecting
	case b.state.Status == client.Connecting:
		b.title.Text = str.Reconnecting
	default:
		b.title.Text = str.Offline
		if !b.state.Since.IsZero() {
			b.detail.Text = str.OfflineSince(b.state.Since)
		}
	}
	// A refused credential or a wrong certificate will not heal by
	// retrying: say what the server said, for the technician.
	if why := lastingCause(b.state.Err); why != "" {
		b.detail.Text = why
	}
	b.title.TextSize = theme.TextSize()
	b.detail.TextSize = theme.TextSize() * 0.8
	b.Show()
	b.Refresh()
}

func lastingCause(err error) string {
	var pin *client.CertificateMismatchError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pin):
		return pin.Error()
	case domain.ErrorCode(err) == domain.CodeUnauthorized, domain.ErrorCode(err) == domain.CodeForbidden:
		return domain.ErrorMessage(err)
	}
	return ""
}
