package domain

import (
	"strings"
	"testing"
)

func TestStaffCardCodes(t *testing.T) {
	a, b := StaffCardFrom([16]byte{1}), StaffCardFrom([16]byte{2})
	if a == b || len(a) != staffCardLen || !strings.HasPrefix(a, StaffCardPrefix) {
		t.Fatalf("codes %q, %q", a, b)
	}
	for _, in := range []string{a, strings.ToLower(a), " " + a + "\r\n"} {
		if got, err := ParseStaffCard(in); err != nil || got != a {
			t.Errorf("ParseStaffCard(%q) = %q, %v; want %q", in, got, err, a)
		}
		if !IsStaffCard(in) {
			t.Errorf("IsStaffCard(%q) = false", in)
		}
	}
	for _, in := range []string{"", "TSC1-", a[:len(a)-1], a + "A", "TSC2-" + a[5:], a[:10] + "1" + a[11:], "А001"} {
		if _, err := ParseStaffCard(in); ErrorCode(err) != CodeInvalid {
			t.Errorf("ParseStaffCard(%q): %v, want invalid", in, err)
		}
	}
	if IsStaffCard("4607001234567") || IsStaffCard("7KQ2-M9XD") {
		t.Error("a product barcode or a pairing code taken for a card")
	}
}
