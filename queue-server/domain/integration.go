package domain

import (
	"slices"
	"strings"
	"time"
)

// Integration is another system's access to the API — a case-management
// system (АИС МФЦ), a portal, the phone centre's IVR, a monitoring feed —
// granted the way a state system grants it: the administrator registers it
// with the offices and operations it may use, it gets its own key, starts in
// the sandbox against a test office, and is moved to production by the
// administrator. Every call it makes is journaled under its login
// (IntegrationLogin).
type Integration struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// OfficeIDs are the offices it works with; a sandbox integration's are
	// test offices (Office.Sandbox).
	OfficeIDs  []string    `json:"office_ids"`
	Operations []Operation `json:"operations"`
	// Sandbox keeps it to test offices, whose tickets reach no statistics or
	// feeds; the administrator clears it to move the integration to production.
	Sandbox bool   `json:"sandbox"`
	Contact string `json:"contact,omitempty"` // who runs the other system
	// KeyHash is the hash of its key's secret (HashSecret); the integration
	// shows only since when it has a key.
	KeyHash     string     `json:"-"`
	KeyIssuedAt *time.Time `json:"key_issued_at,omitempty"`
	// Version changes with the key and the grants, which invalidates the
	// OAuth2 tokens issued before.
	Version   int       `json:"version"`
	Disabled  bool      `json:"disabled,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Operation is a group of API operations an integration may be granted.
type Operation string

const (
	OpView     Operation = "view"     // office, services, windows, operators, queue lists, live load, stream
	OpIssue    Operation = "issue"    // live tickets and appointment check-in
	OpBook     Operation = "book"     // free slots, booking and cancelling appointments
	OpServe    Operation = "serve"    // act for an operator at their window (header X-Talon-Operator)
	OpMove     Operation = "move"     // cancel or redirect any ticket of the office
	OpCase     Operation = "case"     // attach and search case numbers
	OpStats    Operation = "stats"    // statistics reports
	OpMDM      Operation = "mdm"      // the ИС МДМ feed for a period
	OpPhone    Operation = "phone"    // the phone centre: phones with consent, result calls, IVR status
	OpCatalog  Operation = "catalog"  // import the federal register into the service catalogue
	OpWebhooks Operation = "webhooks" // its own webhook subscriptions
	OpOutbox   Operation = "outbox"   // the delivery log of messages to other systems
)

// Operations lists every operation, in the order documents show them.
var Operations = []Operation{OpView, OpIssue, OpBook, OpServe, OpMove, OpCase, OpStats, OpMDM, OpPhone, OpCatalog, OpWebhooks, OpOutbox}

// Validate checks an integration on its own; that its offices exist and
// suit its mode is the engine's check.
func (in Integration) Validate() error {
	if err := validID("интеграции", in.ID); err != nil {
		return err
	}
	if strings.TrimSpace(in.Name) == "" {
		return Errorf(CodeInvalid, "укажите название интеграции, например «АИС МФЦ»")
	}
	if len(in.OfficeIDs) == 0 {
		return Errorf(CodeInvalid, "укажите офисы, с которыми работает интеграция (office_ids)")
	}
	for _, id := range in.OfficeIDs {
		if err := validID("офиса", id); err != nil {
			return err
		}
	}
	if len(in.Operations) == 0 {
		return Errorf(CodeInvalid, "укажите разрешённые интеграции операции (operations): %s", operationList())
	}
	for _, op := range in.Operations {
		if !slices.Contains(Operations, op) {
			return Errorf(CodeInvalid, "операция %q неизвестна; допустимы: %s", op, operationList())
		}
	}
	return nil
}

func operationList() string {
	names := make([]string, len(Operations))
	for i, op := range Operations {
		names[i] = string(op)
	}
	return strings.Join(names, ", ")
}

// Allows reports whether the integration was granted op.
func (in Integration) Allows(op Operation) bool { return slices.Contains(in.Operations, op) }

// IntegrationKey is an integration's new key, shown once: as a bearer key
// (Key) and as OAuth2 client credentials (ClientID and ClientSecret, for the
// token endpoint).
type IntegrationKey struct {
	Integration  Integration `json:"integration"`
	Key          string      `json:"key"`
	ClientID     string      `json:"client_id"`
	ClientSecret string      `json:"client_secret"`
}

// IntegrationKeyPrefix starts every integration key, so the API tells it
// from a person's token and a device credential without trying them all.
const IntegrationKeyPrefix = "tik1:"

// IntegrationKeyOf is the bearer key of an integration with its secret.
func IntegrationKeyOf(integrationID, secret string) string {
	return IntegrationKeyPrefix + integrationID + ":" + secret
}

// ParseIntegrationKey splits a key; ok is false for anything else.
func ParseIntegrationKey(s string) (integrationID, secret string, ok bool) {
	rest, found := strings.CutPrefix(s, IntegrationKeyPrefix)
	if !found || len(rest) > 2*MaxIDLength+64 {
		return "", "", false
	}
	id, secret, found := strings.Cut(rest, ":")
	if !found || !IsID(id) || len(secret) < 32 || strings.Contains(secret, ":") {
		return "", "", false
	}
	return id, secret, true
}

// IntegrationLogin names an integration where a login would stand: in the
// journal, the access log, events and ticket history. People's logins never
// contain ':'.
func IntegrationLogin(integrationID string) string { return "integration:" + integrationID }

// IsActorLogin reports whether s can name an actor in the journal: a
// person's login, a device (DeviceLogin) or an integration (IntegrationLogin).
func IsActorLogin(s string) bool {
	if id, ok := strings.CutPrefix(s, "integration:"); ok {
		return IsID(id)
	}
	if device, office, ok := strings.Cut(s, "@"); ok {
		return IsID(device) && IsID(office)
	}
	return IsID(s)
}

// OperatorHeader names the operator an integration with OpServe acts for: the
// operator's id in Talon, or their id in the case system (Operator.CaseSystemID).
const OperatorHeader = "X-Talon-Operator"
