package domain

import "time"

// RatingValue is one answer a form offers for an indicator.
type RatingValue struct {
	ID    string `json:"id"`    // the form's value id, e.g. "41"
	Score int    `json:"score"` // 1..5
	Label string `json:"label"` // «Очень плохо» … «Отлично»
}

// RatingIndicator is one question of a rating form.
type RatingIndicator struct {
	ID     string        `json:"id"`     // the form's indicator id, e.g. "9"
	Name   string        `json:"name"`   // «Время предоставления услуги» …
	Values []RatingValue `json:"values"` // five, scores 1..5
}

// RatingForm is a version of the МКГУ form.
type RatingForm struct {
	ID         string            `json:"id"`      // "mkgu"
	Version    string            `json:"version"` // "0.0.4"
	Indicators []RatingIndicator `json:"indicators"`
	Current    bool              `json:"current"`
}

// RatingAnswer is the value chosen for one indicator.
type RatingAnswer struct {
	IndicatorID string `json:"indicator_id"`
	ValueID     string `json:"value_id"`
	Score       int    `json:"score"` // filled by the server from the form
}

// RatingRequest is what a rating terminal needs to ask for a rating: no applicant data.
type RatingRequest struct {
	OfficeID     string     `json:"office_id"`
	WindowID     string     `json:"window_id"`
	TicketID     string     `json:"ticket_id"`
	TicketNumber string     `json:"ticket_number"`
	ServiceName  string     `json:"service_name"`
	FinishedAt   time.Time  `json:"finished_at"`
	ExpiresAt    time.Time  `json:"expires_at"` // finished_at + the office's rating window
	Form         RatingForm `json:"form"`
}

// NewRating is what a terminal submits.
type NewRating struct {
	TicketID     string         `json:"ticket_id"`
	FormID       string         `json:"form_id"`
	FormVersion  string         `json:"form_version"`
	Answers      []RatingAnswer `json:"answers"`
	Phone        string         `json:"phone,omitempty"`
	PhoneConsent bool           `json:"phone_consent,omitempty"`
}

// Rating is a stored rating of one served ticket.
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
