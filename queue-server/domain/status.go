package domain

import (
	"net/url"
	"strings"
	"time"
)

// Every ticket carries a status token: a random, unguessable key (at least
// 128 bits) to its public status page /t/{token}, which the ticket's QR
// opens on the applicant's phone without a login. Whoever holds the paper
// holds the key; the page shows nothing but the ticket's progress.

// StatusPath is the path of a ticket's public status page.
func StatusPath(token string) string { return "/t/" + token }

// TicketQR is what a printed ticket's QR carries: the link to the ticket's
// status page when the office has a public address, otherwise the ticket
// id, which staff terminals and the rating terminal scan. The kiosk and the
// server both use it, so the paper and the page agree.
func TicketQR(o Office, t Ticket) string {
	if o.PublicURL == "" || t.StatusToken == "" {
		return t.ID
	}
	return strings.TrimRight(o.PublicURL, "/") + StatusPath(t.StatusToken)
}

// validPublicURL checks an office's public address: http or https, a host,
// and nothing a status link could not be appended to.
func validPublicURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(s, " \t\r\n#?") {
		return Errorf(CodeInvalid, "публичный адрес офиса должен быть ссылкой http:// или https:// без параметров после «?», например https://mfc.example.ru")
	}
	return nil
}

// TicketStatus is a ticket as its public status page shows it: no ids, no
// personal data, nothing about other tickets but how many are ahead.
type TicketStatus struct {
	Number  string `json:"number"`
	Service string `json:"service"` // its name
	Office  string `json:"office"`  // its name
	Status  Status `json:"status"`
	// While waiting: the place in its service's queue (1 is next) and the
	// expected wait.
	Position             int `json:"position,omitempty"`
	EstimatedWaitSeconds int `json:"estimated_wait_seconds,omitempty"`
	// When called or served: where to go.
	WindowNumber int       `json:"window_number,omitempty"`
	Window       string    `json:"window,omitempty"` // its name, e.g. "Кабинет 12"
	At           time.Time `json:"at"`               // when the server said so
}

// Words says a ticket's status in Russian, as a sentence fragment.
func (s Status) Words() string { return statusRu[s] }
