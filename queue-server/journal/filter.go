package journal

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Formats of an answer.
const (
	FormatJSON = "json"
	FormatCSV  = "csv"
)

// DefaultLimit and MaxLimit bound one answer.
const (
	DefaultLimit = 1000
	MaxLimit     = 10_000
)

// FilterParams are the query parameters Parse reads.
var FilterParams = []string{"from", "to", "actor", "ticket", "format", "limit"}

// Filter is a parsed journal request.
type Filter struct {
	Query  domain.JournalQuery
	Format string
}

// Parse reads the journal filter from query parameters. from and to are
// dates (YYYY-MM-DD, days of loc; to includes its whole day) or RFC 3339
// times (to is then exclusive). actor is a login, ticket a ticket id, format
// json or csv, limit 1..MaxLimit.
func Parse(q url.Values, loc *time.Location) (Filter, error) {
	f := Filter{Format: FormatJSON, Query: domain.JournalQuery{Limit: DefaultLimit}}
	for name, vs := range q {
		if len(vs) > 1 {
			return f, domain.Errorf(domain.CodeInvalid, "параметр %s указан несколько раз", name)
		}
	}
	var err error
	if f.Query.From, f.Query.To, err = ParsePeriod(q, loc); err != nil {
		return f, err
	}
	f.Query.Actor = q.Get("actor")
	if f.Query.Actor != "" && !domain.IsActorLogin(f.Query.Actor) {
		return f, domain.Errorf(domain.CodeInvalid, "параметр actor должен быть логином (латинские буквы, цифры, точка, дефис и подчёркивание, до 64 символов), устройством (kiosk1@demo) или интеграцией (integration:ais)")
	}
	f.Query.TicketID = q.Get("ticket")
	if f.Query.TicketID != "" && !domain.IsID(f.Query.TicketID) {
		return f, domain.Errorf(domain.CodeInvalid, "параметр ticket должен быть идентификатором талона")
	}
	switch format := strings.ToLower(q.Get("format")); format {
	case "", FormatJSON:
	case FormatCSV:
		f.Format = FormatCSV
	default:
		return f, domain.Errorf(domain.CodeInvalid, "формат %q неизвестен: json или csv", q.Get("format"))
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return f, domain.Errorf(domain.CodeInvalid, "параметр limit должен быть целым числом от 1 до %d", MaxLimit)
		}
		f.Query.Limit = n
	}
	return f, nil
}

// ParsePeriod reads the period of the from and to parameters, as Parse
// does; either may be empty (the zero time).
func ParsePeriod(q url.Values, loc *time.Location) (from, to time.Time, err error) {
	if from, err = parseTime("from", q.Get("from"), loc, false); err != nil {
		return from, to, err
	}
	if to, err = parseTime("to", q.Get("to"), loc, true); err != nil {
		return from, to, err
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return from, to, domain.Errorf(domain.CodeInvalid, "начало периода (from) должно быть раньше его конца (to)")
	}
	return from, to, nil
}

// parseTime reads a date or an RFC 3339 time; a date as the end of a period
// means the end of that day.
func parseTime(name, s string, loc *time.Location, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil && len(s) == len(time.DateOnly) {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, domain.Errorf(domain.CodeInvalid,
			"параметр %s должен быть датой ГГГГ-ММ-ДД или временем RFC 3339, например 2026-11-23 или 2026-11-23T09:00:00+03:00", name)
	}
	return t, nil
}

// Matches reports whether r passes q, for stores that filter while reading.
func Matches(q domain.JournalQuery, r domain.JournalRecord) bool {
	return (q.From.IsZero() || !r.At.Before(q.From)) &&
		(q.To.IsZero() || r.At.Before(q.To)) &&
		(q.Actor == "" || r.Actor == q.Actor) &&
		(q.TicketID == "" || r.TicketID == q.TicketID)
}
