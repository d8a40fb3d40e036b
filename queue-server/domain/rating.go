package domain

import "time"

// The types of issue 9's ratings contract, copied so the rating terminal
// compiles on its own branch; the server's rating.go replaces this file at
// merge.

// Rating events: a window finished a ticket, so its rating terminal asks
// for a rating; and a ticket was rated.
const (
	EventRatingRequested EventType = "rating.requested"
	EventTicketRated     EventType = "ticket.rated"
)

// RatingValue is one point of an indicator's scale.
type RatingValue struct {
	ID    string `json:"id"`    // the form's value id, e.g. "41"
	Score int    `json:"score"` // 1..5
	Label string `json:"label"` // «Очень плохо» … «Отлично»
}

// RatingIndicator is one question of the form.
type RatingIndicator struct {
	ID     string        `json:"id"`   // the form's indicator id, e.g. "9"
	Name   string        `json:"name"` // «Время предоставления услуги» …
	Values []RatingValue `json:"values"`
}

// RatingForm is a version of the МКГУ form.
type RatingForm struct {
	ID         string            `json:"id"`      // "mkgu"
	Version    string            `json:"version"` // "0.0.4"
	Indicators []RatingIndicator `json:"indicators"`
	Current    bool              `json:"current"`
}

// RatingAnswer is one indicator answered.
type RatingAnswer struct {
	IndicatorID string `json:"indicator_id"`
	ValueID     string `json:"value_id"`
	Score       int    `json:"score"` // filled by the server from the form
}

// RatingRequest is what a rating terminal needs to ask for a rating: no
// applicant data.
type RatingRequest struct {
	OfficeID     string     `json:"office_id"`
	WindowID     string     `json:"window_id"`
	TicketID     string     `json:"ticket_id"`
	TicketNumber string     `json:"ticket_number"`
	ServiceName  string     `json:"service_name"`
	FinishedAt   time.Time  `json:"finished_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	Form         RatingForm `json:"form"`
}

// NewRating is what a terminal submits.
type NewRating struct {
	TicketID     string         `json:"ticket_id"`
	FormID       string         `json:"form_id"`
	FormVersion  string         `json:"form_version"`
	Answers      []RatingAnswer `json:"answers"` // any subset of the indicators; empty = skipped all
	Phone        string         `json:"phone,omitempty"`
	PhoneConsent bool           `json:"phone_consent,omitempty"`
}

// Rating is a stored rating, its phone masked.
type Rating struct {
	ID           string         `json:"id"`
	OfficeID     string         `json:"office_id"`
	WindowID     string         `json:"window_id"`
	OperatorID   string         `json:"operator_id"`
	ServiceID    string         `json:"service_id"`
	Purpose      Purpose        `json:"purpose,omitempty"`
	TicketID     string         `json:"ticket_id"`
	TicketNumber string         `json:"ticket_number"`
	FormID       string         `json:"form_id"`
	FormVersion  string         `json:"form_version"`
	Answers      []RatingAnswer `json:"answers"`
	PhoneMasked  string         `json:"phone,omitempty"`
	ServedAt     time.Time      `json:"served_at"`
	RatedAt      time.Time      `json:"rated_at"`
}
