// Package officefile reads and writes a whole office as one file, YAML or
// JSON (docs/office-file.md): the office, its service tree, windows,
// operators and their logins, devices, priority categories and the hall
// boards' running line. An engineer sets an office up from it in one step,
// clones it to another server, and the demo office is such a file.
//
// Parse checks the file on its own and names the line of every mistake;
// Apply checks it against the office as it is, then makes the office what
// the file says, writing only what differs; Export writes the file back.
package officefile

import "time"

// Format is the value of the file's format key; it changes only when a
// file of the old format would be read wrong by the new code.
const Format = "talon-office/1"

// File is the whole office as the file holds it. Its keys are the json and
// yaml tags below; the same struct reads and writes both formats.
type File struct {
	Format        string         `json:"format" yaml:"format"`
	Office        Office         `json:"office" yaml:"office"`
	Services      []Service      `json:"services,omitempty" yaml:"services,omitempty"`
	Windows       []Window       `json:"windows,omitempty" yaml:"windows,omitempty"`
	Operators     []Operator     `json:"operators,omitempty" yaml:"operators,omitempty"`
	Accounts      []Account      `json:"accounts,omitempty" yaml:"accounts,omitempty"`
	Devices       []Device       `json:"devices,omitempty" yaml:"devices,omitempty"`
	Categories    []Category     `json:"priority_categories,omitempty" yaml:"priority_categories,omitempty"`
	Announcements []Announcement `json:"announcements,omitempty" yaml:"announcements,omitempty"`

	// name and lines say where each value came from: the file's name and
	// the line of every path (office.hours.mon, windows[2].services[0]).
	name  string
	lines map[string]int
}

// Office is the office itself and its settings.
type Office struct {
	ID                    string `json:"id" yaml:"id"`
	Name                  string `json:"name" yaml:"name"`
	Address               string `json:"address,omitempty" yaml:"address,omitempty"`
	TimeZone              string `json:"time_zone" yaml:"time_zone"`
	Hours                 Hours  `json:"hours" yaml:"hours"`
	MKGUVendorID          string `json:"mkgu_vendor_id,omitempty" yaml:"mkgu_vendor_id,omitempty"`
	OKATO                 string `json:"okato,omitempty" yaml:"okato,omitempty"`
	MDMUID                string `json:"mdm_uid,omitempty" yaml:"mdm_uid,omitempty"`
	CheckInEarlyMinutes   int    `json:"check_in_early_minutes,omitempty" yaml:"check_in_early_minutes,omitempty"`
	CheckInLateMinutes    int    `json:"check_in_late_minutes,omitempty" yaml:"check_in_late_minutes,omitempty"`
	DefaultServiceMinutes int    `json:"default_service_minutes,omitempty" yaml:"default_service_minutes,omitempty"`
	PublicURL             string `json:"public_url,omitempty" yaml:"public_url,omitempty"`
	RatingMinutes         int    `json:"rating_minutes,omitempty" yaml:"rating_minutes,omitempty"`
	Sandbox               bool   `json:"sandbox,omitempty" yaml:"sandbox,omitempty"`
}

// Hours are opening hours by weekday, each "HH:MM-HH:MM" in office-local
// time; a day left out is closed. "24:00" closes at midnight.
type Hours struct {
	Mon string `json:"mon,omitempty" yaml:"mon,omitempty"`
	Tue string `json:"tue,omitempty" yaml:"tue,omitempty"`
	Wed string `json:"wed,omitempty" yaml:"wed,omitempty"`
	Thu string `json:"thu,omitempty" yaml:"thu,omitempty"`
	Fri string `json:"fri,omitempty" yaml:"fri,omitempty"`
	Sat string `json:"sat,omitempty" yaml:"sat,omitempty"`
	Sun string `json:"sun,omitempty" yaml:"sun,omitempty"`
}

