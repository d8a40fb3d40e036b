package engine

import (
	"slices"

	"github.com/talonqueue/talon/queue-server/domain"
)

// perm is a kind of operation; who may do it is decided here and only here.
type perm int

const (
	permView           perm = iota // office, menu, windows, load, snapshot, stream: everyone of the office
	permQueue                      // the list of waiting tickets
	permCategories                 // priority categories, for issuing out-of-turn tickets
	permIssue                      // live tickets
	permIssuePriority              // out-of-turn tickets after checking a document
	permCheckIn                    // appointment check-in
	permServe                      // window session and ticket handling
	permMove                       // cancel or redirect any ticket of the office
	permBook                       // book an appointment
	permAppointments               // read and cancel bookings, which hold personal data
	permSlots                      // see free slots
	permOperators                  // the operators of the office, e.g. to redirect to one
	permStaffView                  // devices
	permConfigure                  // change the office configuration and its accounts
	permJournal                    // read and export the audit journal
	permReportState                // a device reports its own hardware state
	permAnnounce                   // the running line of the hall boards
	permRatingForm                 // the current rating form and the rating pending at a window
	permRate                       // submit a rating: the window's rating terminal, or staff for the applicant
	permRatingSummary              // the summary of ratings
	permOutbox                     // the delivery state of messages to other systems, and their redelivery
	permStats                      // statistics reports and their exports
	permCatalog                    // import the federal register (ФРГУ) into the service catalogue
	permMDM                        // the office's ИС МДМ feed for a period
	permOperatorCounts             // each operator's work today: served, no-shows, redirected, at the window now
	permCaseAttach                 // attach a case number to any ticket of the office (an operator: permServe, their own)
	permCaseFind                   // find tickets of any day by case number
	permPhone                      // the phone centre: applicants' phones, result calls, the IVR's status
	permWebhooks                   // integrations' webhook subscriptions and their delivery log
)

// The rule table of docs/access.md; TestAccessRules checks every route against it.
var permRoles = map[perm][]domain.Role{
	permView:           {domain.RoleAdmin, domain.RoleManager, domain.RoleHall, domain.RoleOperator, domain.RoleDevice},
	permQueue:          {domain.RoleAdmin, domain.RoleManager, domain.RoleHall, domain.RoleOperator},
	permCategories:     {domain.RoleAdmin, domain.RoleManager, domain.RoleHall, domain.RoleOperator, domain.RoleDevice},
	permIssue:          {domain.RoleAdmin, domain.RoleHall, domain.RoleDevice},
	permIssuePriority:  {domain.RoleAdmin, domain.RoleHall},
	permCheckIn:        {domain.RoleAdmin, domain.RoleHall, domain.RoleDevice},
	permServe:          {domain.RoleOperator},
	permMove:           {domain.RoleAdmin, domain.RoleHall},
	permBook:           {domain.RoleAdmin, domain.RoleManager, domain.RoleHall, domain.RoleDevice},
	permAppointments:   {domain.RoleAdmin, domain.RoleManager, domain.RoleHall},
	permSlots:          {domain.RoleAdmin, domain.RoleManager, domain.RoleHall, domain.RoleDevice},
	permOperators:      {domain.RoleAdmin, domain.RoleManager, domain.RoleHall, domain.RoleOperator},
	permStaffView:      {domain.RoleAdmin, domain.RoleManager, domain.RoleHall},
	permConfigure:      {domain.RoleAdmin},
	permJournal:        {domain.RoleAdmin, domain.RoleManager},
	permReportState:    {domain.RoleDevice},
	permAnnounce:       {domain.RoleAdmin, domain.RoleHall},
	permRatingForm:     {domain.RoleAdmin, domain.RoleManager, domain.RoleHall, domain.RoleOperator, domain.RoleDevice},
	permRate:           {domain.RoleAdmin, domain.RoleHall, domain.RoleDevice},
	permRatingSummary:  {domain.RoleAdmin, domain.RoleManager},
	permOutbox:         {domain.RoleAdmin, domain.RoleManager},
	permStats:          {domain.RoleAdmin, domain.RoleManager},
	permCatalog:        {domain.RoleAdmin},
	permMDM:            {domain.RoleAdmin, domain.RoleManager},
	permOperatorCounts: {domain.RoleAdmin, domain.RoleManager, domain.RoleHall, domain.RoleOperator},
	permCaseAttach:     {domain.RoleAdmin, domain.RoleHall},
	permCaseFind:       {domain.RoleAdmin, domain.RoleManager, domain.RoleHall, domain.RoleOperator},
	permPhone:          {domain.RoleAdmin, domain.RoleManager, domain.RoleHall, domain.RoleOperator},
	permWebhooks:       {domain.RoleAdmin},
}

// devicePerms narrows what each kind of device may do: a rating terminal
// watches and rates the tickets of its own window (SubmitRating checks
// which), an operator's computer only watches (the operator acts as a person), a
// hall display watches and reports its window LED boards, a kiosk issues
// tickets, books and reports its printer.
var devicePerms = map[domain.DeviceKind][]perm{
	domain.DeviceKiosk:   {permView, permCategories, permIssue, permCheckIn, permBook, permSlots, permReportState},
	domain.DeviceDisplay: {permView, permReportState},
	domain.DeviceRating:  {permView, permRatingForm, permRate},
	domain.DevicePanel:   {permView},
}

// integrationPerms are what each operation grants an integration. Acting
// for an operator (OpServe) is not here: the integration then acts as that
// operator (ActAsOperator), with an operator's permissions.
var integrationPerms = map[domain.Operation][]perm{
	domain.OpView:    {permView, permQueue, permCategories, permOperators, permOperatorCounts},
	domain.OpIssue:   {permIssue, permCheckIn},
	domain.OpBook:    {permBook, permAppointments, permSlots},
	domain.OpMove:    {permMove},
	domain.OpCase:    {permCaseAttach, permCaseFind},
	domain.OpStats:   {permStats},
	domain.OpOutbox:  {permOutbox},
	domain.OpPhone:   {permPhone},
	domain.OpMDM:     {permMDM},
	domain.OpCatalog: {permCatalog},
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
	if a.Role == domain.RoleIntegration && a.Grants != nil {
		for _, op := range a.Grants.Operations {
			allowed = allowed || slices.Contains(integrationPerms[op], p)
		}
	}
	if !allowed && a.Role == domain.RoleIntegration {
		return domain.Errorf(domain.CodeForbidden, "интеграции не разрешена эта операция: администратор выдаёт операции при регистрации интеграции")
	}
	if !allowed {
		return domain.Errorf(domain.CodeForbidden, "это действие недоступно для вашей роли (%s)", a.Role)
	}
	return nil
}

// shown narrows what a device sees of a ticket to what its screen needs (see
// domain.Ticket.Public); people of the office see the whole record.
func shown(a domain.Actor, t domain.Ticket) domain.Ticket {
	if a.Role == domain.RoleDevice {
		return t.Public()
	}
	return t
}

// windowsShown is shown for window states.
func windowsShown(a domain.Actor, ws []domain.WindowState) []domain.WindowState {
	if a.Role == domain.RoleDevice {
		for i := range ws {
			ws[i] = ws[i].Public()
		}
	}
	return ws
}
