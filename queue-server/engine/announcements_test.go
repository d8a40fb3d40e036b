package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

func TestAnnouncementPermissions(t *testing.T) {
	f := newFixture(t)
	device := func(id string, kind domain.DeviceKind) domain.Actor {
		return domain.Actor{Login: id + "@o1", Role: domain.RoleDevice, OfficeID: "o1", DeviceID: id, DeviceKind: kind}
	}
	a := domain.Announcement{ID: "docs", OfficeID: "o1", Text: "Готовые документы — в окнах 5–6", Enabled: true}
	for _, c := range []struct {
		name  string
		actor domain.Actor
		code  domain.Code
	}{
		{"region administrator", domain.Actor{Login: "root", Role: domain.RoleAdmin}, ""},
		{"office administrator", domain.Actor{Login: "boss", Role: domain.RoleAdmin, OfficeID: "o1"}, ""},
		{"hall administrator", f.hall, ""},
		{"administrator of another office", domain.Actor{Login: "other", Role: domain.RoleAdmin, OfficeID: "o2"}, domain.CodeForbidden},
		{"manager", domain.Actor{Login: "mgr", Role: domain.RoleManager, OfficeID: "o1"}, domain.CodeForbidden},
		{"operator", f.op1, domain.CodeForbidden},
		{"kiosk", f.kiosk, domain.CodeForbidden},
		{"display", device("d1", domain.DeviceDisplay), domain.CodeForbidden},
		{"rating terminal", device("r1", domain.DeviceRating), domain.CodeForbidden},
		{"nobody", domain.Actor{}, domain.CodeUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ch domain.Changes
			_, err := f.e.PutAnnouncement(c.actor, a, &ch)
			wantCode(t, err, c.code)
			_, err = f.e.ListAnnouncements(c.actor, "o1")
			wantCode(t, err, c.code)
			err = f.e.DeleteAnnouncement(c.actor, "o1", a.ID, &ch)
			wantCode(t, err, c.code)
			if c.code != "" && len(ch.Events)+len(ch.Announcements)+len(ch.Deletions) != 0 {
				t.Fatalf("a refused caller changed %+v", ch)
			}
		})
	}
}

func TestAnnouncementLifecycle(t *testing.T) {
	f := newFixture(t)
	var ch domain.Changes
	in := domain.Announcement{ID: "night", OfficeID: "o1", Text: "Ночная смена", Enabled: true, Order: 2, DailyFrom: "22:00", DailyUntil: "06:00"}
	got := must(f.e.PutAnnouncement(f.hall, in, &ch))
	if !got.UpdatedAt.Equal(f.now) || len(ch.Announcements) != 1 || len(ch.Events) != 1 {
		t.Fatalf("put gave %+v, changes %+v", got, ch)
	}
	ev := ch.Events[0]
	if ev.Type != domain.EventAnnouncementChanged || ev.Announcement == nil || ev.Announcement.Text != in.Text || ev.OfficeID != "o1" {
		t.Fatalf("event %+v", ev)
	}
	if pub := ev.Public(); pub.Announcement == nil || pub.Announcement.Text != in.Text || pub.Actor != "" {
		t.Fatalf("the public stream must carry the text and no staff: %+v", pub)
	}
	must(f.e.PutAnnouncement(f.hall, domain.Announcement{ID: "docs", OfficeID: "o1", Text: "Документы", Enabled: false, Order: 1}, &ch))
	must(f.e.PutAnnouncement(f.hall, domain.Announcement{ID: "a-first", OfficeID: "o1", Text: "Первое", Enabled: true, Order: 1}, &ch))

	// The snapshot, also a device's, has all of them, in board order.
	kioskSnap := must(f.e.GetSnapshot(f.kiosk, "o1"))
	var ids []string
	for _, x := range kioskSnap.Announcements {
		ids = append(ids, x.ID)
	}
	if strings.Join(ids, ",") != "a-first,docs,night" {
		t.Fatalf("snapshot announcements %v, want a-first,docs,night", ids)
	}

	// Replace, then delete: the event names what went.
	in.Text = "Ночная смена до шести"
	f.now = f.now.Add(1)
	got = must(f.e.PutAnnouncement(f.hall, in, &ch))
	if got.Text != in.Text || !got.UpdatedAt.Equal(f.now) || len(must(f.e.ListAnnouncements(f.hall, "o1"))) != 3 {
		t.Fatalf("replace gave %+v", got)
	}
	ch = domain.Changes{}
	if err := f.e.DeleteAnnouncement(f.hall, "o1", "night", &ch); err != nil {
		t.Fatal(err)
	}
	if len(ch.Deletions) != 1 || ch.Deletions[0] != (domain.Deletion{Kind: domain.KindAnnouncement, OfficeID: "o1", ID: "night"}) ||
		len(ch.Events) != 1 || ch.Events[0].Type != domain.EventAnnouncementDeleted || ch.Events[0].Announcement.ID != "night" || ch.Events[0].Announcement.OfficeID != "o1" {
		t.Fatalf("delete changes %+v", ch)
	}
	wantCode(t, f.e.DeleteAnnouncement(f.hall, "o1", "night", &ch), domain.CodeNotFound)
	_, err := f.e.PutAnnouncement(f.hall, domain.Announcement{ID: "x", OfficeID: "nowhere", Text: "т"}, &ch)
	wantCode(t, err, domain.CodeForbidden) // a hall administrator of o1 has no other office
	_, err = f.e.PutAnnouncement(domain.Actor{Login: "root", Role: domain.RoleAdmin}, domain.Announcement{ID: "x", OfficeID: "nowhere", Text: "т"}, &ch)
	wantCode(t, err, domain.CodeNotFound)
	_, err = f.e.PutAnnouncement(f.hall, domain.Announcement{ID: "bad", OfficeID: "o1", Text: "т", DailyFrom: "25:00", DailyUntil: "06:00"}, &ch)
	wantCode(t, err, domain.CodeInvalid)
}

