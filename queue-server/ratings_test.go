package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/outbuf"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// subscribed subscribes c to the demo office and returns its events once
// the first snapshot came, so nothing later is missed.
func subscribed(t *testing.T, c *client.Client) <-chan domain.Event {
	t.Helper()
	events := make(chan domain.Event, 64)
	ready := make(chan struct{}, 1)
	sub := c.Subscribe(context.Background(), demo.OfficeID, client.Funcs{
		Snapshot: func(domain.OfficeSnapshot) { ready <- struct{}{} },
		Event:    func(e domain.Event) { events <- e },
	})
	t.Cleanup(sub.Close)
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("no snapshot on the stream")
	}
	return events
}

// next waits for the first event of typ, and returns every event seen.
func next(t *testing.T, events <-chan domain.Event, typ domain.EventType) (domain.Event, []domain.Event) {
	t.Helper()
	var seen []domain.Event
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e := <-events:
			seen = append(seen, e)
			if e.Type == typ {
				return e, seen
			}
		case <-deadline:
			t.Fatalf("no %s on the stream; saw %d events", typ, len(seen))
		}
	}
}

// An operator finishes a ticket at window 1: the rating terminals hear
// rating.requested, window 1's rates it once, window 2's may not, the
// manager's summary counts it, and the phone left for the survey is in no
// log, journal record, stream event or answer, only masked.
func TestRatingEndToEnd(t *testing.T) {
	dir := t.TempDir()
	logs := &outbuf.Buffer{}
	url, _ := startWith(t, func(ctx context.Context, out io.Writer) error {
		args := []string{"--addr", "127.0.0.1:0", "--data", dir, "--bcrypt-cost", "4", "--demo"}
		return run(ctx, args, func(string) string { return "" }, out, logs)
	})
	ctx := context.Background()
	kiosk, op1, manager := login(t, url, "kiosk1"), login(t, url, "operator1"), login(t, url, "manager")
	rating1, rating2 := login(t, url, "rating1"), login(t, url, "rating2")
	events1, events2 := subscribed(t, rating1), subscribed(t, rating2)

	form := must[domain.RatingForm](t)(rating1.CurrentRatingForm(ctx, demo.OfficeID))
	if form.ID != "mkgu" || form.Version != "0.0.4" || len(form.Indicators) != 5 {
		t.Fatalf("form %s %s with %d indicators", form.ID, form.Version, len(form.Indicators))
	}
	if _, err := rating1.PendingRating(ctx, demo.OfficeID, domain.PendingQuery{}); domain.ErrorCode(err) != domain.CodeEmpty {
		t.Fatalf("pending before any service: %v", err)
	}

	tk := must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	must[domain.WindowState](t)(op1.OpenWindowSession(ctx, demo.OfficeID, "w1"))
	if got := must[domain.Ticket](t)(op1.CallNext(ctx, demo.OfficeID, "w1", false)); got.ID != tk.ID {
		t.Fatalf("called %s, want %s", got.Number, tk.Number)
	}
	must[domain.Ticket](t)(op1.FinishTicket(ctx, demo.OfficeID, tk.ID))

	req, _ := next(t, events1, domain.EventRatingRequested)
	if r := req.RatingRequest; r == nil || r.TicketID != tk.ID || r.WindowID != "w1" || r.TicketNumber != tk.Number || r.ServiceName == "" ||
		r.FormVersion != "0.0.4" || r.Form.Indicators != nil || !r.ExpiresAt.Equal(r.FinishedAt.Add(15*time.Minute)) {
		t.Fatalf("rating1 got %+v", req.RatingRequest)
	}
	// Window 2's terminal hears it too, for window 1, and leaves it be.
	if req2, _ := next(t, events2, domain.EventRatingRequested); req2.WindowID != "w1" || req2.RatingRequest.WindowID != "w1" {
		t.Fatalf("rating2 got %+v", req2)
	}
	if p := must[domain.RatingRequest](t)(rating1.PendingRating(ctx, demo.OfficeID, domain.PendingQuery{})); p.TicketID != tk.ID {
		t.Errorf("pending at window 1: %s", p.TicketNumber)
	}
	if _, err := rating2.PendingRating(ctx, demo.OfficeID, domain.PendingQuery{TicketID: tk.ID}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("rating2 asking for window 1's ticket: %v", err)
	}

	var answers []domain.RatingAnswer
	for i, in := range form.Indicators {
		answers = append(answers, domain.RatingAnswer{IndicatorID: in.ID, ValueID: in.Values[4-i%2].ID}) // 5, 4, 5, 4, 5
	}
	nr := domain.NewRating{TicketID: tk.ID, FormID: form.ID, FormVersion: form.Version, Answers: answers, Phone: "+7 (916) 123-45-67", PhoneConsent: true}
	_, err := rating2.SubmitRating(ctx, demo.OfficeID, nr)
	if domain.ErrorCode(err) != domain.CodeForbidden || domain.ErrorMessage(err) != "этот терминал оценивает только окно 2" {
		t.Fatalf("rating2 rating window 1's ticket: %v", err)
	}
	r := must[domain.Rating](t)(rating1.SubmitRating(ctx, demo.OfficeID, nr))
	if r.TicketID != tk.ID || r.WindowID != "w1" || r.OperatorID != "op1" || r.ServiceID != "passport" || len(r.Answers) != 5 || r.Answers[1].Score != 4 ||
		r.PhoneMasked != "+7 9** ***-**-67" {
		t.Errorf("rating %+v", r)
	}
	_, err = rating1.SubmitRating(ctx, demo.OfficeID, nr)
	if domain.ErrorCode(err) != domain.CodeConflict || domain.ErrorMessage(err) != "талон "+tk.Number+" уже оценён" {
		t.Errorf("a second rating: %v", err)
	}
	rated, seen := next(t, events1, domain.EventTicketRated)
	if rated.TicketID != tk.ID || rated.WindowID != "w1" || rated.Rating != nil {
		t.Errorf("public ticket.rated %+v", rated)
	}
	if _, err := rating1.PendingRating(ctx, demo.OfficeID, domain.PendingQuery{}); domain.ErrorCode(err) != domain.CodeEmpty {
		t.Errorf("pending after the rating: %v", err)
	}

	sum := must[domain.RatingSummary](t)(manager.GetRatingSummary(ctx, demo.OfficeID, domain.RatingQuery{GroupBy: "window"}))
	if sum.Total.Served != 1 || sum.Total.Rated != 1 || sum.Total.ResponseRate != 1 || len(sum.Total.Indicators) != 5 {
		t.Fatalf("summary %+v", sum.Total)
	}
	if in := sum.Total.Indicators[1]; in.Average != 4 || in.Distribution != [5]int{0, 0, 0, 1, 0} || in.Name != form.Indicators[1].Name {
		t.Errorf("indicator %+v", in)
	}
	if len(sum.Groups) != 1 || sum.Groups[0].Key != "w1" {
		t.Errorf("groups %+v", sum.Groups)
	}
	if _, err := rating1.GetRatingSummary(ctx, demo.OfficeID, domain.RatingQuery{}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("a rating terminal read the summary: %v", err)
	}

	journal := getJournal(t, url, manager, "")
	submits := 0
	for _, rec := range journal {
		if rec.Action == "submitRating" {
			submits++
		}
	}
	// The journal keeps refusals of access (window 2's terminal) and the
	// stored rating; a rule's refusal (rated twice) changes nothing.
	if submits != 2 {
		t.Errorf("%d submitRating records in the journal, want 2", submits)
	}
	rawJournal, _ := json.Marshal(journal)
	rawAnswer, _ := json.Marshal(r)
	rawSummary, _ := json.Marshal(sum)
	rawEvents, _ := json.Marshal(append(seen, req))
	for what, text := range map[string]string{"the log": logs.String(), "the journal": string(rawJournal), "the stream": string(rawEvents),
		"the rating": string(rawAnswer), "the summary": string(rawSummary)} {
		for _, digits := range []string{"9161234567", "123-45-67", "1234567"} {
			if strings.Contains(text, digits) {
				t.Errorf("%s carries the phone (%s)", what, digits)
			}
		}
	}
	if !strings.Contains(logs.String(), "ratings") {
		t.Errorf("the log shows no request to the ratings at all, so its silence proves nothing:\n%s", logs)
	}
}
