package domain

import (
	"strings"
	"testing"
)

func TestParsePairingCode(t *testing.T) {
	for in, want := range map[string]string{
		"7KQ2-M9XD":  "7KQ2M9XD",
		"7kq2 m9xd":  "7KQ2M9XD",
		"OIL0-0000":  "0110" + "0000",
		" 7KQ2M9XD ": "7KQ2M9XD",
	} {
		got, err := ParsePairingCode(in)
		if err != nil || got != want {
			t.Errorf("ParsePairingCode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "7KQ2-M9X", "7KQ2-M9XDX", "7KQ2-M9XU", "код-привя", "7KQ2\x00M9XD"} {
		if _, err := ParsePairingCode(bad); ErrorCode(err) != CodeInvalid || !strings.Contains(ErrorMessage(err), "8 знаков") {
			t.Errorf("ParsePairingCode(%q) = %v, want a sentence about the format", bad, err)
		}
	}
	var random [PairingCodeLen]byte
	for i := range random {
		random[i] = byte(i * 37)
	}
	code := PairingCodeFrom(random)
	if got, err := ParsePairingCode(FormatPairingCode(code)); err != nil || got != code {
		t.Fatalf("a made code %q does not parse back: %q, %v", code, got, err)
	}
}

func TestDeviceCredentialRoundTrip(t *testing.T) {
	secret := strings.Repeat("ab", 32)
	o, d, s, ok := ParseDeviceCredential(DeviceCredential("mfc-1", "kiosk.1", secret))
	if !ok || o != "mfc-1" || d != "kiosk.1" || s != secret {
		t.Fatalf("round trip gave %q %q %q %v", o, d, s, ok)
	}
	for _, bad := range []string{"", "tdc1:", "tdc1:mfc-1:kiosk1", "tdc1:mfc-1:kiosk1:short", "tdc1:mfc 1:kiosk1:" + secret, "eyJhbGciOi.x", "tdc1:a:b:c:" + secret} {
		if _, _, _, ok := ParseDeviceCredential(bad); ok {
			t.Errorf("ParseDeviceCredential(%q) accepted", bad)
		}
	}
}

// FuzzParsePairingCode: whatever a person types, the parser answers a code
// that parses to itself, or a sentence; it never panics.
func FuzzParsePairingCode(f *testing.F) {
	for _, s := range []string{"7KQ2-M9XD", "oil0 0000", "", "ЙЦУК-ЕНГШ", "7KQ2-M9XD-EXTRA", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, err := ParsePairingCode(s)
		if err != nil {
			if ErrorCode(err) != CodeInvalid {
				t.Fatalf("ParsePairingCode(%q): %v", s, err)
			}
			return
		}
		if again, err := ParsePairingCode(FormatPairingCode(code)); err != nil || again != code || len(code) != PairingCodeLen {
			t.Fatalf("code %q from %q does not parse back: %q, %v", code, s, again, err)
		}
	})
}

// FuzzParseDeviceCredential: a bearer that parses names ids that could be
// in a path, and formats back to itself.
func FuzzParseDeviceCredential(f *testing.F) {
	f.Add(DeviceCredential("demo", "kiosk1", strings.Repeat("0f", 32)))
	f.Add("tdc1:::")
	f.Add("tdc1:a:b:" + strings.Repeat("x", 40))
	f.Fuzz(func(t *testing.T, s string) {
		o, d, secret, ok := ParseDeviceCredential(s)
		if !ok {
			return
		}
		if !IsID(o) || !IsID(d) || DeviceCredential(o, d, secret) != s {
			t.Fatalf("%q parsed to %q %q %q", s, o, d, secret)
		}
	})
}
