package queue

import (
	"context"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
)

// GetStats reads the report from the store's rollups outside the writer;
// the engine only authorizes it and names its rows.
func (s *Service) GetStats(ctx context.Context, q domain.StatsQuery) (domain.StatsReport, error) {
	q, err := read(s, func(e *engine.Engine) (domain.StatsQuery, error) {
		err := e.StatsScope(actor(ctx), &q)
		return q, err
	})
	if err != nil {
		return domain.StatsReport{}, err
	}
	r, err := s.store.Stats(ctx, q)
	if err != nil {
		return domain.StatsReport{}, err
	}
	return read(s, func(e *engine.Engine) (domain.StatsReport, error) {
		e.LabelStats(&r)
		return r, nil
	})
}

// GetServiceTimes is two statistics reports of the office cut down to
// times: today by hour, and the weekdays of the last weeks up to today.
func (s *Service) GetServiceTimes(ctx context.Context, officeID string, weeks int) (domain.ServiceTimes, error) {
	if weeks == 0 {
		weeks = domain.DefaultTimesWeeks
	}
	if weeks < 1 || weeks > domain.MaxTimesWeeks {
		return domain.ServiceTimes{}, domain.Errorf(domain.CodeInvalid, "число недель — от 1 до %d", domain.MaxTimesWeeks)
	}
	hours, err := s.GetStats(ctx, domain.StatsQuery{OfficeIDs: []string{officeID}, By: domain.StatsByHour})
	if err != nil {
		return domain.ServiceTimes{}, err
	}
	today := hours.Query.From
	day, err := time.Parse(time.DateOnly, today)
	if err != nil {
		return domain.ServiceTimes{}, domain.Internal(err, "service times")
	}
	from := day.AddDate(0, 0, 1-7*weeks).Format(time.DateOnly)
	days, err := s.GetStats(ctx, domain.StatsQuery{OfficeIDs: []string{officeID}, From: from, To: today, By: domain.StatsByWeekday})
	if err != nil {
		return domain.ServiceTimes{}, err
	}
	st := domain.ServiceTimes{OfficeID: officeID, Day: today, From: from, To: today,
		Today: domain.TimesOf(today, "сегодня", hours.Total), ByHour: timesRows(hours), ByWeekday: timesRows(days)}
	return st, nil
}

func timesRows(r domain.StatsReport) []domain.TimesRow {
	out := make([]domain.TimesRow, len(r.Rows))
	for i, row := range r.Rows {
		out[i] = domain.TimesOf(row.Key, row.Label, row.Metrics)
	}
	return out
}
