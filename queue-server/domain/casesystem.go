package domain

// What a case-management system (АИС МФЦ) asks of the queue beyond the
// operations terminals use: pools of the queue, the work of each operator,
// the office's hours, mean times, and tickets found by case number.

// Pool is a part of the queue that call-next can be narrowed to and the
// queue can be listed by.
type Pool string

const (
	PoolAll        Pool = ""           // the whole queue
	PoolPriority   Pool = "priority"   // out-of-turn tickets (a priority category), waiting or postponed
	PoolRedirected Pool = "redirected" // waiting after a redirect, also back from one with return
	PoolPostponed  Pool = "postponed"  // set aside; called only once their time is up
)

// Check refuses a pool that does not exist, naming those that do.
func (p Pool) Check() error {
	switch p {
	case PoolAll, PoolPriority, PoolRedirected, PoolPostponed:
		return nil
	}
	return Errorf(CodeInvalid, "очередь %q неизвестна: priority (льготные), redirected (перенаправленные) или postponed (отложенные)", string(p))
}

// Holds reports whether the ticket is in the pool now.
func (p Pool) Holds(t *Ticket) bool {
	switch p {
	case PoolPriority:
		return t.PriorityLevel > 0 && (t.Status == StatusWaiting || t.Status == StatusPostponed)
	case PoolRedirected:
		return t.Redirected && t.Status == StatusWaiting
	case PoolPostponed:
		return t.Status == StatusPostponed
	}
	return true
}

// TicketQuery finds tickets; CaseNumber is required.
type TicketQuery struct {
	CaseNumber string `json:"case_number"`
}

// OperatorRef names an operator by our id or by the case system's; empty
// names every operator of the office.
type OperatorRef struct {
	OperatorID   string `json:"operator_id,omitempty"`
	CaseSystemID string `json:"case_system_id,omitempty"`
}

// OperatorCounts is an operator's work today (office-local day) and now.
// Served counts services given (a finish, also one that sends the ticket
// back to its origin after a redirect with return); NoShow, Redirected and
// Postponed count tickets the operator marked, redirected or set aside from
// their window. ServiceMeanSeconds is the mean of those services, from the
// start of service (or the call) to the finish.
type OperatorCounts struct {
	OperatorID   string `json:"operator_id"`
	CaseSystemID string `json:"case_system_id,omitempty"`
	FullName     string `json:"full_name"`
	Day          string `json:"day"`

	Served             int `json:"served"`
	NoShow             int `json:"no_show"`
	Redirected         int `json:"redirected"`
	Postponed          int `json:"postponed"`
	ServiceMeanSeconds int `json:"service_mean_seconds"`

	// Where the operator works now: the window and its status (closed when
	// at no window), the ticket called or served there (InService 0 or 1).
	WindowID     string       `json:"window_id,omitempty"`
	WindowNumber int          `json:"window_number,omitempty"`
	Status       WindowStatus `json:"status"`
	InService    int          `json:"in_service"`
	TicketID     string       `json:"ticket_id,omitempty"`
	TicketNumber string       `json:"ticket_number,omitempty"`
	// Waiting is how many tickets call-next at the operator's window could
	// call now (0 at no window); WaitingForOperator how many of the queue
	// were redirected to this operator personally.
	Waiting            int `json:"waiting"`
	WaitingForOperator int `json:"waiting_for_operator"`
}

// OfficeHours is when an office and its services work: today first, then
// the week, Monday first.
type OfficeHours struct {
	OfficeID string         `json:"office_id"`
	TimeZone string         `json:"time_zone"`
	Day      string         `json:"day"`     // today, office-local, YYYY-MM-DD
	Weekday  int            `json:"weekday"` // ISO: 1 Monday … 7 Sunday
	OpenNow  bool           `json:"open_now"`
	Today    WeekdayHours   `json:"today"`
	Week     []WeekdayHours `json:"week"`
	// Services lists those with hours of their own, narrower than the office's.
	Services []ServiceHours `json:"services"`
}

// WeekdayHours is one weekday's hours; Closed when it has none.
type WeekdayHours struct {
	Weekday int    `json:"weekday"` // ISO: 1 Monday … 7 Sunday
	Name    string `json:"name"`
	Open    string `json:"open,omitempty"`
	Close   string `json:"close,omitempty"`
	Closed  bool   `json:"closed"`
}

// ServiceHours is the hours of a service that narrows the office's.
type ServiceHours struct {
	ServiceID string         `json:"service_id"`
	Name      string         `json:"name"`
	OpenNow   bool           `json:"open_now"`
	Today     WeekdayHours   `json:"today"`
	Week      []WeekdayHours `json:"week"`
}

// WeekdaysOf lays out a week Monday first, as ISO numbers it.
func WeekdaysOf(w Week) []WeekdayHours {
	out := make([]WeekdayHours, 0, 7)
	for iso := 1; iso <= 7; iso++ {
		out = append(out, WeekdayOf(w, iso))
	}
	return out
}

// WeekdayOf is the hours of one ISO weekday (1 Monday … 7 Sunday) of w.
func WeekdayOf(w Week, iso int) WeekdayHours {
	d := w[iso%7]
	return WeekdayHours{Weekday: iso, Name: weekdayRu[iso%7], Open: d.Open, Close: d.Close, Closed: d.Closed()}
}

// DefaultTimesWeeks and MaxTimesWeeks bound the weeks ServiceTimes averages
// weekdays over.
const (
	DefaultTimesWeeks = 4
	MaxTimesWeeks     = 53
)

// ServiceTimes is an office's mean wait and service times, from the
// statistics (see StatsMetrics for how each is counted): today, today by
// hour of issue (waits) or finish (service), and by weekday over From..To.
type ServiceTimes struct {
	OfficeID  string     `json:"office_id"`
	Day       string     `json:"day"`
	From      string     `json:"from"`
	To        string     `json:"to"`
	Today     TimesRow   `json:"today"`
	ByHour    []TimesRow `json:"by_hour"`
	ByWeekday []TimesRow `json:"by_weekday"`
}

// TimesRow is the times of one hour, weekday or day.
type TimesRow struct {
	Key                string  `json:"key"` // "09" for an hour, "1" … "7" for a weekday, the date for today
	Label              string  `json:"label"`
	Waited             int64   `json:"waited"`
	WaitMeanSeconds    float64 `json:"wait_mean_seconds"`
	ServiceCount       int64   `json:"service_count"`
	ServiceMeanSeconds float64 `json:"service_mean_seconds"`
}

// TimesOf is the times part of a statistics row.
func TimesOf(key, label string, m StatsMetrics) TimesRow {
	return TimesRow{Key: key, Label: label, Waited: m.Waited, WaitMeanSeconds: m.WaitMeanSeconds,
		ServiceCount: m.ServiceCount, ServiceMeanSeconds: m.ServiceMeanSeconds}
}
