package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// bookToday books the demo office's first free consultation slot today or
// tomorrow.
func bookToday(t *testing.T, url string) domain.Appointment {
	t.Helper()
	ctx := context.Background()
	hall := login(t, url, "hall")
	for day := time.Now(); day.Before(time.Now().Add(48 * time.Hour)); day = day.Add(24 * time.Hour) {
		slots := must[[]domain.Slot](t)(hall.ListAppointmentSlots(ctx, demo.OfficeID, "consultation", day.In(mustLoc(t)).Format(time.DateOnly)))
		if len(slots) > 0 {
			return must[domain.Appointment](t)(hall.CreateAppointment(ctx, demo.OfficeID, domain.NewAppointment{ServiceID: "consultation", Start: slots[0].Start}))
		}
	}
	t.Fatal("no consultation slot today or tomorrow")
	return domain.Appointment{}
}

// A kiosk hears over HTTP why a code does not check in: each refusal its
// own status and sentence.
func TestCheckInRefusalsOverHTTP(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	kiosk := deviceCredential(t, url, "kiosk1")
	checkIn := url + "/api/v1/offices/" + demo.OfficeID + "/check-in"

	status, out := call(t, "POST", checkIn, kiosk, `{"code":"000000"}`, nil)
	if status != 404 || !strings.Contains(errorMessage(out), "не найдена: проверьте код или возьмите талон в живую очередь") {
		t.Fatalf("unknown code: %d %v", status, out)
	}

	cancelled := bookToday(t, url)
	must[domain.Appointment](t)(login(t, url, "hall").CancelAppointment(context.Background(), demo.OfficeID, cancelled.ID))
	status, out = call(t, "POST", checkIn, kiosk, `{"code":"`+cancelled.Code+`"}`, nil)
	if status != 409 || !strings.Contains(errorMessage(out), "отменена: возьмите талон в живую очередь") {
		t.Fatalf("cancelled booking: %d %v", status, out)
	}

	ap := bookToday(t, url)
	status, out = call(t, "POST", checkIn, kiosk, `{"code":"`+ap.Code+`"}`, nil)
	if status != 201 && status != 409 {
		t.Fatalf("check-in: %d %v", status, out)
	}
	if status == 409 { // the first free slot may be tomorrow: too early
		if !strings.Contains(errorMessage(out), "регистрация откроется") {
			t.Fatalf("early check-in: %v", out)
		}
		return
	}
	number, _ := out["number"].(string)
	status, out = call(t, "POST", checkIn, kiosk, `{"code":"`+ap.Code+`"}`, nil)
	if status != 409 || !strings.Contains(errorMessage(out), "по этому коду уже выдан талон "+number) {
		t.Fatalf("second check-in: %d %v", status, out)
	}
}
