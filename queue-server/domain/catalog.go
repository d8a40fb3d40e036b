package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Purpose is the purpose of a visit, handed to the case-management system with
// the ticket (Минэкономразвития recommendations, items 53–55).
type Purpose string

const (
	PurposeSubmit       Purpose = "submit"       // подать документы
	PurposeStatus       Purpose = "status"       // узнать статус
	PurposeResult       Purpose = "result"       // получить результат
	PurposeConsultation Purpose = "consultation" // консультация
)

var purposeWords = map[Purpose]string{
	PurposeSubmit:       "подать документы",
	PurposeStatus:       "узнать статус",
	PurposeResult:       "получить результат",
	PurposeConsultation: "консультация",
}

// Words names the purpose for people; "" for an unknown one.
func (p Purpose) Words() string { return purposeWords[p] }

func (p Purpose) valid() bool {
	_, ok := purposeWords[p]
	return ok
}

// DefaultWaitNormMinutes is the longest wait ПП РФ 1376 п.18б allows.
const DefaultWaitNormMinutes = 15

// Service is a node of the kiosk menu: a group (IsGroup) or a service that
// tickets are issued for. Groups only structure the menu.
type Service struct {
	ID       string `json:"id"`
	OfficeID string `json:"office_id"`
	ParentID string `json:"parent_id,omitempty"`
	IsGroup  bool   `json:"is_group,omitempty"`
	Name     string `json:"name"`
	Order    int    `json:"order,omitempty"` // position among siblings in the menu
	// Prefix is the ticket letter, e.g. "А" gives А001.
	Prefix  string  `json:"prefix,omitempty"`
	Purpose Purpose `json:"purpose,omitempty"`
	// Wait norms in minutes: for live tickets, and for appointments counted
	// from the appointment time.
	WaitNormMinutes        int `json:"wait_norm_minutes,omitempty"`
	AppointmentNormMinutes int `json:"appointment_norm_minutes,omitempty"`
	// Identifiers in the federal register of services (ФРГУ).
	FRGU FRGU `json:"frgu,omitzero"`
	// Hours, when set, narrow the office hours for this service.
	Hours *Week `json:"hours,omitempty"`
	// DailyLimit caps live tickets a day; 0 means no limit.
	DailyLimit int `json:"daily_limit,omitempty"`
	// TicketNote is printed on the ticket, e.g. which documents to prepare.
	TicketNote string `json:"ticket_note,omitempty"`
	// Pre-registration: slot length and how many applicants one slot takes; 0 disables booking.
	SlotMinutes  int `json:"slot_minutes,omitempty"`
	SlotCapacity int `json:"slot_capacity,omitempty"`
	// BookingHorizonDays is how far ahead appointments may be booked; 0
	// means DefaultBookingHorizonDays.
	BookingHorizonDays int  `json:"booking_horizon_days,omitempty"`
	Disabled           bool `json:"disabled,omitempty"`
}

// DefaultBookingHorizonDays bounds booking when a service sets no horizon.
const DefaultBookingHorizonDays = 30

// MaxBookingHorizonDays is the longest horizon a service may set.
const MaxBookingHorizonDays = 366

// BookingHorizon returns how many days ahead the service may be booked.
func (s Service) BookingHorizon() int {
	if s.BookingHorizonDays > 0 {
		return s.BookingHorizonDays
	}
	return DefaultBookingHorizonDays
}

// FRGU are a service's ids in the federal register; МКГУ ratings need them.
type FRGU struct {
	AuthorityID string `json:"authority_id,omitempty"`
	ServiceID   string `json:"service_id,omitempty"`
	PurposeID   string `json:"purpose_id,omitempty"`
	ProcedureID string `json:"procedure_id,omitempty"`
}

// WaitNorm returns the effective norm in minutes, the regulation's default when unset.
func (s Service) WaitNorm() int {
	if s.WaitNormMinutes > 0 {
		return s.WaitNormMinutes
	}
	return DefaultWaitNormMinutes
}

// Validate checks a service on its own; references are checked by the engine.
func (s Service) Validate() error {
	if err := validID("услуги", s.ID); err != nil {
		return err
	}
	if strings.TrimSpace(s.Name) == "" {
		return Errorf(CodeInvalid, "укажите название услуги")
	}
	if s.ParentID == s.ID {
		return Errorf(CodeInvalid, "услуга не может входить в саму себя")
	}
	if s.IsGroup {
		return nil
	}
	if n := utf8.RuneCountInString(s.Prefix); n < 1 || n > 2 || strings.Trim(s.Prefix, PrefixAlphabet) != "" {
		return Errorf(CodeInvalid, "буква талона услуги «%s» — одна или две заглавные русские буквы", s.Name)
	}
	if s.Purpose != "" && !s.Purpose.valid() {
		return Errorf(CodeInvalid, "цель визита %q неизвестна: submit, status, result или consultation", s.Purpose)
	}
	if s.WaitNormMinutes < 0 || s.AppointmentNormMinutes < 0 || s.DailyLimit < 0 || s.SlotMinutes < 0 || s.SlotCapacity < 0 {
		return Errorf(CodeInvalid, "нормативы, лимиты и параметры записи услуги «%s» не могут быть отрицательными", s.Name)
	}
	if s.BookingHorizonDays < 0 || s.BookingHorizonDays > MaxBookingHorizonDays {
		return Errorf(CodeInvalid, "запись на услугу «%s» можно открыть не больше чем на %d дней вперёд", s.Name, MaxBookingHorizonDays)
	}
	if (s.SlotMinutes > 0) != (s.SlotCapacity > 0) {
		return Errorf(CodeInvalid, "для предварительной записи на услугу «%s» задайте и длину слота, и число мест", s.Name)
	}
	return nil
}

