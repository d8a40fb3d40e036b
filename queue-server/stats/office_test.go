package stats_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
	"github.com/talonqueue/talon/queue-server/store"
)

var msk = mustZone("Europe/Moscow")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// office drives the real engine with a hand-moved clock and commits every
// operation through a real store, as the queue service does.
type office struct {
	t    testing.TB
	e    *engine.Engine
	st   *store.Store
	now  time.Time
	ids  int
	form domain.RatingForm

	kiosk, hall, op1, op2, r1, r2 domain.Actor
}

const officeID = "o1"

// newOffice is an office open 08:00-20:00 every day with two services
// (passport: norm 15 minutes, 10 for appointments, purpose "submit";
// realty: norm 20 minutes, "consultation"), window w1 serving both to
// operator op1, w2 realty to op2, a kiosk and a rating terminal per window.
func newOffice(t testing.TB) *office {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "talon.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	o := &office{t: t, st: st, now: time.Date(2026, 11, 1, 7, 0, 0, 0, msk)}
	err = st.Load(context.Background(), "", func(state domain.State) error {
		for _, f := range state.RatingForms {
			if f.Current {
				o.form = f
			}
		}
		var err error
		o.e, err = engine.Load(engine.Config{
			Now:            func() time.Time { return o.now },
			NewID:          func() string { o.ids++; return fmt.Sprintf("id%d", o.ids) },
			NewCode:        func() string { o.ids++; return fmt.Sprintf("%06d", 100000+o.ids) },
			NewStatusToken: func() string { o.ids++; return fmt.Sprintf("token%032d", o.ids) },
			TZ:             time.LoadLocation,
		}, state)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sys := domain.System
	day := domain.DayHours{Open: "08:00", Close: "20:00"}
	do(o, func(ch *domain.Changes) (domain.Office, error) {
		return o.e.PutOffice(sys, domain.Office{ID: officeID, Name: "Офис", TimeZone: "Europe/Moscow", Hours: domain.Week{day, day, day, day, day, day, day}}, ch)
	})
	do(o, func(ch *domain.Changes) (domain.Service, error) {
		return o.e.PutService(sys, domain.Service{ID: "pass", OfficeID: officeID, Name: "Паспорт", Prefix: "А", Purpose: domain.PurposeSubmit,
			WaitNormMinutes: 15, AppointmentNormMinutes: 10, SlotMinutes: 20, SlotCapacity: 1}, ch)
	})
	do(o, func(ch *domain.Changes) (domain.Service, error) {
		return o.e.PutService(sys, domain.Service{ID: "realty", OfficeID: officeID, Name: "Недвижимость", Prefix: "Б", Purpose: domain.PurposeConsultation,
			WaitNormMinutes: 20}, ch)
	})
	do(o, func(ch *domain.Changes) (domain.Window, error) {
		return o.e.PutWindow(sys, domain.Window{ID: "w1", OfficeID: officeID, Number: 1, ServiceIDs: []string{"pass", "realty"}}, ch)
	})
	do(o, func(ch *domain.Changes) (domain.Window, error) {
		return o.e.PutWindow(sys, domain.Window{ID: "w2", OfficeID: officeID, Number: 2, ServiceIDs: []string{"realty"}}, ch)
	})
	do(o, func(ch *domain.Changes) (domain.Operator, error) {
		return o.e.PutOperator(sys, domain.Operator{ID: "op1", OfficeID: officeID, Login: "op1", FullName: "Иванова",
			Skills: []domain.Skill{{ServiceID: "pass", Weight: 1}, {ServiceID: "realty", Weight: 1}}}, ch)
	})
	do(o, func(ch *domain.Changes) (domain.Operator, error) {
		return o.e.PutOperator(sys, domain.Operator{ID: "op2", OfficeID: officeID, Login: "op2", FullName: "Петров",
			Skills: []domain.Skill{{ServiceID: "realty", Weight: 1}}}, ch)
	})
	for _, d := range []domain.Device{
		{ID: "k1", OfficeID: officeID, Kind: domain.DeviceKiosk},
		{ID: "r1", OfficeID: officeID, Kind: domain.DeviceRating, WindowID: "w1"},
		{ID: "r2", OfficeID: officeID, Kind: domain.DeviceRating, WindowID: "w2"},
	} {
		do(o, func(ch *domain.Changes) (domain.Device, error) { return o.e.PutDevice(sys, d, ch) })
	}
	o.kiosk = domain.Actor{Login: "k1", Role: domain.RoleDevice, OfficeID: officeID, DeviceID: "k1", DeviceKind: domain.DeviceKiosk}
	o.hall = domain.Actor{Login: "hall", Role: domain.RoleHall, OfficeID: officeID}
	o.op1 = domain.Actor{Login: "op1", Role: domain.RoleOperator, OfficeID: officeID, OperatorID: "op1"}
	o.op2 = domain.Actor{Login: "op2", Role: domain.RoleOperator, OfficeID: officeID, OperatorID: "op2"}
	o.r1 = domain.Actor{Login: "r1", Role: domain.RoleDevice, OfficeID: officeID, DeviceID: "r1", DeviceKind: domain.DeviceRating, WindowID: "w1"}
	o.r2 = domain.Actor{Login: "r2", Role: domain.RoleDevice, OfficeID: officeID, DeviceID: "r2", DeviceKind: domain.DeviceRating, WindowID: "w2"}
	return o
}

// try runs one engine operation and commits what it changed, also when it
// failed part way (a call with "finish current" and nobody waiting still
// finished the current ticket), as the queue service does.
func try[T any](o *office, op func(ch *domain.Changes) (T, error)) (T, error) {
	var ch domain.Changes
	v, err := op(&ch)
	if cerr := o.st.Commit(context.Background(), ch); cerr != nil {
		o.t.Fatalf("commit: %v", cerr)
	}
	return v, err
}

// do is try for operations that must succeed.
func do[T any](o *office, op func(ch *domain.Changes) (T, error)) T {
	o.t.Helper()
	v, err := try(o, op)
	if err != nil {
		o.t.Fatalf("%s: %v", o.now.Format("15:04:05"), err)
	}
	return v
}

// clock sets the time to hh:mm:ss of 2026-12-01 (a Tuesday) in Moscow.
func (o *office) clock(hms string) {
	o.t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04:05", "2026-12-01 "+hms, msk)
	if err != nil {
		o.t.Fatal(err)
	}
	o.now = tm
}

func (o *office) issue(service string) domain.Ticket {
	o.t.Helper()
	return do(o, func(ch *domain.Changes) (domain.Ticket, error) {
		return o.e.IssueTicket(o.kiosk, officeID, domain.IssueRequest{ServiceID: service}, ch)
	})
}

func (o *office) call(a domain.Actor, window string, t domain.Ticket) {
	o.t.Helper()
	do(o, func(ch *domain.Changes) (domain.Ticket, error) {
		return o.e.CallTicket(a, officeID, window, domain.CallRequest{Ticket: t.Number}, ch)
	})
}

func (o *office) act(a domain.Actor, t domain.Ticket, op func(a domain.Actor, officeID, ticketID string, ch *domain.Changes) (domain.Ticket, error)) {
	o.t.Helper()
	do(o, func(ch *domain.Changes) (domain.Ticket, error) { return op(a, officeID, t.ID, ch) })
}

func (o *office) window(a domain.Actor, window string, op func(a domain.Actor, officeID, windowID string, ch *domain.Changes) (domain.WindowState, error)) {
	o.t.Helper()
	do(o, func(ch *domain.Changes) (domain.WindowState, error) { return op(a, officeID, window, ch) })
}

func (o *office) pause(a domain.Actor, window string, paused bool) {
	o.t.Helper()
	do(o, func(ch *domain.Changes) (domain.WindowState, error) {
		return o.e.PauseWindow(a, officeID, window, paused, "обед", ch)
	})
}

// rate gives the ticket the scores, one per indicator of the form in order.
func (o *office) rate(a domain.Actor, t domain.Ticket, scores ...int) {
	o.t.Helper()
	var answers []domain.RatingAnswer
	for i, s := range scores {
		in := o.form.Indicators[i]
		for _, v := range in.Values {
			if v.Score == s {
				answers = append(answers, domain.RatingAnswer{IndicatorID: in.ID, ValueID: v.ID})
			}
		}
	}
	do(o, func(ch *domain.Changes) (domain.Rating, error) {
		return o.e.SubmitRating(a, officeID, domain.NewRating{TicketID: t.ID, Answers: answers}, ch)
	})
}

func (o *office) report(q domain.StatsQuery) domain.StatsReport {
	o.t.Helper()
	if q.OfficeIDs == nil {
		q.OfficeIDs = []string{officeID}
	}
	rep, err := o.st.Stats(context.Background(), q)
	if err != nil {
		o.t.Fatal(err)
	}
	return rep
}
