package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// testForm is a form like МКГУ's, with other ids: the engine must take
// every id from the stored form.
func testForm() domain.RatingForm {
	labels := []string{"Очень плохо", "Плохо", "Нормально", "Хорошо", "Отлично"}
	f := domain.RatingForm{ID: "mkgu", Version: "9.9", Current: true}
	for i, name := range []string{"Время", "Очередь", "Вежливость"} {
		in := domain.RatingIndicator{ID: fmt.Sprint(100 + i), Name: name}
		for s, l := range labels {
			in.Values = append(in.Values, domain.RatingValue{ID: fmt.Sprintf("v%d-%d", i, s+1), Score: s + 1, Label: l})
		}
		f.Indicators = append(f.Indicators, in)
	}
	return f
}

// ratingFixture adds a form and the rating terminals of both windows.
func ratingFixture(t testing.TB) (*fixture, domain.Actor, domain.Actor) {
	f := newFixture(t)
	f.e.forms = []domain.RatingForm{testForm()}
	sys := domain.System
	f.must(f.e.PutDevice(sys, domain.Device{ID: "r1", OfficeID: "o1", Kind: domain.DeviceRating, WindowID: "w1"}, &f.log))
	f.must(f.e.PutDevice(sys, domain.Device{ID: "r2", OfficeID: "o1", Kind: domain.DeviceRating, WindowID: "w2"}, &f.log))
	r1 := domain.Actor{Login: "r1@o1", Role: domain.RoleDevice, OfficeID: "o1", DeviceID: "r1", DeviceKind: domain.DeviceRating, WindowID: "w1"}
	r2 := domain.Actor{Login: "r2@o1", Role: domain.RoleDevice, OfficeID: "o1", DeviceID: "r2", DeviceKind: domain.DeviceRating, WindowID: "w2"}
	return f, r1, r2
}

// served issues a ticket and serves it to its finish at window 1.
func (f *fixture) served() (domain.Ticket, domain.Changes) {
	f.t.Helper()
	f.issue("pass")
	t := f.callNext(f.op1, "w1")
	var ch domain.Changes
	done := must(f.e.FinishTicket(f.op1, "o1", t.ID, &ch))
	f.log.Merge(ch)
	return done, ch
}

func answer(ind, val string) domain.RatingAnswer {
	return domain.RatingAnswer{IndicatorID: ind, ValueID: val}
}

func TestFinishAsksTheWindowsTerminalForARating(t *testing.T) {
	f, _, _ := ratingFixture(t)
	tk, ch := f.served()
	var req *domain.RatingRequest
	for _, ev := range ch.Events {
		if ev.Type == domain.EventRatingRequested {
			req = ev.RatingRequest
			pub := ev.Public()
			if pub.RatingRequest == nil || pub.WindowID != "w1" {
				t.Errorf("the public event lost the request: %+v", pub)
			}
		}
	}
	if req == nil {
		t.Fatalf("no rating.requested among %d events", len(ch.Events))
	}
	want := domain.RatingRequest{OfficeID: "o1", WindowID: "w1", TicketID: tk.ID, TicketNumber: tk.Number, ServiceName: "Паспорт",
		FinishedAt: f.now, ExpiresAt: f.now.Add(15 * time.Minute), FormID: testForm().ID, FormVersion: testForm().Version}
	if fmt.Sprint(*req) != fmt.Sprint(want) {
		t.Errorf("request\n%+v\nwant\n%+v", *req, want)
	}
}

