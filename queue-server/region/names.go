// Package region joins offices into a region over NATS JetStream. An office
// node runs its own JetStream domain and publishes every committed event of
// its office to the office's stream; the region's cluster sources every
// office stream into one regional stream across the leaf-node links, and
// the regional server reads that union. Configuration flows the other way.
// This file holds the names both sides must agree on.
package region

import "strings"

// RegionDomain is the JetStream domain of the region's cluster.
const RegionDomain = "region"

// RegionStream is the regional stream: no subjects of its own (it must not
// listen on office subjects, or a publish at the region would land in it
// twice), only a source per office stream.
const RegionStream = "REGION_EVENTS"

// token turns an office id (letters, digits, '.', '-', '_'; domain.IsID)
// into a token NATS takes in stream and domain names and in one subject
// level, where '.' is not allowed. It is reversible: '_' and '.' are
// escaped as _5F and _2E, so "a.b" and "a_b" stay apart.
func token(officeID string) string {
	return strings.NewReplacer("_", "_5F", ".", "_2E").Replace(officeID)
}

// OfficeDomain is the JetStream domain of the office node running officeID.
func OfficeDomain(officeID string) string { return "office-" + token(officeID) }

// OfficeStream is the stream an office node publishes its office's events
// to, in the office's domain.
func OfficeStream(officeID string) string { return "OFFICE_" + token(officeID) }

// OfficeSubject is the subject of an office's events.
func OfficeSubject(officeID string) string { return "talon.office." + token(officeID) + ".events" }

// APIPrefix is the JetStream API prefix of a domain, which a stream source
// in another domain names (ExternalStream.APIPrefix).
func APIPrefix(domain string) string { return "$JS." + domain + ".API" }

// Headers of an event message. The body is the event's JSON (domain.Event).
const (
	// HeaderOffice and HeaderSeq repeat the event's office and its seq in
	// that office's log, so a reader can order and de-duplicate without
	// decoding the body.
	HeaderOffice = "Talon-Office"
	HeaderSeq    = "Talon-Seq"
)

// Inbox is the prefix of the reply subjects of an office node's requests
// to the region (its configuration); the region's authorization lets the
// office's link receive replies there only.
func Inbox(officeID string) string { return "_INBOX." + OfficeDomain(officeID) }

// RegionalInbox is the prefix of the regional server's reply subjects.
const RegionalInbox = "_INBOX.regional"
