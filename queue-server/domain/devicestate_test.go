package domain

import (
	"testing"
	"time"
)

// A device offline alerts only once the grace has passed; online never.
func TestNewDeviceLink(t *testing.T) {
	since := time.Date(2026, 12, 2, 14, 5, 0, 0, time.UTC)
	grace := time.Minute
	for _, tt := range []struct {
		name   string
		online bool
		after  time.Duration
		alert  bool
	}{
		{"online a long time", true, time.Hour, false},
		{"just gone", false, 0, false},
		{"gone for the grace exactly", false, grace, false},
		{"gone past the grace", false, grace + time.Second, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := NewDeviceLink(tt.online, since, since.Add(tt.after), grace)
			if l.Alert != tt.alert || l.Online != tt.online || !l.Since.Equal(since) {
				t.Fatalf("link %+v, want alert %v", l, tt.alert)
			}
		})
	}
}

// A pad report is checked like a board's: an RS-485 address, a short line.
func TestPadStateValidate(t *testing.T) {
	for _, tt := range []struct {
		st PadState
		ok bool
	}{
		{PadState{Address: 5, OK: true}, true},
		{PadState{Address: 0}, true},
		{PadState{Address: 255, Detail: "нет эха"}, true},
		{PadState{Address: 1}, false},
		{PadState{Address: 7}, false},
		{PadState{Address: -1}, false},
		{PadState{Address: 256}, false},
		{PadState{Address: 5, Detail: "a\nb"}, false},
	} {
		if err := tt.st.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: %v", tt.st, err)
		}
	}
	if p := (PadState{Address: 5, Detail: "x"}).Public(); p.Detail != "" || p.Address != 5 {
		t.Errorf("public %+v", p)
	}
}
