package domain

import (
	"encoding/base32"
	"strings"
	"time"
)

// A staff card is a badge with a barcode the scanner at a window reads: a
// person logs in by showing it instead of typing a login and password. Its
// code is a random secret the server makes; like a device's secret, only
// its hash is kept (HashSecret), and the hash alone finds the account, so
// the card carries no login. A new card replaces the old one; revoking a
// lost card also ends the account's sessions, since whoever found it may be
// logged in.

// StaffCardPrefix starts every staff card's code, so a terminal tells a
// card from an appointment code or a ticket's barcode without asking.
const StaffCardPrefix = "TSC1-"

// staffCardLen is the length of a code: the prefix and 26 base32 symbols,
// 128 random bits.
const staffCardLen = len(StaffCardPrefix) + 26

var staffCardEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// StaffCard is a card just issued: the only time its code is shown.
type StaffCard struct {
	Login    string    `json:"login"`
	Card     string    `json:"card"`
	IssuedAt time.Time `json:"issued_at"`
}

// StaffCardFrom makes a card's code from 128 random bits.
func StaffCardFrom(random [16]byte) string {
	return StaffCardPrefix + staffCardEncoding.EncodeToString(random[:])
}

// IsStaffCard reports whether a scanned code is meant to be a staff card,
// right or not.
func IsStaffCard(code string) bool {
	return strings.HasPrefix(strings.ToUpper(strings.TrimSpace(code)), StaffCardPrefix)
}

// ParseStaffCard checks a card's code and returns it in the form its hash
// is taken of; scanners may send it in either case.
func ParseStaffCard(code string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	bad := Errorf(CodeInvalid, "код карты сотрудника — %s и 26 латинских букв и цифр", StaffCardPrefix)
	if len(c) != staffCardLen || !strings.HasPrefix(c, StaffCardPrefix) {
		return "", bad
	}
	if _, err := staffCardEncoding.DecodeString(c[len(StaffCardPrefix):]); err != nil {
		return "", bad
	}
	return c, nil
}
