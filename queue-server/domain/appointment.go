package domain

import "time"

// AppointmentStatus is where a booking is.
type AppointmentStatus string

const (
	AppointmentBooked    AppointmentStatus = "booked"
	AppointmentCheckedIn AppointmentStatus = "checked_in"
	AppointmentCancelled AppointmentStatus = "cancelled"
)

// Appointment is a pre-registration for a slot (предварительная запись).
// Name and Phone are personal data: they never go to the public stream.
type Appointment struct {
	ID        string            `json:"id"`
	OfficeID  string            `json:"office_id"`
	ServiceID string            `json:"service_id"`
	Code      string            `json:"code"` // the PIN the applicant enters at the kiosk
	Start     time.Time         `json:"start"`
	Minutes   int               `json:"minutes"`
	Status    AppointmentStatus `json:"status"`
	Source    string            `json:"source,omitempty"` // phone, office, portal
	Name      string            `json:"name,omitempty"`
	Phone     string            `json:"phone,omitempty"`
	TicketID  string            `json:"ticket_id,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
}

// NewAppointment is a booking request.
type NewAppointment struct {
	ServiceID string    `json:"service_id"`
	Start     time.Time `json:"start"`
	Source    string    `json:"source,omitempty"`
	Name      string    `json:"name,omitempty"`
	Phone     string    `json:"phone,omitempty"`
}

// Slot is a bookable interval of a service.
type Slot struct {
	Start    time.Time `json:"start"`
	Minutes  int       `json:"minutes"`
	Capacity int       `json:"capacity"`
	Free     int       `json:"free"`
}
