package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

var (
	fullHD   = fyne.NewSize(1920, 1080)
	hd       = fyne.NewSize(1280, 720)
	portrait = fyne.NewSize(1080, 1920)
)

// The snapshot's calls that are still at a window, newest on top; each
// call goes on top, the oldest fall off below the last row, and a window
// shows one ticket at a time.
func TestCallsInOrder(t *testing.T) {
	tb := newTestBoard(t, fullHD, Config{})
	tb.b.OnSnapshot(office())
	if got, want := tb.b.shown(), []string{"А002 → 2", "А001 → 1"}; !slices.Equal(got, want) {
		t.Fatalf("after the snapshot %q, want %q (a finished ticket is not shown)", got, want)
	}
	seq := uint64(10)
	call := func(id, number, window string, n int) {
		seq++
		tb.b.OnEvent(event(seq, domain.EventTicketCalled, ticket(id, number, domain.StatusCalled, window, n)))
	}
	for i := range 6 {
		call(fmt.Sprintf("n%d", i), fmt.Sprintf("П%03d", i+1), fmt.Sprintf("x%d", i), 10+i)
	}
	want := []string{"П006 → 15", "П005 → 14", "П004 → 13", "П003 → 12", "П002 → 11", "П001 → 10"}
	if got := tb.b.shown(); !slices.Equal(got, want) {
		t.Fatalf("landscape shows %q, want the newest %d: %q", got, landscapeRows, want)
	}
	// Window 12 calls its next: its old ticket leaves the board.
	call("n9", "П009", "x2", 12)
	want = []string{"П009 → 12", "П006 → 15", "П005 → 14", "П004 → 13", "П002 → 11", "П001 → 10"}
	if got := tb.b.shown(); !slices.Equal(got, want) {
		t.Fatalf("after window 12's next call %q, want %q", got, want)
	}
	// Service starting keeps the ticket where it is; finishing takes it
	// off, and an older call comes back into view.
	seq++
	tb.b.OnEvent(event(seq, domain.EventTicketStarted, ticket("n5", "П006", domain.StatusServing, "x5", 15)))
	if got := tb.b.shown(); got[1] != "П006 → 15" {
		t.Errorf("a ticket whose service started moved: %q", got)
	}
	seq++
	tb.b.OnEvent(event(seq, domain.EventTicketFinished, ticket("n5", "П006", domain.StatusDone, "x5", 15)))
	want = []string{"П009 → 12", "П005 → 14", "П004 → 13", "П002 → 11", "П001 → 10", "А002 → 2"}
	if got := tb.b.shown(); !slices.Equal(got, want) {
		t.Errorf("after a finish %q, want %q", got, want)
	}
	// A window that closes clears its ticket.
	seq++
	tb.b.OnEvent(domain.Event{Seq: seq, Type: domain.EventWindowClosed, WindowID: "x4"})
	if got := tb.b.shown(); slices.Contains(got, "П005 → 14") {
		t.Errorf("a closed window's ticket is still shown: %q", got)
	}
	// A portrait screen shows more rows.
	call("n10", "П010", "x10", 20)
	call("n11", "П011", "x11", 21)
	if got := tb.b.shown(); len(got) != landscapeRows {
		t.Errorf("landscape shows %d calls", len(got))
	}
	tb.resize(portrait)
	if got := tb.b.shown(); len(got) != 8 {
		t.Errorf("portrait shows %d calls (%q), want all 8 the board has", len(got), got)
	}
}

// The newest call blinks for BlinkFor, on and off every half second, then
// stays highlighted; a newer call takes the highlight.
func TestNewestCallBlinks(t *testing.T) {
	tb := newTestBoard(t, fullHD, Config{BlinkFor: 3 * time.Second})
	tb.b.OnSnapshot(office())
	if !tb.b.lit() {
		t.Error("the newest call of a snapshot is highlighted")
	}
	tb.b.OnEvent(event(11, domain.EventTicketCalled, ticket("q1", "А010", domain.StatusCalled, "w3", 3)))
	var seen []bool
	for range 8 {
		seen = append(seen, tb.b.lit())
		tb.tick(blinkPeriod)
	}
	if want := []bool{true, false, true, false, true, false, true, true}; !slices.Equal(seen, want) {
		t.Errorf("lit every half second %v, want %v", seen, want)
	}
	tb.b.mu.Lock()
	second := tb.b.v.calls[1].bg.FillColor
	tb.b.mu.Unlock()
	if second == highlightBack {
		t.Error("an older call is highlighted")
	}
}

