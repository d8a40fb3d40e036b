package domain

import (
	"strings"
	"time"
)

// Ratings of the service by applicants (ПП РФ 1284, ИАС МКГУ «Ваш
// контроль»). The indicators, their value ids and labels come from the
// stored МКГУ form (RatingForm), never from code: the form changes by
// version and every rating keeps the version it was given on.

// RatingValue is one answer an indicator offers.
type RatingValue struct {
	ID    string `json:"id"`    // the form's value id, e.g. "41"
	Score int    `json:"score"` // 1..5
	Label string `json:"label"` // «Очень плохо» … «Отлично»
}

// RatingIndicator is one question of the form.
type RatingIndicator struct {
	ID     string        `json:"id"`     // the form's indicator id, e.g. "9"
	Name   string        `json:"name"`   // «Время предоставления услуги» …
	Values []RatingValue `json:"values"` // five, scores 1..5
}

// RatingForm is a version of the МКГУ form. Current marks the one
// terminals show and ratings are checked against.
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

// RatingRequest is what a rating terminal needs to ask for a rating: no
// applicant data.
type RatingRequest struct {
	OfficeID     string    `json:"office_id"`
	WindowID     string    `json:"window_id"`
	TicketID     string    `json:"ticket_id"`
	TicketNumber string    `json:"ticket_number"`
	ServiceName  string    `json:"service_name"`
	FinishedAt   time.Time `json:"finished_at"`
	ExpiresAt    time.Time `json:"expires_at"` // finished_at + the office's rating window
	// FormID and FormVersion name the form to show. Form is the form itself
	// in the answer of GET .../ratings/pending only: the rating.requested
	// event carries its id and version, and a terminal reads the form once
	// per version (GET .../rating-forms/current). Embedded, the form was
	// 2.2 KB of every finish's event, 38 % of a day's event bytes, stored
	// and streamed to every board.
	FormID      string     `json:"form_id"`
	FormVersion string     `json:"form_version"`
	Form        RatingForm `json:"form,omitzero"`
}

// NewRating is what a terminal submits.
type NewRating struct {
	TicketID    string         `json:"ticket_id"` // or the ticket's QR payload's id
	FormID      string         `json:"form_id"`
	FormVersion string         `json:"form_version"`
	Answers     []RatingAnswer `json:"answers"` // any subset of the indicators, each at most once; empty = skipped all
	// Phone is a mobile for the SMS survey, +79XXXXXXXXX; other spellings
	// of a Russian mobile (8 9…, 9…, with spaces, dashes, brackets) are
	// accepted and normalised.
	Phone        string `json:"phone,omitempty"`
	PhoneConsent bool   `json:"phone_consent,omitempty"` // required when Phone is set
}

// Rating is a stored rating as it is shown: the phone only masked.
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
	PhoneMasked  string         `json:"phone,omitempty"` // "+7 9** ***-**-67"; the full number is never in JSON
	ServedAt     time.Time      `json:"served_at"`       // the ticket's finish
	RatedAt      time.Time      `json:"rated_at"`
}

// RatingRecord is a rating as the store keeps it: the full phone stays
// here, and only here, for the SMS survey until it is purged (after the
// server's personal-data retention time, as bookings' phones are, or
// earlier by the МКГУ export once delivered). It never goes into events,
// the journal or an answer.
type RatingRecord struct {
	Rating Rating `json:"rating"`
	Phone  string `json:"phone,omitempty"` // +79XXXXXXXXX
	// Day is the office-local day of the service, the store's key.
	Day string `json:"day"`
}

// DefaultRatingMinutes is how long after the finish a ticket may be rated
// when the office sets no Office.RatingMinutes.
const DefaultRatingMinutes = 15

// RatingWindow is how long after the finish the office takes ratings.
func (o Office) RatingWindow() time.Duration {
	if o.RatingMinutes > 0 {
		return time.Duration(o.RatingMinutes) * time.Minute
	}
	return DefaultRatingMinutes * time.Minute
}

// Validate checks a submitted rating on its own; the engine checks it
// against the ticket and the current form.
func (r NewRating) Validate() error {
	if r.TicketID == "" {
		return Errorf(CodeInvalid, "укажите талон, который оценивается")
	}
	if !IsID(r.TicketID) {
		return Errorf(CodeInvalid, "идентификатор талона %q набран с ошибкой", r.TicketID)
	}
	seen := map[string]bool{}
	for _, a := range r.Answers {
		if a.IndicatorID == "" || a.ValueID == "" {
			return Errorf(CodeInvalid, "в каждом ответе укажите показатель и выбранное значение")
		}
		if seen[a.IndicatorID] {
			return Errorf(CodeInvalid, "показатель %s оценён дважды: каждый оценивается не больше одного раза", a.IndicatorID)
		}
		seen[a.IndicatorID] = true
	}
	if r.Phone != "" {
		if _, err := NormalizePhone(r.Phone); err != nil {
			return err
		}
		if !r.PhoneConsent {
			return Errorf(CodeInvalid, "чтобы оставить номер телефона для опроса, нужно согласие на обработку персональных данных")
		}
	}
	return nil
}

