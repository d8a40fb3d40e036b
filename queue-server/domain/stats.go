package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// StatsDim is what a statistics report breaks its rows down by.
type StatsDim string

const (
	StatsByOffice      StatsDim = "office"
	StatsByService     StatsDim = "service" // the queue the ticket was in
	StatsByPurpose     StatsDim = "purpose" // the service's purpose at issue
	StatsByOperator    StatsDim = "operator"
	StatsByWindow      StatsDim = "window"
	StatsByHour        StatsDim = "hour"         // "09": the office-local hour of day
	StatsByWeekday     StatsDim = "weekday"      // "1" Monday … "7" Sunday (ISO)
	StatsByDay         StatsDim = "day"          // "2026-12-02"
	StatsByServiceHour StatsDim = "service_hour" // "<service id>|09"
)

// StatsDims lists every dimension a report can be broken down by.
var StatsDims = []StatsDim{StatsByOffice, StatsByService, StatsByPurpose, StatsByOperator, StatsByWindow,
	StatsByHour, StatsByWeekday, StatsByDay, StatsByServiceHour}

// StatsQuery asks for a report over office-local days From..To, both
// included (YYYY-MM-DD), of the offices listed, with one row per value of By.
type StatsQuery struct {
	OfficeIDs []string `json:"office_ids"`
	From      string   `json:"from"`
	To        string   `json:"to"`
	By        StatsDim `json:"by"`
}

// StatsMetrics are the figures of a report row.
//
// Flows count at the moment they happen. Served counts services given: a
// finish, and also the finish of a ticket redirected with return, which then
// waits and is served again. Waits are counted once per ticket, at its first
// call, under the hour and day it was issued (an applicant who comes at 10
// waits this long) and the service it waited in; Waited is how many.
// Service times run from the start of service (or the call) to the finish
// and count under the finish. Operator times come from closed window
// sessions only: a session still open counts when it closes (live figures
// come from the live load). Quantiles and the minimum wait are exact to the
// histogram's step (the step's lower edge): 5 s below 10 minutes, 30 s
// below an hour, 5 minutes below 4 hours; the maximum is exact.
type StatsMetrics struct {
	Issued     int64 `json:"issued"`
	Served     int64 `json:"served"`
	NoShow     int64 `json:"no_show"`
	Cancelled  int64 `json:"cancelled"`
	Redirected int64 `json:"redirected"`
	Postponed  int64 `json:"postponed"`

	Waited            int64   `json:"waited"`
	WaitMeanSeconds   float64 `json:"wait_mean_seconds"`
	WaitMinSeconds    int64   `json:"wait_min_seconds"`
	WaitMedianSeconds int64   `json:"wait_median_seconds"`
	WaitP90Seconds    int64   `json:"wait_p90_seconds"`
	WaitMaxSeconds    int64   `json:"wait_max_seconds"`
	WithinNorm        int64   `json:"within_norm"`
	OverNorm          int64   `json:"over_norm"`
	OverNormShare     float64 `json:"over_norm_share"` // of Waited, 0..1

	ServiceCount       int64   `json:"service_count"`
	ServiceMeanSeconds float64 `json:"service_mean_seconds"`
	ServiceP90Seconds  int64   `json:"service_p90_seconds"`

	OpenSeconds    int64 `json:"open_seconds"`
	ServingSeconds int64 `json:"serving_seconds"` // from the call to the ticket leaving the window
	PausedSeconds  int64 `json:"paused_seconds"`
	IdleSeconds    int64 `json:"idle_seconds"` // open, neither serving nor on a break
	// TicketsPerOperatorHour is Served per hour of open window sessions.
	TicketsPerOperatorHour float64 `json:"tickets_per_operator_hour"`

	// How good the wait printed on the ticket was: at each first call, the
	// estimate given at issue against the real wait.
	EstimateCount        int64   `json:"estimate_count"`
	EstimateMAESeconds   float64 `json:"estimate_mae_seconds"`
	EstimateWithin5Share float64 `json:"estimate_within5_share"` // |estimate − wait| ≤ 5 minutes, 0..1

	// RatingCount counts ratings with at least one answer; RatingMean is
	// the mean score (1..5) of all their answers, Indicators per indicator.
	RatingCount int64                `json:"rating_count"`
	RatingMean  float64              `json:"rating_mean"`
	Indicators  []StatsIndicatorMean `json:"indicators,omitempty"`
}

// StatsIndicatorMean is the mean score of one rating form indicator.
type StatsIndicatorMean struct {
	IndicatorID string  `json:"indicator_id"`
	Count       int64   `json:"count"`
	Mean        float64 `json:"mean"`
}

// StatsRow is one value of the report's dimension. Key is the value
// (a service id, "09", "2026-12-02"…); Label its name for people.
type StatsRow struct {
	Key     string       `json:"key"`
	Label   string       `json:"label"`
	Metrics StatsMetrics `json:"metrics"`
}

// StatsReport answers a StatsQuery: the whole period and its rows, ordered by key.
type StatsReport struct {
	Query StatsQuery   `json:"query"`
	Total StatsMetrics `json:"total"`
	Rows  []StatsRow   `json:"rows"`
}

var (
	weekdayWords = [...]string{"понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"}
	weekdayShort = [...]string{"пн", "вт", "ср", "чт", "пт", "сб", "вс"}
)

// Label names a report row's key of this dimension for people: hours,
// weekdays, days and purposes in words; offices, services, operators and
// windows by name, which only the caller knows ("" when it does not, and
// the key stays).
func (d StatsDim) Label(key string, name func(StatsDim, string) string) string {
	switch d {
	case StatsByHour:
		if h, err := strconv.Atoi(key); err == nil {
			return fmt.Sprintf("%02d:00–%02d:00", h, h+1)
		}
	case StatsByWeekday:
		if n, err := strconv.Atoi(key); err == nil && n >= 1 && n <= 7 {
			return weekdayWords[n-1]
		}
	case StatsByDay:
		if t, err := time.Parse(time.DateOnly, key); err == nil {
			return t.Format("02.01.2006") + ", " + weekdayShort[(int(t.Weekday())+6)%7]
		}
	case StatsByPurpose:
		if w := Purpose(key).Words(); w != "" {
			return w
		}
	case StatsByServiceHour:
		if service, hour, ok := strings.Cut(key, "|"); ok {
			return StatsByService.Label(service, name) + ", " + StatsByHour.Label(hour, name)
		}
	default:
		if n := name(d, key); n != "" {
			return n
		}
	}
	return key
}
