package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Devices (kiosks, boards, rating terminals) do not share passwords. An
// administrator registers a device and gets a one-time pairing code; the
// device exchanges the code for a credential of its own, which it keeps in
// its configuration file and presents as its bearer token. Revoking the
// device makes the credential worthless at once.

// PairingCodeTTL is how long a pairing code can be used.
const PairingCodeTTL = 15 * time.Minute

// pairingAlphabet is Crockford's base32: no I, L, O or U to misread.
const pairingAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// PairingCodeLen is the number of symbols in a pairing code (40 bits).
const PairingCodeLen = 8

// PairingCode is what an administrator types into a new device.
type PairingCode struct {
	OfficeID  string    `json:"office_id"`
	DeviceID  string    `json:"device_id"`
	Code      string    `json:"code"` // e.g. 7KQ2-M9XD
	ExpiresAt time.Time `json:"expires_at"`
}

// DevicePairing is what a device gets for its code.
type DevicePairing struct {
	Credential string `json:"credential"`
	Device     Device `json:"device"`
}

// FormatPairingCode groups a code for reading aloud: 7KQ2M9XD → 7KQ2-M9XD.
func FormatPairingCode(code string) string {
	if len(code) != PairingCodeLen {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// ParsePairingCode accepts what a person types: any case, spaces and
// dashes, and the letters people confuse with digits (O for 0, I and L for 1).
func ParsePairingCode(s string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if r > 127 || !strings.ContainsRune(pairingAlphabet, r) || b.Len() >= PairingCodeLen {
			return "", Errorf(CodeInvalid, "код привязки — %d знаков из цифр и латинских букв, например 7KQ2-M9XD", PairingCodeLen)
		}
		b.WriteRune(r)
	}
	if b.Len() != PairingCodeLen {
		return "", Errorf(CodeInvalid, "код привязки — %d знаков из цифр и латинских букв, например 7KQ2-M9XD", PairingCodeLen)
	}
	return b.String(), nil
}

// PairingCodeFrom turns random bytes into a code (one symbol per byte).
func PairingCodeFrom(random [PairingCodeLen]byte) string {
	var b [PairingCodeLen]byte
	for i, r := range random {
		b[i] = pairingAlphabet[int(r)%len(pairingAlphabet)]
	}
	return string(b[:])
}

// DeviceCredentialPrefix starts every device credential, so the API tells
// it from a person's token without trying both.
const DeviceCredentialPrefix = "tdc1:"

// DeviceCredential is the bearer credential of a paired device. Identifiers
// never contain ':', so the parts split back unambiguously.
func DeviceCredential(officeID, deviceID, secret string) string {
	return DeviceCredentialPrefix + officeID + ":" + deviceID + ":" + secret
}

// ParseDeviceCredential splits a credential; ok is false for anything else.
func ParseDeviceCredential(s string) (officeID, deviceID, secret string, ok bool) {
	rest, found := strings.CutPrefix(s, DeviceCredentialPrefix)
	if !found || len(rest) > 3*MaxIDLength {
		return "", "", "", false
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 || !IsID(parts[0]) || !IsID(parts[1]) || len(parts[2]) < 32 {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// HashSecret is how pairing codes and device secrets are kept: both are
// random and long enough that a fast hash cannot be reversed by guessing.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// DeviceLogin names a device where a login would stand: in the journal, the
// access log and its actor. People's logins never contain '@'.
func DeviceLogin(officeID, deviceID string) string { return deviceID + "@" + officeID }