// A recall brings the ticket back on top, blinks it again and says it
// again.
func TestRecall(t *testing.T) {
	tb := newTestBoard(t, fullHD, Config{BlinkFor: 3 * time.Second})
	tb.b.OnSnapshot(office())
	tb.b.OnEvent(event(11, domain.EventTicketCalled, ticket("q1", "А010", domain.StatusCalled, "w3", 3)))
	tb.tick(10 * time.Second)
	recalled := ticket("c1", "А001", domain.StatusCalled, "w1", 1)
	recalled.Recalls = 1
	tb.b.OnEvent(event(12, domain.EventTicketRecalled, recalled))
	if got := tb.b.shown(); !slices.Equal(got, []string{"А001 → 1", "А010 → 3", "А002 → 2"}) {
		t.Errorf("after the recall %q", got)
	}
	tb.tick(blinkPeriod)
	if tb.b.lit() {
		t.Error("a recalled ticket does not blink")
	}
	if got := tb.sp.spoken(); !slices.Equal(got, []string{"А010 → 3", "А001 → 1"}) {
		t.Errorf("said %q", got)
	}
}

// Each live call is said once; a snapshot's calls are never said, not even
// the ones it brings after a reconnect.
func TestSpeakerOncePerLiveCall(t *testing.T) {
	tb := newTestBoard(t, fullHD, Config{})
	tb.b.OnSnapshot(office())
	if got := tb.sp.spoken(); len(got) != 0 {
		t.Fatalf("a snapshot was said: %q", got)
	}
	tb.b.OnEvent(event(11, domain.EventTicketIssued, waiting("q9", "А011", "passport")))
	tb.b.OnEvent(event(12, domain.EventTicketCalled, ticket("q1", "А010", domain.StatusCalled, "w3", 3)))
	tb.b.OnEvent(event(13, domain.EventTicketStarted, ticket("q1", "А010", domain.StatusServing, "w3", 3)))
	tb.b.OnEvent(event(14, domain.EventTicketCalled, ticket("q2", "Б003", domain.StatusCalled, "w4", 4)))
	s := office()
	s.RecentCalls = append([]domain.Ticket{ticket("q3", "П004", domain.StatusCalled, "w1", 1)}, s.RecentCalls...)
	tb.b.OnSnapshot(s)
	if got, want := tb.sp.spoken(), []string{"А010 → 3", "Б003 → 4"}; !slices.Equal(got, want) {
		t.Errorf("said %q, want %q", got, want)
	}
}

// After a gap the stream sends a snapshot: it replaces the calls whatever
// the events said, so what happened meanwhile is right on screen.
func TestResyncAfterMissedEvents(t *testing.T) {
	tb := newTestBoard(t, fullHD, Config{})
	tb.b.OnSnapshot(office())
	tb.b.OnEvent(event(11, domain.EventTicketCalled, ticket("q1", "А010", domain.StatusCalled, "w3", 3)))
	tb.b.OnState(client.ConnState{Status: client.Connecting})
	// Meanwhile: А010 and А002 finished, window 2 called Б003, one more
	// waits for the passports.
	s := office()
	s.Seq = 20
	s.RecentCalls = []domain.Ticket{ticket("q2", "Б003", domain.StatusCalled, "w2", 2), ticket("q1", "А010", domain.StatusDone, "w3", 3),
		ticket("c2", "А002", domain.StatusDone, "w2", 2), ticket("c1", "А001", domain.StatusCalled, "w1", 1)}
	s.Queue = []domain.Ticket{waiting("q4", "А012", "passport"), waiting("q5", "А013", "passport"), waiting("q3", "П004", "results")}
	tb.b.OnSnapshot(s)
	tb.b.OnState(client.ConnState{Status: client.Online})
	if got, want := tb.b.shown(), []string{"Б003 → 2", "А001 → 1"}; !slices.Equal(got, want) {
		t.Errorf("after the resync %q, want %q", got, want)
	}
	if got := tb.waiting(); got["Паспорта, регистрация"] != 2 || got["Получение готовых документов"] != 1 {
		t.Errorf("waiting after the resync %v", got)
	}
	if len(tb.sp.spoken()) != 1 {
		t.Errorf("the resync was said: %q", tb.sp.spoken())
	}
}