func TestReturnToOriginAlsoAsksForARating(t *testing.T) {
	f, r1, r2 := ratingFixture(t)
	f.issue("pass")
	tk := f.callNext(f.op1, "w1")
	must(f.e.RedirectTicket(f.op1, "o1", tk.ID, domain.Redirect{ServiceID: "realty", WindowID: "w2", Return: true}, &f.log))
	f.callNext(f.op2, "w2")
	var ch domain.Changes
	must(f.e.FinishTicket(f.op2, "o1", tk.ID, &ch))
	if len(ch.Events) != 2 || ch.Events[0].Type != domain.EventTicketReturnedToOrigin || ch.Events[1].Type != domain.EventRatingRequested || ch.Events[1].WindowID != "w2" {
		t.Fatalf("events %+v, want returned_to_origin and rating.requested at w2", ch.Events)
	}
	// Window 2 served it last: its terminal rates it, window 1's may not.
	if _, err := f.e.SubmitRating(r1, "o1", domain.NewRating{TicketID: tk.ID}, &f.log); domain.ErrorMessage(err) != "этот терминал оценивает только окно 1" {
		t.Errorf("window 1's terminal: %v", err)
	}
	r := must(f.e.SubmitRating(r2, "o1", domain.NewRating{TicketID: tk.ID, Answers: []domain.RatingAnswer{answer("101", "v1-2")}}, &f.log))
	if r.WindowID != "w2" || r.OperatorID != "op2" || r.ServiceID != "realty" {
		t.Errorf("rating tied to %s/%s/%s, want w2/op2/realty", r.WindowID, r.OperatorID, r.ServiceID)
	}
}

func TestSubmitRatingStoresItTiedToTheService(t *testing.T) {
	f, r1, _ := ratingFixture(t)
	tk, _ := f.served()
	f.now = f.now.Add(2 * time.Minute)
	var ch domain.Changes
	r, err := f.e.SubmitRating(r1, "o1", domain.NewRating{TicketID: tk.ID, FormID: "mkgu", FormVersion: "9.9",
		Answers: []domain.RatingAnswer{answer("102", "v2-5"), answer("100", "v0-3")}, Phone: "8 (916) 123-45-67", PhoneConsent: true}, &ch)
	if err != nil {
		t.Fatal(err)
	}
	want := domain.Rating{ID: r.ID, OfficeID: "o1", WindowID: "w1", OperatorID: "op1", ServiceID: "pass", TicketID: tk.ID, TicketNumber: tk.Number,
		FormID: "mkgu", FormVersion: "9.9", Answers: []domain.RatingAnswer{{IndicatorID: "100", ValueID: "v0-3", Score: 3}, {IndicatorID: "102", ValueID: "v2-5", Score: 5}},
		PhoneMasked: "+7 9** ***-**-67", ServedAt: f.now.Add(-2 * time.Minute), RatedAt: f.now}
	if fmt.Sprint(r) != fmt.Sprint(want) {
		t.Errorf("rating\n%+v\nwant\n%+v", r, want)
	}
	if len(ch.Ratings) != 1 || ch.Ratings[0].Phone != "+79161234567" || ch.Ratings[0].Day != tk.Day {
		t.Fatalf("stored %+v", ch.Ratings)
	}
	if len(ch.Events) != 1 || ch.Events[0].Type != domain.EventTicketRated || ch.Events[0].Rating.PhoneMasked != "+7 9** ***-**-67" {
		t.Fatalf("events %+v", ch.Events)
	}
	if pub := ch.Events[0].Public(); pub.Rating != nil || pub.TicketID != tk.ID || pub.WindowID != "w1" {
		t.Errorf("public ticket.rated %+v", pub)
	}
	if s := fmt.Sprintf("%+v", ch.Events); strings.Contains(s, "1234567") {
		t.Errorf("the phone is in the event: %s", s)
	}
}

// A reload remembers which tickets were rated, so none is rated twice,
// and keeps the ratings that still hold a phone.
func TestReloadKeepsRatings(t *testing.T) {
	f, r1, _ := ratingFixture(t)
	withPhone, _ := f.served()
	plain, _ := f.served()
	kept := must(f.e.SubmitRating(r1, "o1", domain.NewRating{TicketID: withPhone.ID, Answers: []domain.RatingAnswer{answer("100", "v0-5")},
		Phone: "8 (916) 123-45-67", PhoneConsent: true}, &f.log))
	must(f.e.SubmitRating(r1, "o1", domain.NewRating{TicketID: plain.ID, Answers: []domain.RatingAnswer{answer("100", "v0-4")}}, &f.log))
	st := fold(f.log)
	st.RatingForms = f.e.forms
	reloaded := must(Load(f.config(), st))
	for name, e := range map[string]*Engine{"live": f.e, "reloaded": reloaded} {
		if !e.HasRatingPhone("o1", kept.ID) {
			t.Errorf("%s: the rating with a phone is gone", name)
		}
		for _, tk := range []domain.Ticket{withPhone, plain} {
			if _, err := e.SubmitRating(r1, "o1", domain.NewRating{TicketID: tk.ID, Answers: []domain.RatingAnswer{answer("100", "v0-1")}}, &domain.Changes{}); err == nil {
				t.Errorf("%s: ticket %s rated a second time", name, tk.Number)
			}
		}
	}
}

