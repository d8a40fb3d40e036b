package engine

import "github.com/talonqueue/talon/queue-server/domain"

// perm is a kind of operation; who may do it is decided here and only here.
type perm int

const (
	permView          perm = iota // queue, load, services, windows: everyone of the office
	permIssue                     // live tickets
	permIssuePriority             // out-of-turn tickets after checking a document
	permCheckIn                   // appointment check-in
	permServe                     // window session and ticket handling
	permMove                      // cancel or redirect any ticket of the office
	permAppointments              // book and cancel
	permSlots                     // see free slots
	permStaffView                 // operators, devices, accounts
	permConfigure                 // change the office configuration
	permJournal                   // read and export the audit journal
)

var permRoles = map[perm][]domain.Role{
	permView:          {domain.RoleAdmin, domain.RoleManager, domain.RoleHall, domain.RoleOperator, domain.RoleDevice},
	permIssue:         {domain.RoleAdmin, domain.RoleHall, domain.RoleDevice},
	permIssuePriority: {domain.RoleAdmin, domain.RoleHall},
	permCheckIn:       {domain.RoleAdmin, domain.RoleHall, domain.RoleDevice},
	permServe:         {domain.RoleOperator},
	permMove:          {domain.RoleAdmin, domain.RoleHall},
	permAppointments:  {domain.RoleAdmin, domain.RoleManager, domain.RoleHall, domain.RoleDevice},
	permSlots:         {domain.RoleAdmin, domain.RoleManager, domain.RoleHall, domain.RoleDevice},
	permStaffView:     {domain.RoleAdmin, domain.RoleManager, domain.RoleHall},
	permConfigure:     {domain.RoleAdmin},
	permJournal:       {domain.RoleAdmin, domain.RoleManager},
}

// devicePerms narrows what each kind of device may do: a hall display only
// watches, a kiosk issues and books, a rating terminal reads its window's ticket.
var devicePerms = map[domain.DeviceKind][]perm{
	domain.DeviceKiosk:   {permView, permIssue, permCheckIn, permAppointments, permSlots},
	domain.DeviceDisplay: {permView},
	domain.DeviceRating:  {permView},
}

// authorize checks that the actor may do p in the office.
func authorize(a domain.Actor, officeID string, p perm) error {
	if a.Login == "" {
		return domain.Errorf(domain.CodeUnauthorized, "войдите в систему")
	}
	if !a.CanAccessOffice(officeID) {
		return domain.Errorf(domain.CodeForbidden, "у вас нет доступа к офису %q", officeID)
	}
	allowed := false
	for _, r := range permRoles[p] {
		allowed = allowed || r == a.Role
	}
	if allowed && a.Role == domain.RoleDevice {
		allowed = false
		for _, dp := range devicePerms[a.DeviceKind] {
			allowed = allowed || dp == p
		}
	}
	if !allowed {
		return domain.Errorf(domain.CodeForbidden, "это действие недоступно для вашей роли (%s)", a.Role)
	}
	return nil
}
