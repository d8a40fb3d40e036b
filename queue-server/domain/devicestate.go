package domain

import (
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

// DeviceState is a terminal's last report of its hardware. It is a live
// fact kept in memory: after a server restart it is unknown until the
// device reports again, which kiosks do on every change and on connecting.
type DeviceState struct {
	Printer PrinterState `json:"printer"`
	// Detail is the device's own words for staff (a driver message); it
	// never goes to the public stream.
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at"` // when the server received it
}

// Validate checks a report as a device sends it.
func (s DeviceState) Validate() error {
	if printerRu[s.Printer] == "" {
		return Errorf(CodeInvalid, "состояние принтера %q неизвестно: ok, paper_near_end, paper_out, cover_open, offline или error", s.Printer)
	}
	if !utf8.ValidString(s.Detail) || utf8.RuneCountInString(s.Detail) > MaxDeviceDetail {
		return Errorf(CodeInvalid, "пояснение к состоянию устройства — текст до %d символов", MaxDeviceDetail)
	}
	for _, r := range s.Detail {
		if r < 0x20 || r == 0x7f {
			return Errorf(CodeInvalid, "пояснение к состоянию устройства содержит управляющие символы")
		}
	}
	return nil
}

// OK reports whether the device needs nobody's attention.
func (s DeviceState) OK() bool { return s.Printer == PrinterOK }

// Public is the state without the device's free text.
func (s DeviceState) Public() DeviceState {
	s.Detail = ""
	return s
}