func TestSubmitRatingRefusals(t *testing.T) {
	f, r1, r2 := ratingFixture(t)
	rated, _ := f.served()
	must(f.e.SubmitRating(r1, "o1", domain.NewRating{TicketID: rated.ID}, &f.log))
	fresh, _ := f.served()
	f.issue("pass")
	waiting := f.callNext(f.op1, "w1")
	unbound := domain.Actor{Login: "r3@o1", Role: domain.RoleDevice, OfficeID: "o1", DeviceID: "r3", DeviceKind: domain.DeviceRating}
	tests := []struct {
		name  string
		actor domain.Actor
		r     domain.NewRating
		later time.Duration
		code  domain.Code
		msg   string
	}{
		{"not served yet", r1, domain.NewRating{TicketID: waiting.ID}, 0, domain.CodeConflict, "талон " + waiting.Number + " ещё не обслужен"},
		{"rated already", r1, domain.NewRating{TicketID: rated.ID}, 0, domain.CodeConflict, "талон " + rated.Number + " уже оценён"},
		{"too late", r1, domain.NewRating{TicketID: fresh.ID}, 15*time.Minute + time.Second, domain.CodeConflict, "время для оценки талона " + fresh.Number + " истекло"},
		{"another window's terminal", r2, domain.NewRating{TicketID: fresh.ID}, 0, domain.CodeForbidden, "этот терминал оценивает только окно 2"},
		{"a terminal of no window", unbound, domain.NewRating{TicketID: fresh.ID}, 0, domain.CodeForbidden, "терминал оценки не привязан к окну: администратор указывает окно в настройках устройства"},
		{"a kiosk", f.kiosk, domain.NewRating{TicketID: fresh.ID}, 0, domain.CodeForbidden, "это действие недоступно для вашей роли (device)"},
		{"an operator", f.op1, domain.NewRating{TicketID: fresh.ID}, 0, domain.CodeForbidden, "это действие недоступно для вашей роли (operator)"},
		{"unknown ticket", r1, domain.NewRating{TicketID: "nope"}, 0, domain.CodeNotFound, "талон не найден среди талонов последних дней"},
		{"value not in the form", r1, domain.NewRating{TicketID: fresh.ID, Answers: []domain.RatingAnswer{answer("100", "v1-1")}}, 0, domain.CodeInvalid, "у показателя «Время» нет значения v1-1 в форме mkgu 9.9"},
		{"unknown indicator", r1, domain.NewRating{TicketID: fresh.ID, Answers: []domain.RatingAnswer{answer("9", "41")}}, 0, domain.CodeInvalid, "показателя 9 нет в форме оценки mkgu 9.9"},
		{"an indicator twice", r1, domain.NewRating{TicketID: fresh.ID, Answers: []domain.RatingAnswer{answer("100", "v0-1"), answer("100", "v0-2")}}, 0, domain.CodeInvalid, "показатель 100 оценён дважды: каждый оценивается не больше одного раза"},
		{"an old form", r1, domain.NewRating{TicketID: fresh.ID, FormID: "mkgu", FormVersion: "0.0.3"}, 0, domain.CodeConflict, "форма оценки mkgu 0.0.3 устарела: терминал должен загрузить действующую (mkgu 9.9)"},
		{"a phone without consent", r1, domain.NewRating{TicketID: fresh.ID, Phone: "+79161234567"}, 0, domain.CodeInvalid, "чтобы оставить номер телефона для опроса, нужно согласие на обработку персональных данных"},
		{"a landline", r1, domain.NewRating{TicketID: fresh.ID, Phone: "+74951234567", PhoneConsent: true}, 0, domain.CodeInvalid, "номер мобильного телефона должен быть российским: +7 9XX XXX-XX-XX"},
	}
	start := f.now
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.now = start.Add(tt.later)
			var ch domain.Changes
			_, err := f.e.SubmitRating(tt.actor, "o1", tt.r, &ch)
			if domain.ErrorCode(err) != tt.code || domain.ErrorMessage(err) != tt.msg {
				t.Errorf("error %v, want %s «%s»", err, tt.code, tt.msg)
			}
			if !ch.Empty() {
				t.Errorf("a refusal changed something: %+v", ch)
			}
		})
	}
	// Still rateable after every refusal, on the last minute; a hall
	// administrator may rate for the applicant.
	f.now = start.Add(15 * time.Minute)
	if _, err := f.e.SubmitRating(f.hall, "o1", domain.NewRating{TicketID: fresh.ID}, &f.log); err != nil {
		t.Errorf("the hall administrator on the last minute: %v", err)
	}
}