// The connection's state is on screen: connecting at start, reconnecting
// after a drop, offline since when, and nothing while live.
func TestConnectionBanner(t *testing.T) {
	tb := newTestBoard(t, fullHD, Config{})
	banner := func() string {
		tb.b.mu.Lock()
		defer tb.b.mu.Unlock()
		return tb.b.v.banner.Text()
	}
	if !strings.Contains(banner(), "Подключение") {
		t.Errorf("at start %q", banner())
	}
	tb.b.OnSnapshot(office())
	tb.b.OnState(client.ConnState{Status: client.Online})
	if banner() != "" {
		t.Errorf("online %q", banner())
	}
	tb.b.OnState(client.ConnState{Status: client.Connecting})
	if !strings.Contains(banner(), "переподключаемся") {
		t.Errorf("reconnecting %q", banner())
	}
	tb.b.OnState(client.ConnState{Status: client.Offline, Since: time.Date(2026, 12, 2, 10, 42, 0, 0, time.Local)})
	if !strings.Contains(banner(), "Нет связи с 10:42") {
		t.Errorf("offline %q", banner())
	}
	// The calls stay while the banner says they may be stale.
	if len(tb.b.shown()) != 2 {
		t.Errorf("offline the calls went: %q", tb.b.shown())
	}
	tb.assertFits(fullHD)
}

// waiting is the people waiting per group as the screen shows them.
func (tb *testBoard) waiting() map[string]int {
	tb.b.mu.Lock()
	defer tb.b.mu.Unlock()
	out := map[string]int{}
	for _, w := range tb.b.v.waits {
		if w.name.Visible() {
			var n int
			fmt.Sscan(w.count.Text, &n)
			out[w.name.Text] = n
		}
	}
	return out
}

// The people waiting per group of the menu, from the snapshot's queue and
// then from each ticket's events.
func TestWaitingPerGroup(t *testing.T) {
	tb := newTestBoard(t, fullHD, Config{})
	tb.b.OnSnapshot(office())
	want := map[string]int{"Паспорта, регистрация": 2, "Недвижимость": 0, "Пособия и социальная поддержка": 0, "Получение готовых документов": 1}
	if got := tb.waiting(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("from the snapshot %v, want %v", got, want)
	}
	tb.b.OnEvent(event(11, domain.EventTicketIssued, waiting("q7", "Д001", "egrn")))
	tb.b.OnEvent(event(12, domain.EventTicketCalled, ticket("q1", "А010", domain.StatusCalled, "w1", 1)))
	postponed := ticket("q1", "А010", domain.StatusPostponed, "w1", 1)
	tb.b.OnEvent(event(13, domain.EventTicketPostponed, postponed))
	tb.b.OnEvent(event(14, domain.EventTicketCalled, ticket("q3", "П004", domain.StatusCalled, "w2", 2)))
	want = map[string]int{"Паспорта, регистрация": 2, "Недвижимость": 1, "Пособия и социальная поддержка": 0, "Получение готовых документов": 0}
	if got := tb.waiting(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after the events %v, want %v", got, want)
	}
}

