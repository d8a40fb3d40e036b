package domain

import (
	"strings"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"+79161234567", "+79161234567"},
		{"+7 (916) 123-45-67", "+79161234567"},
		{"8 916 123 45 67", "+79161234567"},
		{"89161234567", "+79161234567"},
		{"9161234567", "+79161234567"},
		{"79161234567", "+79161234567"},
		{"+74951234567", ""}, // a landline gets no SMS
		{"84951234567", ""},
		{"+89161234567", ""},
		{"+19161234567", ""},
		{"916123456", ""},
		{"+791612345678", ""},
		{"9161234567x", ""},
		{"+7 916 123+45+67", ""},
		{"", ""},
	} {
		got, err := NormalizePhone(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if err != nil && ErrorMessage(err) != "номер мобильного телефона должен быть российским: +7 9XX XXX-XX-XX" {
			t.Errorf("NormalizePhone(%q): %q", tt.in, ErrorMessage(err))
		}
	}
}

func TestMaskPhone(t *testing.T) {
	if got := MaskPhone("+79161234567"); got != "+7 9** ***-**-67" {
		t.Errorf("mask = %q", got)
	}
	// Anything not normalised shows nothing rather than a guess.
	for _, p := range []string{"", "89161234567", "+7916123456"} {
		if got := MaskPhone(p); got != "" {
			t.Errorf("MaskPhone(%q) = %q", p, got)
		}
	}
}

func TestNewRatingValidate(t *testing.T) {
	ok := NewRating{TicketID: "t1", Answers: []RatingAnswer{{IndicatorID: "9", ValueID: "45"}}, Phone: "+79161234567", PhoneConsent: true}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (NewRating{TicketID: "t1"}).Validate(); err != nil {
		t.Errorf("skipping every indicator: %v", err)
	}
	for _, tt := range []struct {
		name string
		r    NewRating
		msg  string
	}{
		{"no ticket", NewRating{}, "укажите талон, который оценивается"},
		{"bad ticket", NewRating{TicketID: "a/b"}, `идентификатор талона "a/b" набран с ошибкой`},
		{"empty answer", NewRating{TicketID: "t1", Answers: []RatingAnswer{{IndicatorID: "9"}}}, "в каждом ответе укажите показатель и выбранное значение"},
		{"twice", NewRating{TicketID: "t1", Answers: []RatingAnswer{{IndicatorID: "9", ValueID: "41"}, {IndicatorID: "9", ValueID: "42"}}}, "показатель 9 оценён дважды: каждый оценивается не больше одного раза"},
		{"no consent", NewRating{TicketID: "t1", Phone: "+79161234567"}, "чтобы оставить номер телефона для опроса, нужно согласие на обработку персональных данных"},
		{"bad phone", NewRating{TicketID: "t1", Phone: "12345", PhoneConsent: true}, "номер мобильного телефона должен быть российским: +7 9XX XXX-XX-XX"},
	} {
		if err := tt.r.Validate(); ErrorCode(err) != CodeInvalid || ErrorMessage(err) != tt.msg {
			t.Errorf("%s: %v, want «%s»", tt.name, err, tt.msg)
		}
	}
}

func TestRatingFormValidate(t *testing.T) {
	f := RatingForm{ID: "mkgu", Version: "1", Indicators: []RatingIndicator{{ID: "9", Name: "Время", Values: []RatingValue{{ID: "41", Score: 1}, {ID: "42", Score: 2}}}}}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	f.Indicators[0].Values[1].Score = 1
	if err := f.Validate(); err == nil {
		t.Error("two values with one score passed")
	}
	f.Indicators[0].Values[1] = RatingValue{ID: "42", Score: 6}
	if err := f.Validate(); err == nil {
		t.Error("score 6 passed")
	}
	if err := (RatingForm{ID: "mkgu"}).Validate(); err == nil {
		t.Error("a form without version passed")
	}
}

func TestOfficeRatingWindow(t *testing.T) {
	if d := (Office{}).RatingWindow().Minutes(); d != DefaultRatingMinutes {
		t.Errorf("default %v minutes", d)
	}
	if d := (Office{RatingMinutes: 5}).RatingWindow().Minutes(); d != 5 {
		t.Errorf("set to 5: %v minutes", d)
	}
	o := Office{ID: "o", Name: "О", TimeZone: "Europe/Moscow", RatingMinutes: -1}
	if err := o.Validate(); ErrorCode(err) != CodeInvalid {
		t.Errorf("negative rating time: %v", err)
	}
}

// A phone from a terminal's keyboard either fails with the sentence or
// becomes +79 and nine digits, which normalises to itself.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+79161234567", "8 (916) 123-45-67", "9161234567", "+7 495 123 45 67", "", "+", "８９１６"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := NormalizePhone(s)
		if err != nil {
			return
		}
		if len(p) != 12 || p[:3] != "+79" || strings.Trim(p[1:], "0123456789") != "" {
			t.Fatalf("NormalizePhone(%q) = %q", s, p)
		}
		if again, err := NormalizePhone(p); err != nil || again != p {
			t.Fatalf("%q normalises to %q, %v", p, again, err)
		}
		if MaskPhone(p) == "" {
			t.Fatalf("%q has no mask", p)
		}
	})
}