func TestPendingRating(t *testing.T) {
	f, r1, r2 := ratingFixture(t)
	if _, err := f.e.PendingRating(r1, "o1", domain.PendingQuery{}); domain.ErrorCode(err) != domain.CodeEmpty || domain.ErrorMessage(err) != "в окне 1 нет талона для оценки" {
		t.Fatalf("nothing finished yet: %v", err)
	}
	first, _ := f.served()
	f.now = f.now.Add(time.Minute)
	second, _ := f.served()
	got := must(f.e.PendingRating(r1, "o1", domain.PendingQuery{}))
	if got.TicketID != second.ID {
		t.Errorf("pending %s, want the latest %s", got.TicketNumber, second.Number)
	}
	// Asked for, the request brings the form along; the event only names it.
	if got.FormID != "mkgu" || got.FormVersion != "9.9" || fmt.Sprint(got.Form) != fmt.Sprint(testForm()) {
		t.Errorf("pending names the form %s %s and carries %+v; want the current form", got.FormID, got.FormVersion, got.Form)
	}
	must(f.e.SubmitRating(r1, "o1", domain.NewRating{TicketID: second.ID}, &f.log))
	if got := must(f.e.PendingRating(r1, "o1", domain.PendingQuery{WindowID: "w1"})); got.TicketID != first.ID {
		t.Errorf("after rating the latest, pending %s, want %s", got.TicketNumber, first.Number)
	}
	if got := must(f.e.PendingRating(r1, "o1", domain.PendingQuery{TicketID: first.ID})); got.TicketID != first.ID {
		t.Errorf("by ticket: %s", got.TicketNumber)
	}
	tok := f.e.offices["o1"].tickets.get(first.ID).StatusToken
	if got := must(f.e.PendingRating(r1, "o1", domain.PendingQuery{TicketID: tok})); got.TicketID != first.ID {
		t.Errorf("by the QR's status token: %s", got.TicketNumber)
	}
	if _, err := f.e.PendingRating(r2, "o1", domain.PendingQuery{WindowID: "w1"}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("window 2's terminal asking for window 1: %v", err)
	}
	if _, err := f.e.PendingRating(r2, "o1", domain.PendingQuery{TicketID: first.ID}); domain.ErrorMessage(err) != "этот терминал оценивает только окно 2" {
		t.Errorf("window 2's terminal asking for window 1's ticket: %v", err)
	}
	if got := must(f.e.PendingRating(f.hall, "o1", domain.PendingQuery{WindowID: "w1"})); got.TicketID != first.ID {
		t.Errorf("the hall administrator: %s", got.TicketNumber)
	}
	f.now = f.now.Add(15 * time.Minute)
	if _, err := f.e.PendingRating(r1, "o1", domain.PendingQuery{}); domain.ErrorCode(err) != domain.CodeEmpty {
		t.Errorf("after the rating time: %v", err)
	}
}