// The running line runs the announcements active now, in order, and
// drops one whose hours end; with none it is gone.
func TestRunningLine(t *testing.T) {
	tb := newTestBoard(t, fullHD, Config{})
	tomorrow := time.Date(2026, 12, 3, 0, 0, 0, 0, moscow)
	s := office()
	s.Announcements = []domain.Announcement{
		{ID: "b", Enabled: true, Order: 2, Text: "Оплатить госпошлину можно в терминале у входа"},
		{ID: "a", Enabled: true, Order: 1, Text: "Офис работает без перерыва", DailyFrom: "08:00", DailyUntil: "11:00"},
		{ID: "c", Enabled: true, Order: 3, Text: "Завтра офис закрыт", From: &tomorrow},
		{ID: "d", Enabled: false, Order: 4, Text: "Старое объявление"},
	}
	tb.b.OnSnapshot(s)
	tb.b.mu.Lock()
	tb.b.beat()
	tb.b.mu.Unlock()
	line := func() (running []string, current string, visible bool) {
		tb.b.mu.Lock()
		defer tb.b.mu.Unlock()
		m := tb.b.v.marquee
		return append([]string(nil), m.texts...), m.current(), m.clip.Visible()
	}
	running, current, visible := line()
	if !visible || current != "Офис работает без перерыва" || !slices.Equal(running, []string{"Офис работает без перерыва", "Оплатить госпошлину можно в терминале у входа"}) {
		t.Fatalf("at 10:30 the line runs %q, now %q (visible %v)", running, current, visible)
	}
	tb.assertFits(fullHD)
	// The first text moves left and, once gone off the edge, the next
	// one comes in from the right.
	tb.b.mu.Lock()
	m := tb.b.v.marquee
	m.frame(tb.clk.Now())
	x0 := m.text.Position().X
	tb.clk.add(time.Second)
	m.frame(tb.clk.Now())
	x1 := m.text.Position().X
	// A text of size zero is drawn at first, then culled once it moves
	// past the left edge: seen under Xvfb, the line went blank mid-text.
	if sz := m.text.Size(); sz.Width < m.textW || sz.Height <= 0 {
		t.Errorf("the running text is %v, its content %v wide", sz, m.textW)
	}
	tb.clk.add(time.Minute)
	m.frame(tb.clk.Now())
	next := m.current()
	tb.b.mu.Unlock()
	if x1 >= x0 || next != "Оплатить госпошлину можно в терминале у входа" {
		t.Errorf("the line moved from %v to %v; after a minute it shows %q", x0, x1, next)
	}
	// At 11:00 the first one's hours are over.
	tb.clk.add(-time.Minute)
	tb.tick(30 * time.Minute)
	if running, _, _ := line(); !slices.Equal(running, []string{"Оплатить госпошлину можно в терминале у входа"}) {
		t.Errorf("at 11:00 the line runs %q", running)
	}
	// The administrator changes the texts: the stream brings each change.
	added := domain.Announcement{ID: "e", Enabled: true, Order: 5, Text: "Окно 6 принимает по записи"}
	tb.b.OnEvent(domain.Event{Seq: 11, OfficeID: "demo", Type: domain.EventAnnouncementChanged, Announcement: &added})
	tb.tick(time.Second)
	if running, _, _ := line(); !slices.Equal(running, []string{"Оплатить госпошлину можно в терминале у входа", added.Text}) {
		t.Errorf("after a text is added the line runs %q", running)
	}
	for i, id := range []string{"b", "e"} {
		tb.b.OnEvent(domain.Event{Seq: uint64(12 + i), OfficeID: "demo", Type: domain.EventAnnouncementDeleted, Announcement: &domain.Announcement{ID: id}})
	}
	tb.tick(time.Second)
	tb.b.mu.Lock()
	moving := tb.b.v.marquee.running()
	tb.b.mu.Unlock()
	if running, _, visible := line(); visible || moving || len(running) != 0 {
		t.Errorf("with no announcements left the line runs %q (visible %v, moving %v)", running, visible, moving)
	}
}

// A sound device that is missing or busy is said on screen, in words, and
// goes away when the speaker works again.
func TestSoundProblem(t *testing.T) {
	sp := &fakeSpeaker{problem: "нет звуковой карты"}
	tb := newTestBoard(t, fullHD, Config{Speaker: sp})
	sound := func() (string, bool) {
		tb.b.mu.Lock()
		defer tb.b.mu.Unlock()
		return tb.b.v.sound.Text, tb.b.v.sound.Visible()
	}
	if text, visible := sound(); !visible || text != "Звук недоступен: нет звуковой карты" {
		t.Errorf("at start %q (visible %v)", text, visible)
	}
	tb.b.SoundState(true, "")
	if _, visible := sound(); visible {
		t.Error("sound works again and the problem is still shown")
	}
	tb.b.SoundState(false, "устройство hw:1,0 занято другой программой")
	if text, visible := sound(); !visible || !strings.Contains(text, "занято") {
		t.Errorf("busy device: %q (visible %v)", text, visible)
	}
	tb.assertFits(fullHD)
	// The call is on screen whatever the sound does.
	tb.b.OnSnapshot(office())
	tb.b.OnEvent(event(11, domain.EventTicketCalled, ticket("q1", "А010", domain.StatusCalled, "w3", 3)))
	if got := tb.b.shown(); got[0] != "А010 → 3" {
		t.Errorf("without sound the call is not shown: %q", got)
	}
}