func TestAnnouncementCap(t *testing.T) {
	f := newFixture(t)
	var ch domain.Changes
	for i := range domain.MaxAnnouncements {
		must(f.e.PutAnnouncement(f.hall, domain.Announcement{ID: fmt.Sprintf("a%02d", i), OfficeID: "o1", Text: "т", Enabled: true}, &ch))
	}
	_, err := f.e.PutAnnouncement(f.hall, domain.Announcement{ID: "one-more", OfficeID: "o1", Text: "т"}, &ch)
	wantCode(t, err, domain.CodeConflict)
	if !strings.Contains(domain.ErrorMessage(err), "50 объявлений") {
		t.Fatalf("the refusal says %q", domain.ErrorMessage(err))
	}
	// Changing one of them is no new one.
	must(f.e.PutAnnouncement(f.hall, domain.Announcement{ID: "a00", OfficeID: "o1", Text: "другой текст"}, &ch))
}

func TestDisplayReportsItsBoards(t *testing.T) {
	f := newFixture(t)
	f.must(f.e.PutDevice(domain.System, domain.Device{ID: "d1", OfficeID: "o1", Kind: domain.DeviceDisplay}, &f.log))
	display := domain.Actor{Login: "d1@o1", Role: domain.RoleDevice, OfficeID: "o1", DeviceID: "d1", DeviceKind: domain.DeviceDisplay}
	silent := domain.DeviceState{Boards: []domain.BoardState{
		{Address: 12, WindowID: "w1", OK: false, Detail: "нет ответа за 500 мс"},
		{Address: 14, WindowID: "w2", OK: true},
	}}
	var ch domain.Changes
	got := must(f.e.ReportDeviceState(display, "o1", "d1", silent, &ch))
	if got.Printer != "" || len(got.Boards) != 2 || len(ch.Events) != 1 || ch.Events[0].Type != domain.EventDeviceState {
		t.Fatalf("report %+v, events %+v", got, ch.Events)
	}
	if pub := ch.Events[0].Public(); pub.DeviceState.Boards[0].Detail != "" || pub.DeviceState.Boards[0].OK {
		t.Fatalf("public event carries %+v", pub.DeviceState)
	}
	// The same again says nothing; the board answering again is news.
	ch = domain.Changes{}
	must(f.e.ReportDeviceState(display, "o1", "d1", silent, &ch))
	if len(ch.Events) != 0 {
		t.Fatalf("a repeated report emitted %+v", ch.Events)
	}
	back := domain.DeviceState{Boards: []domain.BoardState{{Address: 12, WindowID: "w1", OK: true}, {Address: 14, WindowID: "w2", OK: true}}}
	must(f.e.ReportDeviceState(display, "o1", "d1", back, &ch))
	if len(ch.Events) != 1 || !ch.Events[0].DeviceState.OK() {
		t.Fatalf("the board answering again emitted %+v", ch.Events)
	}
	_, err := f.e.ReportDeviceState(display, "o1", "d1", domain.DeviceState{Boards: []domain.BoardState{{Address: 7, WindowID: "w1"}}}, &ch)
	wantCode(t, err, domain.CodeInvalid)
}