func TestPurgeRatingPhones(t *testing.T) {
	f, r1, _ := ratingFixture(t)
	tk, _ := f.served()
	must(f.e.SubmitRating(r1, "o1", domain.NewRating{TicketID: tk.ID, Phone: "9161234567", PhoneConsent: true}, &f.log))
	var ch domain.Changes
	if n := f.e.PurgeRatingPhones(f.now.Add(-time.Hour), &ch); n != 0 || !ch.Empty() {
		t.Fatalf("purged %d phones younger than asked", n)
	}
	const retention = 30 * 24 * time.Hour
	f.now = f.now.Add(retention + time.Minute)
	if n := f.e.RatingPhonesDue(f.now.Add(-retention)); n != 1 {
		t.Fatalf("%d phones due, want 1", n)
	}
	if n := f.e.PurgeRatingPhones(f.now.Add(-retention), &ch); n != 1 {
		t.Fatalf("purged %d, want 1", n)
	}
	if len(ch.Ratings) != 1 || ch.Ratings[0].Phone != "" || ch.Ratings[0].Rating.PhoneMasked == "" || ch.Ratings[0].Rating.TicketID != tk.ID {
		t.Errorf("purge writes %+v; want the rating without the phone (the mask stays: it identifies nobody)", ch.Ratings)
	}
	if n := f.e.RatingPhonesDue(f.now); n != 0 {
		t.Errorf("%d phones left", n)
	}
	// Days later the rating, its phone gone, leaves memory; the store keeps it.
	var tick domain.Changes
	f.e.Tick(&tick)
	if o := f.e.offices["o1"]; len(o.rated) != 0 || len(o.ratings) != 0 {
		t.Errorf("%d ratings (%d records) of old days still in memory", len(o.rated), len(o.ratings))
	}
}

func TestRatingSummary(t *testing.T) {
	f, r1, _ := ratingFixture(t)
	manager := domain.Actor{Login: "m", Role: domain.RoleManager, OfficeID: "o1"}
	var tickets []domain.Ticket
	scores := [][]string{{"v0-5", "v1-4"}, {"v0-3"}, {}, nil}
	for _, sc := range scores {
		tk, _ := f.served()
		f.now = f.now.Add(time.Minute)
		if sc == nil {
			continue // served, not rated
		}
		var answers []domain.RatingAnswer
		for j, v := range sc {
			answers = append(answers, answer(fmt.Sprint(100+j), v))
		}
		must(f.e.SubmitRating(r1, "o1", domain.NewRating{TicketID: tk.ID, Answers: answers}, &f.log))
	}
	for tk := range f.e.offices["o1"].tickets.all() {
		tickets = append(tickets, *tk)
	}
	// The store's records: memory keeps only those holding a phone.
	ratings := f.log.Ratings
	q := domain.RatingQuery{GroupBy: "operator"}
	from, to, err := f.e.RatingPeriod(manager, "o1", &q)
	if err != nil || from != "2026-11-23" || to != "2026-11-23" {
		t.Fatalf("period %s..%s, %v", from, to, err)
	}
	sum := f.e.SummarizeRatings("o1", q, ratings, tickets)
	tot := sum.Total
	if tot.Served != 4 || tot.Rated != 3 || tot.ResponseRate != 0.75 {
		t.Errorf("served %d rated %d rate %v, want 4, 3, 0.75", tot.Served, tot.Rated, tot.ResponseRate)
	}
	if len(tot.Indicators) != 3 {
		t.Fatalf("%d indicators, want the form's 3", len(tot.Indicators))
	}
	i0, i1, i2 := tot.Indicators[0], tot.Indicators[1], tot.Indicators[2]
	if i0.IndicatorID != "100" || i0.Name != "Время" || i0.Answers != 2 || i0.Average != 4 || i0.Distribution != [5]int{0, 0, 1, 0, 1} {
		t.Errorf("indicator 100: %+v", i0)
	}
	if i1.Answers != 1 || i1.Average != 4 || i1.Distribution != [5]int{0, 0, 0, 1, 0} {
		t.Errorf("indicator 101: %+v", i1)
	}
	if i2.Answers != 0 || i2.Average != 0 {
		t.Errorf("indicator 102, never answered: %+v", i2)
	}
	if len(sum.Groups) != 1 || sum.Groups[0].Key != "op1" || sum.Groups[0].Served != 4 {
		t.Errorf("groups %+v", sum.Groups)
	}
	// Another window, and a period before any of it, count nothing.
	other := domain.RatingQuery{WindowID: "w2", From: q.From, To: q.To}
	if s := f.e.SummarizeRatings("o1", other, ratings, tickets).Total; s.Served != 0 || s.Rated != 0 || s.ResponseRate != 0 {
		t.Errorf("window 2: %+v", s)
	}
	if _, _, err := f.e.RatingPeriod(f.op1, "o1", &domain.RatingQuery{}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("an operator asked for the summary: %v", err)
	}
	if _, _, err := f.e.RatingPeriod(manager, "o1", &domain.RatingQuery{GroupBy: "hour"}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("unknown grouping: %v", err)
	}
}