// The board reads on a 1920×1080 TV, a 1280×720 one and a portrait
// screen: every text fits in its place and on the screen.
func TestLayouts(t *testing.T) {
	for name, size := range map[string]fyne.Size{"1920×1080": fullHD, "1280×720": hd, "1080×1920": portrait} {
		t.Run(name, func(t *testing.T) {
			tb := newTestBoard(t, size, Config{})
			s := office()
			s.Office.Name = "Многофункциональный центр предоставления государственных и муниципальных услуг «Мои документы» района Хамовники"
			for i := range 8 {
				s.RecentCalls = append(s.RecentCalls, ticket(fmt.Sprint("x", i), fmt.Sprintf("ЖЖ%03d", 990+i), domain.StatusCalled, fmt.Sprint("y", i), 100+i))
			}
			tb.b.OnSnapshot(s)
			tb.b.OnState(client.ConnState{Status: client.Offline, Since: tb.clk.Now()})
			tb.b.SoundState(false, "устройство hw:1,0 занято другой программой")
			tb.b.mu.Lock()
			tb.b.ann.replace([]domain.Announcement{{ID: "a", Enabled: true, Text: "Уважаемые посетители!"}})
			tb.b.beat()
			tb.b.mu.Unlock()
			tb.assertFits(size)
			tb.b.mu.Lock()
			big := tb.b.v.calls[0].ticket.TextSize
			tb.b.mu.Unlock()
			if big < size.Height/30 {
				t.Errorf("the calls' text is %v px on a %v screen", big, size)
			}
		})
	}
}

// assertFits checks that every text on screen is as wide and tall as it
// needs, and within the screen.
func (tb *testBoard) assertFits(size fyne.Size) {
	tb.t.Helper()
	tb.b.mu.Lock()
	defer tb.b.mu.Unlock()
	var walk func(o fyne.CanvasObject, at fyne.Position)
	walk = func(o fyne.CanvasObject, at fyne.Position) {
		if !o.Visible() {
			return
		}
		pos := at.Add(o.Position())
		if txt, ok := o.(*canvas.Text); ok && txt.Text != "" && txt != tb.b.v.marquee.text {
			need, got := txt.MinSize(), txt.Size()
			if need.Width > got.Width+0.5 || need.Height > got.Height+0.5 {
				tb.t.Errorf("%q needs %v, has %v", txt.Text, need, got)
			}
			if pos.X < 0 || pos.Y < 0 || pos.X+got.Width > size.Width+0.5 || pos.Y+got.Height > size.Height+0.5 {
				tb.t.Errorf("%q at %v size %v is off the %v screen", txt.Text, pos, got, size)
			}
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, child := range c.Objects {
				walk(child, pos)
			}
		}
	}
	walk(tb.b.v.root, fyne.Position{})
	// The banner is a widget: its texts are its own, its box is checked.
	if bn := tb.b.v.banner; bn.Visible() && (bn.Size().Height < bn.MinSize().Height || bn.Size().Width > size.Width) {
		tb.t.Errorf("the banner has %v, needs %v", bn.Size(), bn.MinSize())
	}
}

// fakeSnapshots answers GetSnapshot from a list, the last one again and
// again.
type fakeSnapshots struct {
	mu    sync.Mutex
	snaps []domain.OfficeSnapshot
	asked int
}

func (f *fakeSnapshots) GetSnapshot(context.Context, string) (domain.OfficeSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked++
	s := f.snaps[0]
	if len(f.snaps) > 1 {
		f.snaps = f.snaps[1:]
	}
	return s, nil
}