// PrefixAlphabet is the letters a ticket prefix may use: the hall board's
// voice has a recorded name for each of them, and nothing else.
const PrefixAlphabet = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"

// Window is an operator workplace (окно, кабинет).
type Window struct {
	ID         string   `json:"id"`
	OfficeID   string   `json:"office_id"`
	Number     int      `json:"number"`
	Name       string   `json:"name,omitempty"` // e.g. "Окно 3" or "Кабинет 12"
	ServiceIDs []string `json:"service_ids"`
}

// Validate checks a window on its own.
func (w Window) Validate() error {
	if err := validID("окна", w.ID); err != nil {
		return err
	}
	if w.Number <= 0 {
		return Errorf(CodeInvalid, "номер окна должен быть положительным")
	}
	return nil
}

// Skill lets an operator serve a service; a higher Weight makes the operator
// prefer that service's tickets (the wait is multiplied by it when routing).
type Skill struct {
	ServiceID string `json:"service_id"`
	Weight    int    `json:"weight"`
}

// Operator is a specialist who serves applicants at windows.
type Operator struct {
	ID       string  `json:"id"`
	OfficeID string  `json:"office_id"`
	Login    string  `json:"login"`
	FullName string  `json:"full_name"`
	Position string  `json:"position,omitempty"`
	Skills   []Skill `json:"skills"`
	// CaseSystemID is the operator's id in the case-management system (АИС
	// МФЦ), unique within the office: a case system names operators by it.
	CaseSystemID string `json:"case_system_id,omitempty"`
}

// Validate checks an operator on its own.
func (o Operator) Validate() error {
	if err := validID("оператора", o.ID); err != nil {
		return err
	}
	if err := validID("входа", o.Login); err != nil {
		return err
	}
	if strings.TrimSpace(o.FullName) == "" {
		return Errorf(CodeInvalid, "укажите ФИО оператора")
	}
	if o.CaseSystemID != "" && !IsID(o.CaseSystemID) {
		return Errorf(CodeInvalid, "идентификатор оператора в АИС МФЦ %q может содержать только латинские буквы, цифры, точку, дефис и подчёркивание (до %d символов)", o.CaseSystemID, MaxIDLength)
	}
	for _, s := range o.Skills {
		if s.Weight < 1 || s.Weight > 10 {
			return Errorf(CodeInvalid, "вес навыка %q должен быть от 1 до 10", s.ServiceID)
		}
	}
	return nil
}

// DeviceKind says what a device terminal is.
type DeviceKind string

const (
	DeviceKiosk   DeviceKind = "kiosk"
	DeviceDisplay DeviceKind = "display"
	DeviceRating  DeviceKind = "rating"
	// DevicePanel is the computer at an operator's window: the operator logs
	// in on it as a person, and the machine itself, paired, drives the
	// window's call-button pad and LED board.
	DevicePanel DeviceKind = "panel"
)

// Device is a terminal that works unattended: kiosk, hall display, rating
// terminal. It authenticates with a credential of its own from pairing.
type Device struct {
	ID       string     `json:"id"`
	OfficeID string     `json:"office_id"`
	Kind     DeviceKind `json:"kind"`
	Name     string     `json:"name,omitempty"`
	WindowID string     `json:"window_id,omitempty"` // a rating terminal belongs to a window

	// Pairing state, kept by the server: a PUT cannot set it.
	PairingExpiresAt *time.Time `json:"pairing_expires_at,omitempty"` // a code is waiting to be used
	PairedAt         *time.Time `json:"paired_at,omitempty"`
	RevokedAt        *time.Time `json:"revoked_at,omitempty"`
	// Hashes of the pending code and of the credential's secret; never sent.
	PairingCodeHash string `json:"-"`
	CredentialHash  string `json:"-"`
	// State is the device's last report, filled in when devices are listed;
	// nil until it reports (and after a server restart). Never stored.
	State *DeviceState `json:"state,omitempty"`
	// Link is the device's live stream, filled in when devices are listed;
	// nil until it connects after a server start. Never stored.
	Link *DeviceLink `json:"link,omitempty"`
}

// Paired reports whether the device holds a working credential.
func (d Device) Paired() bool { return d.CredentialHash != "" }

// Validate checks a device on its own.
func (d Device) Validate() error {
	if err := validID("устройства", d.ID); err != nil {
		return err
	}
	switch d.Kind {
	case DeviceKiosk, DeviceDisplay:
	case DeviceRating, DevicePanel:
		if d.WindowID == "" {
			return Errorf(CodeInvalid, "терминал оценки и место оператора должны быть привязаны к окну")
		}
	default:
		return Errorf(CodeInvalid, "тип устройства %q неизвестен: kiosk, display, rating или panel", d.Kind)
	}
	return nil
}

// PriorityCategory is a category of applicants served out of turn
// (внеочередное обслуживание); the list differs by region, so it is data.
type PriorityCategory struct {
	ID       string `json:"id"`
	OfficeID string `json:"office_id"`
	Name     string `json:"name"`
	Level    int    `json:"level"` // higher is served first
}

// Validate checks a category on its own.
func (c PriorityCategory) Validate() error {
	if err := validID("категории", c.ID); err != nil {
		return err
	}
	if strings.TrimSpace(c.Name) == "" {
		return Errorf(CodeInvalid, "укажите название льготной категории")
	}
	if c.Level < 1 {
		return Errorf(CodeInvalid, "уровень льготной категории должен быть не меньше 1")
	}
	return nil
}