// Service is a node of the kiosk menu: a group (group: true) holding the
// services under it, or a service tickets are issued for. Order among
// siblings is the position in the list unless order says otherwise.
type Service struct {
	ID                     string    `json:"id" yaml:"id"`
	Group                  bool      `json:"group,omitempty" yaml:"group,omitempty"`
	Name                   string    `json:"name" yaml:"name"`
	Order                  *int      `json:"order,omitempty" yaml:"order,omitempty"`
	Letter                 string    `json:"letter,omitempty" yaml:"letter,omitempty"`
	Purpose                string    `json:"purpose,omitempty" yaml:"purpose,omitempty"`
	WaitNormMinutes        int       `json:"wait_norm_minutes,omitempty" yaml:"wait_norm_minutes,omitempty"`
	AppointmentNormMinutes int       `json:"appointment_norm_minutes,omitempty" yaml:"appointment_norm_minutes,omitempty"`
	FRGU                   *FRGU     `json:"frgu,omitempty" yaml:"frgu,omitempty"`
	Hours                  *Hours    `json:"hours,omitempty" yaml:"hours,omitempty"`
	DailyLimit             int       `json:"daily_limit,omitempty" yaml:"daily_limit,omitempty"`
	TicketNote             string    `json:"ticket_note,omitempty" yaml:"ticket_note,omitempty"`
	SlotMinutes            int       `json:"slot_minutes,omitempty" yaml:"slot_minutes,omitempty"`
	SlotCapacity           int       `json:"slot_capacity,omitempty" yaml:"slot_capacity,omitempty"`
	BookingHorizonDays     int       `json:"booking_horizon_days,omitempty" yaml:"booking_horizon_days,omitempty"`
	Disabled               bool      `json:"disabled,omitempty" yaml:"disabled,omitempty"`
	Services               []Service `json:"services,omitempty" yaml:"services,omitempty"`
}

// FRGU are a service's ids in the federal register of services.
type FRGU struct {
	AuthorityID string `json:"authority_id,omitempty" yaml:"authority_id,omitempty"`
	ServiceID   string `json:"service_id,omitempty" yaml:"service_id,omitempty"`
	PurposeID   string `json:"purpose_id,omitempty" yaml:"purpose_id,omitempty"`
	ProcedureID string `json:"procedure_id,omitempty" yaml:"procedure_id,omitempty"`
}

// Window is an operator's workplace and the services it calls.
type Window struct {
	ID       string   `json:"id" yaml:"id"`
	Number   int      `json:"number" yaml:"number"`
	Name     string   `json:"name,omitempty" yaml:"name,omitempty"`
	Services []string `json:"services" yaml:"services,flow"`
}

// Operator is a specialist and the services they can serve.
type Operator struct {
	ID           string  `json:"id" yaml:"id"`
	Login        string  `json:"login" yaml:"login"`
	FullName     string  `json:"full_name" yaml:"full_name"`
	Position     string  `json:"position,omitempty" yaml:"position,omitempty"`
	CaseSystemID string  `json:"case_system_id,omitempty" yaml:"case_system_id,omitempty"`
	Skills       []Skill `json:"skills" yaml:"skills,flow"`
}

// Skill is a service an operator serves, weight 1 to 10.
type Skill struct {
	Service string `json:"service" yaml:"service"`
	Weight  int    `json:"weight" yaml:"weight"`
}

// Account is a login of the office. Its password is given either as the
// bcrypt hash an export writes (password_hash: kept as it is), or as an
// initial password (password: set only when the login is created, never
// written by an export); a login with neither keeps the password it has.
type Account struct {
	Login        string `json:"login" yaml:"login"`
	Role         string `json:"role" yaml:"role"`
	FullName     string `json:"full_name,omitempty" yaml:"full_name,omitempty"`
	Operator     string `json:"operator,omitempty" yaml:"operator,omitempty"`
	Disabled     bool   `json:"disabled,omitempty" yaml:"disabled,omitempty"`
	PasswordHash string `json:"password_hash,omitempty" yaml:"password_hash,omitempty"`
	Password     string `json:"password,omitempty" yaml:"password,omitempty"`
}

// Device is an unattended terminal; its pairing is not in the file (a
// credential belongs to one machine and is made by pairing it).
type Device struct {
	ID     string `json:"id" yaml:"id"`
	Kind   string `json:"kind" yaml:"kind"`
	Name   string `json:"name,omitempty" yaml:"name,omitempty"`
	Window string `json:"window,omitempty" yaml:"window,omitempty"`
}

// Category is an out-of-turn priority category; a higher level goes first.
type Category struct {
	ID    string `json:"id" yaml:"id"`
	Name  string `json:"name" yaml:"name"`
	Level int    `json:"level" yaml:"level"`
}

// Announcement is a text of the hall boards' running line.
type Announcement struct {
	ID         string     `json:"id" yaml:"id"`
	Text       string     `json:"text" yaml:"text"`
	Enabled    bool       `json:"enabled" yaml:"enabled"`
	Order      int        `json:"order,omitempty" yaml:"order,omitempty"`
	From       *time.Time `json:"from,omitempty" yaml:"from,omitempty"`
	Until      *time.Time `json:"until,omitempty" yaml:"until,omitempty"`
	Weekdays   []int      `json:"weekdays,omitempty" yaml:"weekdays,flow,omitempty"`
	DailyFrom  string     `json:"daily_from,omitempty" yaml:"daily_from,omitempty"`
	DailyUntil string     `json:"daily_until,omitempty" yaml:"daily_until,omitempty"`
}
