package ui

import "strings"

// phoneDigits is a Russian number's length after +7.
const phoneDigits = 10

// validMobile reports whether the ten digits after +7 are a mobile number:
// Russian mobile numbers start with 9 (+7 9XX), and the МКГУ survey goes
// out by SMS, which a landline cannot take.
func validMobile(d string) bool {
	if len(d) != phoneDigits || d[0] != '9' {
		return false
	}
	return strings.Trim(d, "0123456789") == ""
}

// formatPhone shows the digits typed so far in the number's usual shape,
// +7 9XX XXX-XX-XX, with the places still to fill as «_».
func formatPhone(d string) string {
	const shape = "+7 ___ ___-__-__"
	var b strings.Builder
	i := 0
	for _, c := range shape[3:] {
		if c == '_' {
			if i < len(d) {
				b.WriteByte(d[i])
				i++
				continue
			}
		}
		b.WriteRune(c)
	}
	return shape[:3] + b.String()
}
