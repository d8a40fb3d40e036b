package engine

import (
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The server's power reaches every office as an event and in the snapshot;
// a repeat emits nothing, nobody but the server reports it, and a device
// does not learn which UPS it is.
func TestSetPower(t *testing.T) {
	f := newFixture(t)
	f.must(f.e.PutOffice(domain.System, domain.Office{ID: "o2", Name: "Второй", TimeZone: "Europe/Moscow"}, &f.log))
	if s := must(f.e.GetSnapshot(f.hall, "o1")); s.Power != nil {
		t.Fatalf("power before any UPS reading: %+v", s.Power)
	}
	battery := domain.PowerState{Status: domain.PowerOnBattery, Charge: 85, RuntimeSeconds: 1200, UPS: "ups1@localhost:3493"}
	for _, a := range []domain.Actor{f.hall, f.op1, f.kiosk, {Login: "admin", Role: domain.RoleAdmin}} {
		_, err := f.e.SetPower(a, battery, &f.log)
		wantCode(t, err, domain.CodeForbidden)
	}

	var ch domain.Changes
	if !must(f.e.SetPower(domain.System, battery, &ch)) || len(ch.Events) != 2 {
		t.Fatalf("events %+v", ch.Events)
	}
	seen := map[string]bool{}
	for _, ev := range ch.Events {
		if ev.Type != domain.EventPowerState || ev.Power == nil || !ev.Power.Same(battery) || !ev.At.Equal(f.now) || ev.Seq == 0 {
			t.Fatalf("event %+v power %+v", ev, ev.Power)
		}
		if pub := ev.Public(); pub.Power.UPS != "" || pub.Power.Status != domain.PowerOnBattery {
			t.Fatalf("public event carries %+v", pub.Power)
		}
		seen[ev.OfficeID] = true
	}
	if !seen["o1"] || !seen["o2"] {
		t.Fatalf("offices told: %v", seen)
	}
	if s := must(f.e.GetSnapshot(f.hall, "o1")); s.Power == nil || !s.Power.Same(battery) {
		t.Fatalf("snapshot power %+v", s.Power)
	}
	if s := must(f.e.GetSnapshot(f.kiosk, "o1")); s.Power == nil || s.Power.UPS != "" || s.Power.Charge != 85 {
		t.Fatalf("device snapshot power %+v", s.Power)
	}

	ch = domain.Changes{}
	if must(f.e.SetPower(domain.System, battery, &ch)) || len(ch.Events) != 0 {
		t.Fatalf("a repeat emitted %+v", ch.Events)
	}
	if !must(f.e.SetPower(domain.System, domain.PowerState{Status: domain.PowerOnline, Charge: 86, RuntimeSeconds: -1}, &ch)) || len(ch.Events) != 2 {
		t.Fatalf("back on line: events %+v", ch.Events)
	}
	if s := must(f.e.GetSnapshot(domain.System, "o2")); s.Power == nil || s.Power.Status != domain.PowerOnline {
		t.Fatalf("snapshot power %+v", s.Power)
	}
}

func TestPowerWords(t *testing.T) {
	for _, tc := range []struct {
		p    domain.PowerState
		want string
	}{
		{domain.PowerState{Status: domain.PowerOnBattery, Charge: 85, RuntimeSeconds: 1190},
			"Сервер работает от ИБП: заряд 85 %, осталось около 20 мин. Сохраняйте работу: при разряде батареи сервер выключится."},
		{domain.PowerState{Status: domain.PowerOnBattery, Charge: -1, RuntimeSeconds: -1},
			"Сервер работает от ИБП. Сохраняйте работу: при разряде батареи сервер выключится."},
		{domain.PowerState{Status: domain.PowerLowBattery, Charge: 9, RuntimeSeconds: -1}, "Батарея ИБП разряжена (заряд 9 %): сервер очереди выключается."},
		{domain.PowerState{Status: domain.PowerLowBattery, Charge: -1, RuntimeSeconds: -1}, "Батарея ИБП разряжена: сервер очереди выключается."},
	} {
		if got := tc.p.Words(); got != tc.want {
			t.Errorf("Words(%+v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}