func (f *fakeSnapshots) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.asked
}

// A change of the office's settings is read from a fresh snapshot; one
// older than the events already shown is not taken but read again.
func TestSettingsChange(t *testing.T) {
	stale, fresh := office(), office()
	stale.Seq = 11
	fresh.Seq = 12
	fresh.Services[3].Name = "Недвижимость и земля"
	fresh.RecentCalls = append([]domain.Ticket{ticket("q1", "А010", domain.StatusCalled, "w3", 3)}, fresh.RecentCalls...)
	fresh.Queue = fresh.Queue[1:]
	src := &fakeSnapshots{snaps: []domain.OfficeSnapshot{stale, fresh}}
	tb := newTestBoard(t, fullHD, Config{OfficeID: "demo", Snapshots: src})
	tb.b.OnSnapshot(office())
	tb.b.OnEvent(event(11, domain.EventTicketCalled, ticket("q1", "А010", domain.StatusCalled, "w3", 3)))
	tb.b.OnEvent(domain.Event{Seq: 12, Type: domain.EventConfigChanged, Config: "service/realty"})
	eventually(t, "the renamed group", func() bool { _, ok := tb.waiting()["Недвижимость и земля"]; return ok })
	if src.count() != 2 {
		t.Errorf("asked for %d snapshots, want 2 (the first was older than the call shown)", src.count())
	}
	if got := tb.b.shown(); !slices.Equal(got, []string{"А010 → 3", "А002 → 2", "А001 → 1"}) {
		t.Errorf("after the refresh %q", got)
	}
}

// The server on its UPS's battery is a line under the header, from the
// snapshot and then from the events; it fits every screen, goes when the
// power is back, and never hides the calls.
func TestPowerLine(t *testing.T) {
	for name, size := range map[string]fyne.Size{"1920×1080": fullHD, "1280×720": hd, "1080×1920": portrait} {
		t.Run(name, func(t *testing.T) {
			tb := newTestBoard(t, size, Config{})
			power := func() (string, bool) {
				tb.b.mu.Lock()
				defer tb.b.mu.Unlock()
				return tb.b.v.power.Text, tb.b.v.power.Visible()
			}
			s := office()
			s.Power = &domain.PowerState{Status: domain.PowerOnBattery, Charge: 80, RuntimeSeconds: 1200}
			tb.b.OnSnapshot(s)
			if text, visible := power(); !visible || text != "Сервер очереди работает от ИБП: заряд 80 %, осталось около 20 мин" {
				t.Fatalf("on battery %q (visible %v)", text, visible)
			}
			tb.assertFits(size)
			tb.b.OnEvent(event(11, domain.EventTicketCalled, ticket("q1", "А010", domain.StatusCalled, "w3", 3)))
			if got := tb.b.shown(); len(got) == 0 || got[0] != "А010 → 3" {
				t.Fatalf("on battery the calls show %q", got)
			}
			tb.b.OnEvent(domain.Event{Seq: 12, OfficeID: "demo", Type: domain.EventPowerState,
				Power: &domain.PowerState{Status: domain.PowerLowBattery, Charge: 9, RuntimeSeconds: 90}})
			if text, visible := power(); !visible || text != "Батарея ИБП разряжена — сервер очереди выключается: заряд 9 %" {
				t.Fatalf("low battery %q (visible %v)", text, visible)
			}
			tb.assertFits(size)
			tb.b.OnEvent(domain.Event{Seq: 13, OfficeID: "demo", Type: domain.EventPowerState,
				Power: &domain.PowerState{Status: domain.PowerOnline, Charge: 100, RuntimeSeconds: 3600}})
			if text, visible := power(); visible {
				t.Fatalf("back on line the board still says %q", text)
			}
			tb.b.OnEvent(domain.Event{Seq: 14, OfficeID: "demo", Type: domain.EventPowerState,
				Power: &domain.PowerState{Status: domain.PowerUnknown, Charge: -1, RuntimeSeconds: -1}})
			if text, visible := power(); visible {
				t.Fatalf("an unread UPS, staff business, shown in the hall: %q", text)
			}
		})
	}
}
