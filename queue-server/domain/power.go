package domain

import (
	"fmt"
	"strings"
	"time"
)

// PowerStatus is the server's power as its UPS reports it.
type PowerStatus string

const (
	PowerOnline    PowerStatus = "online"
	PowerOnBattery PowerStatus = "on_battery"
	// PowerLowBattery: the battery is about to run out and the server is
	// shutting down.
	PowerLowBattery PowerStatus = "low_battery"
	// PowerUnknown: the UPS cannot be read, so a power cut would come
	// without warning. Staff business: terminals in the hall do not show it.
	PowerUnknown PowerStatus = "unknown"
)

// PowerState is the server's power: a live fact of the whole server, the
// same in every office, kept in memory. Without a UPS configured, and
// after a restart until the UPS is first read, there is none.
type PowerState struct {
	Status PowerStatus `json:"status"`
	// Charge is the battery's charge in percent, -1 when the UPS does not
	// say; RuntimeSeconds what the UPS expects it to last, -1 likewise.
	Charge         int `json:"charge"`
	RuntimeSeconds int `json:"runtime_seconds"`
	// UPS names the UPS (NAME@HOST:PORT) for staff.
	UPS string    `json:"ups,omitempty"`
	At  time.Time `json:"at"` // when the server learned it
}

// Same reports whether two states say the same, whenever they were learned.
func (p PowerState) Same(o PowerState) bool {
	return p.Status == o.Status && p.Charge == o.Charge && p.RuntimeSeconds == o.RuntimeSeconds && p.UPS == o.UPS
}

// Words says a state that needs attention in a sentence for staff:
// «Сервер работает от ИБП: заряд 85 %, осталось около 20 мин. …»; "" on line.
func (p PowerState) Words() string {
	b := p.battery()
	switch p.Status {
	case PowerOnBattery:
		if b != "" {
			b = ": " + b
		}
		return "Сервер работает от ИБП" + b + ". Сохраняйте работу: при разряде батареи сервер выключится."
	case PowerLowBattery:
		if b != "" {
			b = " (" + b + ")"
		}
		return "Батарея ИБП разряжена" + b + ": сервер очереди выключается."
	case PowerUnknown:
		return "Нет связи с ИБП сервера: об отключении питания никто не предупредит. Проверьте upsd и кабель ИБП."
	}
	return ""
}

// battery is "заряд 85 %, осталось около 20 мин", as much as is known.
func (p PowerState) battery() string {
	var parts []string
	if p.Charge >= 0 {
		parts = append(parts, fmt.Sprintf("заряд %d %%", p.Charge))
	}
	if p.RuntimeSeconds >= 0 {
		parts = append(parts, fmt.Sprintf("осталось около %d мин", (p.RuntimeSeconds+59)/60))
	}
	return strings.Join(parts, ", ")
}

// Public is the state as the hall's terminals may see it: not which UPS.
func (p PowerState) Public() PowerState {
	p.UPS = ""
	return p
}
