package engine

import (
	"strings"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The operator at a window reports its call-button pad; nobody else can,
// the window's state carries it to the office page, the public copy loses
// the driver's words, and closing the window drops it.
func TestOperatorReportsTheWindowsPad(t *testing.T) {
	f := newFixture(t)
	f.must(f.e.PutDevice(domain.System, domain.Device{ID: "p1", OfficeID: "o1", Kind: domain.DevicePanel, WindowID: "w1"}, &f.log))
	panel := domain.Actor{Login: "p1@o1", Role: domain.RoleDevice, OfficeID: "o1", DeviceID: "p1", DeviceKind: domain.DevicePanel, WindowID: "w1"}
	silent := domain.PadState{Address: 5, OK: false, Detail: "pad 0x05: no echo from device"}
	for _, tt := range []struct {
		name   string
		actor  domain.Actor
		window string
		st     domain.PadState
		code   domain.Code
	}{
		{"another operator's window", f.op2, "w1", silent, domain.CodeForbidden},
		{"hall administrator", f.hall, "w1", silent, domain.CodeForbidden},
		{"administrator", domain.System, "w1", silent, domain.CodeForbidden},
		{"the panel's own device credential", panel, "w1", silent, domain.CodeForbidden},
		{"a kiosk", f.kiosk, "w1", silent, domain.CodeForbidden},
		{"no such window", f.op1, "w9", silent, domain.CodeNotFound},
		{"address 7 is a delimiter", f.op1, "w1", domain.PadState{Address: 7}, domain.CodeInvalid},
		{"address 256", f.op1, "w1", domain.PadState{Address: 256}, domain.CodeInvalid},
		{"control characters", f.op1, "w1", domain.PadState{Address: 5, Detail: "a\x07b"}, domain.CodeInvalid},
		{"too long", f.op1, "w1", domain.PadState{Address: 5, Detail: strings.Repeat("я", domain.MaxDeviceDetail+1)}, domain.CodeInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.e.ReportPadState(tt.actor, "o1", tt.window, tt.st, &f.log)
			wantCode(t, err, tt.code)
		})
	}

	var ch domain.Changes
	got := must(f.e.ReportPadState(f.op1, "o1", "w1", silent, &ch))
	if !got.At.Equal(f.now) || got.OK || len(ch.Events) != 1 {
		t.Fatalf("report %+v, events %+v", got, ch.Events)
	}
	ev := ch.Events[0]
	if ev.Type != domain.EventPadState || ev.WindowID != "w1" || ev.Pad == nil || ev.Pad.Detail == "" {
		t.Fatalf("event %+v", ev)
	}
	if pub := ev.Public(); pub.Pad.Detail != "" || pub.Pad.OK || pub.Pad.Address != 5 {
		t.Fatalf("public event carries %+v", pub.Pad)
	}
	pad := func(a domain.Actor) *domain.PadState {
		t.Helper()
		for _, w := range must(f.e.ListWindows(a, "o1")) {
			if w.Window.ID == "w1" {
				return w.Pad
			}
			if w.Pad != nil {
				t.Fatalf("window %s has pad %+v", w.Window.ID, w.Pad)
			}
		}
		t.Fatal("no window w1")
		return nil
	}
	if p := pad(f.hall); p == nil || p.OK || p.Detail != silent.Detail {
		t.Fatalf("the hall administrator sees %+v", p)
	}
	if p := pad(f.kiosk); p == nil || p.Detail != "" {
		t.Fatalf("a device sees %+v", p)
	}
	if snap := must(f.e.GetSnapshot(f.hall, "o1")); snap.Windows[0].Pad == nil {
		t.Fatalf("the snapshot's window 1: %+v", snap.Windows[0])
	}

	// The same again says nothing; the pad answering again is news.
	ch = domain.Changes{}
	must(f.e.ReportPadState(f.op1, "o1", "w1", silent, &ch))
	if len(ch.Events) != 0 {
		t.Fatalf("a repeated report emitted %+v", ch.Events)
	}
	must(f.e.ReportPadState(f.op1, "o1", "w1", domain.PadState{Address: 5, OK: true}, &ch))
	if len(ch.Events) != 1 || !ch.Events[0].Pad.OK {
		t.Fatalf("the pad answering again emitted %+v", ch.Events)
	}

	// Nobody reports the pad of a closed window: its state goes with it,
	// and a closed window takes no report.
	must(f.e.ReportPadState(f.op1, "o1", "w1", silent, &ch))
	f.must(f.e.CloseWindowSession(f.op1, "o1", "w1", &f.log))
	if p := pad(f.hall); p != nil {
		t.Fatalf("the closed window still has pad %+v", p)
	}
	_, err := f.e.ReportPadState(f.op1, "o1", "w1", silent, &ch)
	wantCode(t, err, domain.CodeConflict)
}
