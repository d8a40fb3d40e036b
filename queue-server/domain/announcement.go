package domain

import "time"

// Announcement is a text the office's administrator puts on the hall
// boards' running line, with an optional schedule. Boards evaluate the
// schedule themselves, so a text appears and goes on time without the
// server pushing anything at that moment.
type Announcement struct {
	ID       string `json:"id"`
	OfficeID string `json:"office_id"`
	Text     string `json:"text"`
	Enabled  bool   `json:"enabled"`
	Order    int    `json:"order,omitempty"`
	// From and Until bound the dates it runs; nil is open-ended.
	From  *time.Time `json:"from,omitempty"`
	Until *time.Time `json:"until,omitempty"`
	// Weekdays are ISO days, 1 Monday to 7 Sunday; none means every day.
	Weekdays []int `json:"weekdays,omitempty"`
	// DailyFrom and DailyUntil are "HH:MM" in office-local time; empty
	// means the whole day. An until before the from runs across midnight.
	DailyFrom  string    `json:"daily_from,omitempty"`
	DailyUntil string    `json:"daily_until,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ActiveAt reports whether the announcement runs at t in the office's zone
// loc. A daily time that is not "HH:MM" never runs: a board must not show
// a text whose schedule nobody can read.
func (a Announcement) ActiveAt(t time.Time, loc *time.Location) bool {
	if !a.Enabled || (a.From != nil && t.Before(*a.From)) || (a.Until != nil && !t.Before(*a.Until)) {
		return false
	}
	local := t.In(loc)
	if len(a.Weekdays) > 0 {
		iso := int(local.Weekday())
		if iso == 0 {
			iso = 7
		}
		found := false
		for _, d := range a.Weekdays {
			found = found || d == iso
		}
		if !found {
			return false
		}
	}
	if a.DailyFrom == "" && a.DailyUntil == "" {
		return true
	}
	from, until := 0, 24*60
	var err error
	if a.DailyFrom != "" {
		if from, err = parseClock(a.DailyFrom); err != nil {
			return false
		}
	}
	if a.DailyUntil != "" && a.DailyUntil != "24:00" {
		if until, err = parseClock(a.DailyUntil); err != nil {
			return false
		}
	}
	now := local.Hour()*60 + local.Minute()
	if until <= from {
		return now >= from || now < until
	}
	return now >= from && now < until
}
