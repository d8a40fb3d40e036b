package domain

import (
	"slices"
	"time"
	"unicode/utf8"
)

// PrinterState is what a kiosk's ticket printer last reported.
type PrinterState string

const (
	PrinterOK           PrinterState = "ok"
	PrinterPaperNearEnd PrinterState = "paper_near_end" // still prints: change the roll soon
	PrinterPaperOut     PrinterState = "paper_out"
	PrinterCoverOpen    PrinterState = "cover_open"
	PrinterOffline      PrinterState = "offline"
	PrinterError        PrinterState = "error"
)

// PrinterStates are all the states a printer may report, "ok" first.
var PrinterStates = []PrinterState{PrinterOK, PrinterPaperNearEnd, PrinterPaperOut, PrinterCoverOpen, PrinterOffline, PrinterError}

// printerRu says what each state asks the hall administrator to do.
var printerRu = map[PrinterState]string{
	PrinterOK:           "принтер в порядке",
	PrinterPaperNearEnd: "бумага заканчивается — приготовьте новый рулон",
	PrinterPaperOut:     "закончилась бумага — замените рулон",
	PrinterCoverOpen:    "открыта крышка принтера — закройте её",
	PrinterOffline:      "принтер не отвечает — проверьте питание и кабель",
	PrinterError:        "ошибка принтера — проверьте отрезчик и замятие бумаги",
}

// Words returns the state as a sentence for the hall administrator.
func (p PrinterState) Words() string { return printerRu[p] }

// MaxDeviceDetail bounds the free text a device adds to its state.
const MaxDeviceDetail = 200

// MaxDeviceBoards bounds the window LED boards one device drives: a hall
// display serves at most a few dozen windows on its RS-485 lines.
const MaxDeviceBoards = 64

// DeviceState is a terminal's last report of its hardware. It is a live
// fact kept in memory: after a server restart it is unknown until the
// device reports again, which devices do on every change and on connecting.
type DeviceState struct {
	// Printer is a kiosk's ticket printer; empty for a device without one.
	Printer PrinterState `json:"printer,omitempty"`
	// Boards are the window LED boards a hall display drives.
	Boards []BoardState `json:"boards,omitempty"`
	// Detail is the device's own words for staff (a driver message); it
	// never goes to the public stream.
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at"` // when the server received it
}

// BoardState is whether a window's LED board answers its display.
type BoardState struct {
	Address  int    `json:"address"` // on the RS-485 line
	WindowID string `json:"window_id"`
	OK       bool   `json:"ok"`
	// Detail is the driver's words for staff; never on the public stream.
	Detail string `json:"detail,omitempty"`
}

// PadState is whether a window's call-button pad answers its operator
// panel, as the operator's panel last reported it. The panel is where the
// operator logs in as a person, so the report is the operator's, for the
// window they work at; it is kept only while that window is open.
type PadState struct {
	Address int  `json:"address"` // on the RS-485 line
	OK      bool `json:"ok"`
	// Detail is the driver's words for staff; never on the public stream.
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at"` // when the server received it
}

// Validate checks a report as a panel sends it.
func (p PadState) Validate() error {
	if err := checkAddress("пульта", p.Address); err != nil {
		return err
	}
	return checkDetail(p.Detail)
}

// Same reports whether two reports say the same, whenever they arrived.
func (p PadState) Same(o PadState) bool {
	return p.Address == o.Address && p.OK == o.OK && p.Detail == o.Detail
}

// Public is the state without the driver's free text.
func (p PadState) Public() PadState {
	p.Detail = ""
	return p
}

// checkAddress applies the rule of hardware/rs485.CheckAddress: one byte
// other than the frame delimiters 0x01 and 0x07.
func checkAddress(what string, a int) error {
	if a < 0 || a > 255 || a == 1 || a == 7 {
		return Errorf(CodeInvalid, "адрес %s %d невозможен на линии RS-485: от 0 до 255, кроме 1 и 7", what, a)
	}
	return nil
}

// Validate checks a report as a device sends it.
func (s DeviceState) Validate() error {
	if s.Printer != "" && printerRu[s.Printer] == "" {
		return Errorf(CodeInvalid, "состояние принтера %q неизвестно: ok, paper_near_end, paper_out, cover_open, offline или error", s.Printer)
	}
	if err := checkDetail(s.Detail); err != nil {
		return err
	}
	if len(s.Boards) > MaxDeviceBoards {
		return Errorf(CodeInvalid, "устройство может сообщить о %d табло окон, не больше", MaxDeviceBoards)
	}
	seen := map[int]bool{}
	for _, b := range s.Boards {
		if err := checkAddress("табло", b.Address); err != nil {
			return err
		}
		if seen[b.Address] {
			return Errorf(CodeInvalid, "адрес табло %d указан дважды", b.Address)
		}
		seen[b.Address] = true
		if err := validID("окна табло", b.WindowID); err != nil {
			return err
		}
		if err := checkDetail(b.Detail); err != nil {
			return err
		}
	}
	return nil
}

func checkDetail(d string) error {
	if !utf8.ValidString(d) || utf8.RuneCountInString(d) > MaxDeviceDetail {
		return Errorf(CodeInvalid, "пояснение к состоянию устройства — текст до %d символов", MaxDeviceDetail)
	}
	for _, r := range d {
		if r < 0x20 || r == 0x7f {
			return Errorf(CodeInvalid, "пояснение к состоянию устройства содержит управляющие символы")
		}
	}
	return nil
}

// OK reports whether the device needs nobody's attention.
func (s DeviceState) OK() bool {
	return (s.Printer == "" || s.Printer == PrinterOK) && !slices.ContainsFunc(s.Boards, func(b BoardState) bool { return !b.OK })
}

// Same reports whether two reports say the same, whenever they arrived.
func (s DeviceState) Same(o DeviceState) bool {
	return s.Printer == o.Printer && s.Detail == o.Detail && slices.Equal(s.Boards, o.Boards)
}

// Public is the state without the device's and the drivers' free text.
func (s DeviceState) Public() DeviceState {
	s.Detail = ""
	if s.Boards != nil {
		bs := make([]BoardState, len(s.Boards))
		for i, b := range s.Boards {
			b.Detail = ""
			bs[i] = b
		}
		s.Boards = bs
	}
	return s
}

// DefaultDeviceOfflineAfter is how long a device's stream may stay down
// before the office page raises an alert: a terminal restarting, or the
// server, reconnects well within it.
const DefaultDeviceOfflineAfter = time.Minute

// DeviceLink is a device's live stream as the server saw it since it
// started. Only a device that connected since then has one: an office
// pairs terminals it never runs, and those need nobody's attention.
type DeviceLink struct {
	Online bool      `json:"online"`
	Since  time.Time `json:"since"` // online since, or offline since
	// Alert says the device has been offline longer than the grace a
	// terminal has to reconnect.
	Alert bool `json:"alert,omitempty"`
}

// NewDeviceLink judges a device's stream at now, offline alerting only
// after grace.
func NewDeviceLink(online bool, since, now time.Time, grace time.Duration) DeviceLink {
	return DeviceLink{Online: online, Since: since, Alert: !online && now.Sub(since) > grace}
}
