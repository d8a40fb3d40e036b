package main

import (
	"context"
	"io"
	"net/http"
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

// The ticket's status token reaches the kiosk that issued it; its public
// page and JSON answer without a login; unknown tokens get a Russian 404.
func TestTicketStatusOverHTTP(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	kiosk := deviceCredential(t, url, "kiosk1")
	status, tk := call(t, "POST", url+"/api/v1/offices/"+demo.OfficeID+"/tickets", kiosk, `{"service_id":"passport"}`, nil)
	token, _ := tk["status_token"].(string)
	if status != 201 || len(token) != 32 {
		t.Fatalf("issue: %d %v", status, tk)
	}
	status, st := call(t, "GET", url+"/t/"+token+"/status", "", "", nil)
	if status != 200 || st["number"] != tk["number"] || st["service"] == "" || st["status"] != "waiting" {
		t.Fatalf("status: %d %v", status, st)
	}
	got := must[domain.TicketStatus](t)(login(t, url, "kiosk1").GetTicketStatus(context.Background(), token))
	if got.Number != tk["number"] || got.Position != 1 {
		t.Fatalf("SDK status %+v", got)
	}

	page := func(path string) (int, http.Header, string) {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(body)
	}
	code, h, body := page("/t/" + token)
	if code != 200 || !strings.Contains(body, tk["number"].(string)) || !strings.Contains(body, "Вы следующий") ||
		!strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") ||
		h.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("page: %d %v\n%s", code, h, body)
	}
	for _, bad := range []string{"/t/0123456789abcdef0123456789abcdef", "/t/not!a!token"} {
		code, h, body = page(bad)
		if code != 404 || !strings.Contains(body, "Талон не найден") || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %s", bad, code, body)
		}
	}
	if status, out := call(t, "GET", url+"/t/0123456789abcdef0123456789abcdef/status", "", "", nil); status != 404 || !strings.Contains(errorMessage(out), "талон не найден") {
		t.Fatalf("unknown token status: %d %v", status, out)
	}
}
