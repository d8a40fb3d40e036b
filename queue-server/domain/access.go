package domain

import (
	"context"
	"slices"
	"time"
)

// Role is what an account may do.
type Role string

const (
	RoleAdmin    Role = "admin"    // configures offices; with no OfficeID, every office
	RoleManager  Role = "manager"  // watches load and statistics, manages appointments
	RoleHall     Role = "hall"     // hall administrator: priority tickets, moves, cancels
	RoleOperator Role = "operator" // serves applicants at a window
	RoleDevice   Role = "device"   // kiosk, hall display or rating terminal
	// RoleIntegration is another system with its own key (Integration).
	RoleIntegration Role = "integration"
)

func (r Role) valid() bool {
	switch r {
	case RoleAdmin, RoleManager, RoleHall, RoleOperator, RoleDevice, RoleIntegration:
		return true
	}
	return false
}

// Account is a login. PasswordHash never leaves the server.
type Account struct {
	Login      string `json:"login"`
	Role       Role   `json:"role"`
	OfficeID   string `json:"office_id,omitempty"`   // empty only for a region-wide admin
	OperatorID string `json:"operator_id,omitempty"` // for RoleOperator
	// DeviceID is left from device accounts, which pairing replaced; such
	// accounts are refused at login.
	DeviceID     string `json:"device_id,omitempty"`
	FullName     string `json:"full_name,omitempty"`
	PasswordHash string `json:"-"`
	// CardHash is the hash of the staff card's code (HashSecret); the
	// account shows only since when it has a card.
	CardHash     string     `json:"-"`
	CardIssuedAt *time.Time `json:"card_issued_at,omitempty"`
	// Version changes with the password and when a card is revoked, which
	// invalidates tokens issued before.
	Version  int  `json:"version"`
	Disabled bool `json:"disabled,omitempty"`
}

// Validate checks an account on its own.
func (a Account) Validate() error {
	if err := validID("входа", a.Login); err != nil {
		return err
	}
	if !a.Role.valid() {
		return Errorf(CodeInvalid, "роль %q неизвестна: admin, manager, hall, operator или device", a.Role)
	}
	if a.OfficeID == "" && a.Role != RoleAdmin {
		return Errorf(CodeInvalid, "учётная запись %q должна быть привязана к офису", a.Login)
	}
	if a.Role == RoleOperator && a.OperatorID == "" {
		return Errorf(CodeInvalid, "учётная запись оператора %q должна указывать оператора", a.Login)
	}
	if a.Role == RoleDevice {
		return Errorf(CodeInvalid, "устройства входят не по паролю: зарегистрируйте устройство и привяжите его кодом")
	}
	if a.Role == RoleIntegration {
		return Errorf(CodeInvalid, "другие системы входят не по паролю: зарегистрируйте интеграцию и выдайте ей ключ")
	}
	return nil
}

// Actor is who performs an operation, as authenticated by a transport.
type Actor struct {
	Login      string     `json:"login"`
	Role       Role       `json:"role"`
	OfficeID   string     `json:"office_id,omitempty"`
	OperatorID string     `json:"operator_id,omitempty"`
	DeviceID   string     `json:"device_id,omitempty"`
	DeviceKind DeviceKind `json:"device_kind,omitempty"`
	WindowID   string     `json:"window_id,omitempty"` // rating terminal's window
	// An integration's grants (RoleIntegration). IntegrationID and Sandbox
	// stay set while it acts for an operator, as that operator (OperatorHeader).
	IntegrationID string             `json:"integration_id,omitempty"`
	Grants        *IntegrationGrants `json:"grants,omitempty"`
	Sandbox       bool               `json:"sandbox,omitempty"`
	Version       int                `json:"version"`
	// A person's login session, which refreshed tokens share and a logout ends.
	SessionID      string    `json:"session_id,omitempty"`
	SessionStarted time.Time `json:"session_started,omitzero"`
}

// IntegrationGrants are an integration's offices and operations, behind a
// pointer so that an Actor stays comparable; they are never changed once made.
type IntegrationGrants struct {
	Offices    []string    `json:"offices"`
	Operations []Operation `json:"operations"`
}

// Allows reports whether the grants include op.
func (g *IntegrationGrants) Allows(op Operation) bool {
	return g != nil && slices.Contains(g.Operations, op)
}

// System is the actor of changes the server makes by itself (postponed
// tickets returning, the day closing).
var System = Actor{Login: "system", Role: RoleAdmin}

// RegionAdmin reports whether the actor administers every office.
func (a Actor) RegionAdmin() bool { return a.Role == RoleAdmin && a.OfficeID == "" }

// CanAccessOffice reports whether the actor works in the office.
func (a Actor) CanAccessOffice(officeID string) bool {
	if a.Role == RoleIntegration {
		return a.Grants != nil && slices.Contains(a.Grants.Offices, officeID)
	}
	return a.RegionAdmin() || a.OfficeID == officeID
}

type actorKey struct{}

// WithActor returns a context that carries the authenticated actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

type idempotencyKey struct{}

// WithIdempotencyKey carries a client's request key (the Idempotency-Key
// header) to a ticket action, whose signature has no room for it: a repeat
// with the same key on the same office day returns the first result.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

// IdempotencyKeyFrom returns the request key in ctx, "" when there is none.
func IdempotencyKeyFrom(ctx context.Context) string {
	k, _ := ctx.Value(idempotencyKey{}).(string)
	return k
}

// ActorFrom returns the actor in ctx; ok is false for anonymous calls.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}
