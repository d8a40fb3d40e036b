package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// boardFeed is a hall board's subscription as a test reads it: the
// snapshots and the events the stream delivers, in order.
type boardFeed struct {
	snapshots chan domain.OfficeSnapshot
	events    chan domain.Event
}

// followAsBoard subscribes as the demo hall display and waits for its first
// snapshot, so that everything done afterwards reaches it as events.
func followAsBoard(t *testing.T, url string) (*client.Client, *boardFeed, domain.OfficeSnapshot) {
	t.Helper()
	board := login(t, url, "display1")
	f := &boardFeed{snapshots: make(chan domain.OfficeSnapshot, 16), events: make(chan domain.Event, 256)}
	sub := board.Subscribe(context.Background(), demo.OfficeID, client.Funcs{
		Snapshot: func(s domain.OfficeSnapshot) { f.snapshots <- s },
		Event:    func(e domain.Event) { f.events <- e },
	})
	t.Cleanup(sub.Close)
	select {
	case s := <-f.snapshots:
		return board, f, s
	case <-time.After(30 * time.Second):
		t.Fatal("the board got no snapshot")
	}
	return nil, nil, domain.OfficeSnapshot{}
}

// next returns the first event of type typ, skipping others.
func (f *boardFeed) next(t *testing.T, typ domain.EventType) domain.Event {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e := <-f.events:
			if e.Type == typ {
				return e
			}
		case <-deadline:
			t.Fatalf("the board never heard %s", typ)
			return domain.Event{}
		}
	}
}

func findAnnouncement(as []domain.Announcement, id string) *domain.Announcement {
	for i := range as {
		if as[i].ID == id {
			return &as[i]
		}
	}
	return nil
}

// The hall administrator sets a text of the running line: a subscribed
// board hears it, a fresh snapshot has it, it outlives a restart, and its
// deletion reaches the board too.
func TestAnnouncementsReachBoardsAndSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	url, stop := startServer(t, dir, "--demo")
	ctx := context.Background()
	hall := login(t, url, "hall")
	board, feed, first := followAsBoard(t, url)
	if findAnnouncement(first.Announcements, "results") == nil || findAnnouncement(first.Announcements, "night") == nil {
		t.Fatalf("the demo snapshot has announcements %+v", first.Announcements)
	}

	from := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	in := domain.Announcement{ID: "holiday", OfficeID: demo.OfficeID, Text: "31 декабря офис работает до 16:00", Enabled: true,
		Order: 5, From: &from, Weekdays: []int{1, 2, 3, 4, 5}, DailyFrom: "08:00", DailyUntil: "16:00"}
	put := must[domain.Announcement](t)(hall.PutAnnouncement(ctx, in))
	if put.UpdatedAt.IsZero() || put.Text != in.Text {
		t.Fatalf("put answered %+v", put)
	}
	ev := feed.next(t, domain.EventAnnouncementChanged)
	if ev.Announcement == nil || ev.Announcement.ID != "holiday" || ev.Announcement.DailyUntil != "16:00" || ev.Actor != "" {
		t.Fatalf("the board heard %+v", ev)
	}
	snap := must[domain.OfficeSnapshot](t)(board.GetSnapshot(ctx, demo.OfficeID))
	if got := findAnnouncement(snap.Announcements, "holiday"); got == nil || got.Text != in.Text || !got.From.Equal(from) || len(got.Weekdays) != 5 {
		t.Fatalf("a fresh snapshot has %+v", snap.Announcements)
	}
	records := getJournal(t, url, login(t, url, "manager"), "")
	journaled := false
	for _, r := range records {
		journaled = journaled || r.Action == "putAnnouncement" && r.Object == "announcement/holiday" && r.Actor == "hall"
	}
	if !journaled {
		t.Error("the journal has no putAnnouncement by hall")
	}

	// Neither the board itself nor an operator may write the running line.
	if _, err := board.PutAnnouncement(ctx, in); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("the display wrote an announcement: %v", err)
	}
	if err := login(t, url, "operator1").DeleteAnnouncement(ctx, demo.OfficeID, "holiday"); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("an operator deleted an announcement: %v", err)
	}

	stop()
	url, _ = startServer(t, dir)
	hall = login(t, url, "hall")
	list := must[[]domain.Announcement](t)(hall.ListAnnouncements(ctx, demo.OfficeID))
	if got := findAnnouncement(list, "holiday"); got == nil || got.Text != in.Text || !got.UpdatedAt.Equal(put.UpdatedAt) {
		t.Fatalf("after the restart the office has %+v", list)
	}
	_, feed, _ = followAsBoard(t, url)
	if err := hall.DeleteAnnouncement(ctx, demo.OfficeID, "holiday"); err != nil {
		t.Fatal(err)
	}
	ev = feed.next(t, domain.EventAnnouncementDeleted)
	if ev.Announcement == nil || ev.Announcement.ID != "holiday" || ev.Announcement.OfficeID != demo.OfficeID {
		t.Fatalf("the board heard %+v", ev)
	}
	if got := must[[]domain.Announcement](t)(hall.ListAnnouncements(ctx, demo.OfficeID)); findAnnouncement(got, "holiday") != nil {
		t.Fatalf("still there after the deletion: %+v", got)
	}
	if err := hall.DeleteAnnouncement(ctx, demo.OfficeID, "holiday"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("a second deletion: %v, want not found", err)
	}
}