// NormalizePhone turns a Russian mobile number into +79XXXXXXXXX.
func NormalizePhone(s string) (string, error) {
	var digits strings.Builder
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits.WriteRune(c)
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '\u00a0', c == '+' && i == 0:
		default:
			return "", errPhone()
		}
	}
	d := digits.String()
	switch {
	case len(d) == 11 && (d[0] == '7' || d[0] == '8') && !strings.HasPrefix(s, "+8"):
		d = d[1:]
	case len(d) == 10 && !strings.HasPrefix(s, "+"):
	default:
		return "", errPhone()
	}
	if d[0] != '9' {
		return "", errPhone()
	}
	return "+7" + d, nil
}

func errPhone() error {
	return Errorf(CodeInvalid, "номер мобильного телефона должен быть российским: +7 9XX XXX-XX-XX")
}

// MaskPhone shows a normalised phone the way people may see it: only the
// last two digits, "+7 9** ***-**-67".
func MaskPhone(p string) string {
	if len(p) != 12 || !strings.HasPrefix(p, "+79") {
		return ""
	}
	return "+7 9** ***-**-" + p[10:]
}

// Validate checks a form: ids, five values per indicator, scores 1..5.
func (f RatingForm) Validate() error {
	if !IsID(f.ID) || f.Version == "" {
		return Errorf(CodeInvalid, "у формы оценки должны быть идентификатор и версия")
	}
	if len(f.Indicators) == 0 {
		return Errorf(CodeInvalid, "в форме оценки %s %s нет показателей", f.ID, f.Version)
	}
	values := map[string]bool{}
	for _, in := range f.Indicators {
		if in.ID == "" || strings.TrimSpace(in.Name) == "" {
			return Errorf(CodeInvalid, "у показателя формы оценки должны быть идентификатор и название")
		}
		scores := map[int]bool{}
		for _, v := range in.Values {
			if v.ID == "" || values[v.ID] || v.Score < 1 || v.Score > 5 || scores[v.Score] {
				return Errorf(CodeInvalid, "значения показателя «%s»: у каждого свой идентификатор и своя оценка от 1 до 5", in.Name)
			}
			values[v.ID], scores[v.Score] = true, true
		}
	}
	return nil
}

// Score checks answers against the form and returns them with their
// scores, in the form's order of indicators.
func (f RatingForm) Score(answers []RatingAnswer) ([]RatingAnswer, error) {
	byIndicator := map[string]RatingAnswer{}
	for _, a := range answers {
		if _, dup := byIndicator[a.IndicatorID]; dup {
			return nil, Errorf(CodeInvalid, "показатель %s оценён дважды: каждый оценивается не больше одного раза", a.IndicatorID)
		}
		byIndicator[a.IndicatorID] = a
	}
	out := make([]RatingAnswer, 0, len(answers))
	for _, in := range f.Indicators {
		a, ok := byIndicator[in.ID]
		if !ok {
			continue
		}
		delete(byIndicator, in.ID)
		found := false
		for _, v := range in.Values {
			if v.ID == a.ValueID {
				out = append(out, RatingAnswer{IndicatorID: in.ID, ValueID: v.ID, Score: v.Score})
				found = true
			}
		}
		if !found {
			return nil, Errorf(CodeInvalid, "у показателя «%s» нет значения %s в форме %s %s", in.Name, a.ValueID, f.ID, f.Version)
		}
	}
	for id := range byIndicator {
		return nil, Errorf(CodeInvalid, "показателя %s нет в форме оценки %s %s", id, f.ID, f.Version)
	}
	return out, nil
}

// RatingQuery narrows a summary: the period [From, To) of the service's
// finish, and optionally one service, operator or window. GroupBy splits
// the summary into groups by "service", "operator", "window" or "day"
// (office-local); empty gives the total only.
type RatingQuery struct {
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	ServiceID  string    `json:"service_id,omitempty"`
	OperatorID string    `json:"operator_id,omitempty"`
	WindowID   string    `json:"window_id,omitempty"`
	GroupBy    string    `json:"group_by,omitempty"`
}

// Groupings a RatingQuery may ask for.
var RatingGroupings = []string{"service", "operator", "window", "day"}

// RatingSummary is what a manager sees of the ratings of a period: the
// total, and the groups the query asked for, largest Served first.
type RatingSummary struct {
	Query  RatingQuery   `json:"query"`
	Total  RatingTally   `json:"total"`
	Groups []RatingTally `json:"groups,omitempty"`
}

// RatingTally sums the ratings of one group. Served counts the services
// finished at a window in the period (a ticket redirected and served at
// two windows counts twice), Rated the ratings of them, and ResponseRate
// is Rated ÷ Served (0 when nothing was served).
type RatingTally struct {
	Key          string           `json:"key,omitempty"` // the service, operator or window id, or the day
	Served       int              `json:"served"`
	Rated        int              `json:"rated"`
	ResponseRate float64          `json:"response_rate"`
	Indicators   []IndicatorTally `json:"indicators"`
}

// IndicatorTally is one indicator's answers: how many gave it a value,
// their average score, and Distribution[i], the number of scores i+1.
type IndicatorTally struct {
	IndicatorID  string  `json:"indicator_id"`
	Name         string  `json:"name"`
	Answers      int     `json:"answers"`
	Average      float64 `json:"average"`
	Distribution [5]int  `json:"distribution"`
}
