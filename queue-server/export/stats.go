package export

import "github.com/talonqueue/talon/queue-server/domain"

// statsDimRu names the first column of a statistics table.
var statsDimRu = map[domain.StatsDim]string{
	domain.StatsByOffice:      "Офис",
	domain.StatsByService:     "Услуга",
	domain.StatsByPurpose:     "Цель визита",
	domain.StatsByOperator:    "Оператор",
	domain.StatsByWindow:      "Окно",
	domain.StatsByHour:        "Час прихода",
	domain.StatsByWeekday:     "День недели",
	domain.StatsByDay:         "День",
	domain.StatsByServiceHour: "Услуга, час прихода",
}

// statsColumns are the figures of a row, in the manager's words and units:
// times in minutes or hours, shares in percent.
var statsColumns = []struct {
	name  string
	value func(m domain.StatsMetrics) any
}{
	{"Выдано талонов", func(m domain.StatsMetrics) any { return m.Issued }},
	{"Обслужено", func(m domain.StatsMetrics) any { return m.Served }},
	{"Не явились", func(m domain.StatsMetrics) any { return m.NoShow }},
	{"Отменены", func(m domain.StatsMetrics) any { return m.Cancelled }},
	{"Перенаправлены", func(m domain.StatsMetrics) any { return m.Redirected }},
	{"Отложены", func(m domain.StatsMetrics) any { return m.Postponed }},
	{"Дождались вызова", func(m domain.StatsMetrics) any { return m.Waited }},
	{"Ожидание среднее, мин", func(m domain.StatsMetrics) any { return m.WaitMeanSeconds / 60 }},
	{"Ожидание медиана, мин", func(m domain.StatsMetrics) any { return float64(m.WaitMedianSeconds) / 60 }},
	{"Ожидание 90-й процентиль, мин", func(m domain.StatsMetrics) any { return float64(m.WaitP90Seconds) / 60 }},
	{"Ожидание наибольшее, мин", func(m domain.StatsMetrics) any { return float64(m.WaitMaxSeconds) / 60 }},
	{"В пределах нормы", func(m domain.StatsMetrics) any { return m.WithinNorm }},
	{"Сверх нормы", func(m domain.StatsMetrics) any { return m.OverNorm }},
	{"Доля сверх нормы, %", func(m domain.StatsMetrics) any { return m.OverNormShare * 100 }},
	{"Обслуживание среднее, мин", func(m domain.StatsMetrics) any { return m.ServiceMeanSeconds / 60 }},
	{"Обслуживание 90-й процентиль, мин", func(m domain.StatsMetrics) any { return float64(m.ServiceP90Seconds) / 60 }},
	{"Окна открыты, ч", func(m domain.StatsMetrics) any { return float64(m.OpenSeconds) / 3600 }},
	{"Обслуживание, ч", func(m domain.StatsMetrics) any { return float64(m.ServingSeconds) / 3600 }},
	{"Перерывы, ч", func(m domain.StatsMetrics) any { return float64(m.PausedSeconds) / 3600 }},
	{"Простой, ч", func(m domain.StatsMetrics) any { return float64(m.IdleSeconds) / 3600 }},
	{"Обслужено за час работы", func(m domain.StatsMetrics) any { return m.TicketsPerOperatorHour }},
	{"Ошибка прогноза ожидания, мин", func(m domain.StatsMetrics) any { return m.EstimateMAESeconds / 60 }},
	{"Прогноз точен до 5 мин, %", func(m domain.StatsMetrics) any { return m.EstimateWithin5Share * 100 }},
	{"Оценок", func(m domain.StatsMetrics) any { return m.RatingCount }},
	{"Средняя оценка", func(m domain.StatsMetrics) any { return m.RatingMean }},
}

// Stats is a statistics report as a table: one row per value of its
// dimension and a last row «Итого» for the whole period.
func Stats(r domain.StatsReport) Table {
	t := Table{
		Title:   "Статистика " + r.Query.From + " — " + r.Query.To,
		Columns: []string{statsDimRu[r.Query.By]},
	}
	for _, c := range statsColumns {
		t.Columns = append(t.Columns, c.name)
	}
	row := func(label string, m domain.StatsMetrics) []any {
		out := []any{label}
		for _, c := range statsColumns {
			out = append(out, c.value(m))
		}
		return out
	}
	for _, x := range r.Rows {
		t.Rows = append(t.Rows, row(x.Label, x.Metrics))
	}
	t.Rows = append(t.Rows, row("Итого", r.Total))
	return t
}