// Bad announcements over HTTP get a status and a sentence that says what is wrong.
func TestBadAnnouncementsOverHTTP(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	hall, admin := signIn(t, url, "hall", "demo"), signIn(t, url, "admin", "demo")
	path := url + "/api/v1/offices/" + demo.OfficeID + "/announcements/x"
	for _, c := range []struct {
		name, token, url, body string
		status                 int
		say                    string
	}{
		{"malformed JSON", hall, path, `{"text":`, 400, "JSON"},
		{"unknown field", hall, path, `{"text":"т","colour":"red"}`, 400, "colour"},
		{"too long", hall, path, `{"text":"` + strings.Repeat("я", 501) + `"}`, 400, "слишком длинный"},
		{"bad HH:MM", hall, path, `{"text":"т","daily_from":"9:00","daily_until":"18:00"}`, 400, "ЧЧ:ММ"},
		{"half a window", hall, path, `{"text":"т","daily_from":"09:00"}`, 400, "и начало, и конец"},
		{"weekday 0", hall, path, `{"text":"т","weekdays":[0]}`, 400, "день недели 0"},
		{"another id in the body", hall, path, `{"id":"y","text":"т"}`, 400, "не совпадает с адресом"},
		{"unknown office", admin, url + "/api/v1/offices/nowhere/announcements/x", `{"text":"т"}`, 404, "офис \"nowhere\" не найден"},
		{"another office for the hall", hall, url + "/api/v1/offices/nowhere/announcements/x", `{"text":"т"}`, 403, "нет доступа к офису"},
	} {
		status, out := call(t, "PUT", c.url, c.token, c.body, nil)
		if msg := errorMessage(out); status != c.status || !strings.Contains(msg, c.say) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, status, msg, c.status, c.say)
		}
	}
	status, out := call(t, "GET", url+"/api/v1/offices/"+demo.OfficeID+"/announcements", hall, "", nil)
	if status != 200 {
		t.Fatalf("list: %d %v", status, out)
	}
}

// A hall display reports that a window's LED board stopped answering: staff
// see the board and the driver's words, the public stream only the fact.
func TestDisplayReportsItsBoardsOverHTTP(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	ctx := context.Background()
	display, feed, _ := followAsBoard(t, url)
	silent := domain.DeviceState{Boards: []domain.BoardState{
		{Address: 12, WindowID: "w3", OK: false, Detail: "нет ответа на /dev/ttyUSB0"},
		{Address: 14, WindowID: "w4", OK: true},
	}}
	got := must[domain.DeviceState](t)(display.ReportDeviceState(ctx, demo.OfficeID, "display1", silent))
	if got.Printer != "" || len(got.Boards) != 2 || got.Boards[0].OK || got.At.IsZero() {
		t.Fatalf("report answered %+v", got)
	}
	ev := feed.next(t, domain.EventDeviceState)
	raw, _ := json.Marshal(ev)
	if ev.DeviceID != "display1" || len(ev.DeviceState.Boards) != 2 || ev.DeviceState.Boards[0].OK || strings.Contains(string(raw), "ttyUSB0") {
		t.Fatalf("the stream carries %s", raw)
	}
	var staff *domain.DeviceState
	for _, d := range must[[]domain.Device](t)(login(t, url, "hall").ListDevices(ctx, demo.OfficeID)) {
		if d.ID == "display1" {
			staff = d.State
		}
	}
	if staff == nil || len(staff.Boards) != 2 || staff.Boards[0].Detail != silent.Boards[0].Detail {
		t.Fatalf("the hall administrator sees %+v", staff)
	}
	// A display reports only for itself, and only boards it could address.
	if _, err := display.ReportDeviceState(ctx, demo.OfficeID, "kiosk1", domain.DeviceState{Printer: domain.PrinterOK}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("the display reported for the kiosk: %v", err)
	}
	bad := domain.DeviceState{Boards: []domain.BoardState{{Address: 7, WindowID: "w3"}}}
	if _, err := display.ReportDeviceState(ctx, demo.OfficeID, "display1", bad); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("address 7 accepted: %v", err)
	}
	// A kiosk still reports its printer as before, and must.
	kiosk := login(t, url, "kiosk1")
	if _, err := kiosk.ReportDeviceState(ctx, demo.OfficeID, "kiosk1", domain.DeviceState{}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("a kiosk reported without its printer: %v", err)
	}
	must[domain.DeviceState](t)(kiosk.ReportDeviceState(ctx, demo.OfficeID, "kiosk1", domain.DeviceState{Printer: domain.PrinterOK}))
}
