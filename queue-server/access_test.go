package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// The columns of docs/access.md, each a kind of caller.
const (
	roleRegionAdmin = "region admin"
	roleOfficeAdmin = "office admin"
	roleManager     = "manager"
	roleHall        = "hall"
	roleOperator    = "operator"
	roleKiosk       = "kiosk"
	roleDisplay     = "display"
	roleRating      = "rating"
	roleIntegration = "integration"
	roleNoToken     = "no token"
)

// officeRoles are the callers that belong to an office; the region
// administrator and a caller without a token belong to none.
var officeRoles = []string{roleOfficeAdmin, roleManager, roleHall, roleOperator, roleKiosk, roleDisplay, roleRating, roleIntegration}

const accessDoc = "../docs/access.md"

// TestAccessRules holds the server to docs/access.md: every operation of the
// OpenAPI document, sent by every kind of caller to its own office and to
// another office, is refused or allowed as the table says.
func TestAccessRules(t *testing.T) {
	columns, rules := accessRules(t, accessDoc)
	s := newAccessSuite(t)
	ops := s.operations(t)

	for _, r := range append([]string{roleRegionAdmin, roleNoToken}, officeRoles...) {
		if !slices.Contains(columns, r) {
			t.Fatalf("%s: the table has no column %q", accessDoc, r)
		}
	}
	var cast []caller
	for _, col := range columns {
		switch {
		case col == roleRegionAdmin || col == roleNoToken:
			cast = append(cast, caller{role: col, token: bearer(t, s, col, nil)})
		case slices.Contains(officeRoles, col):
			for _, o := range s.offices {
				c := caller{role: col, home: o, token: bearer(t, s, col, o)}
				if col == roleOperator {
					o.operatorToken = c.token
				}
				cast = append(cast, c)
			}
		default:
			t.Fatalf("%s: column %q is no caller the test knows; add it to bearer", accessDoc, col)
		}
	}
	for id := range rules {
		if _, ok := ops[id]; !ok {
			t.Errorf("%s has a row for %s, which the OpenAPI document does not have", accessDoc, id)
		}
	}

	ids := make([]string, 0, len(ops))
	for id := range ops {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		op := ops[id]
		rule, ok := rules[id]
		if !ok {
			t.Errorf("operation %s (%s %s) has no row in %s", id, op.method, op.path, accessDoc)
			continue
		}
		smp := samples[id]
		if !sampleFits(t, op, smp) {
			continue
		}
		scoped := strings.Contains(op.path, "{office}") || smp.officeInBody
		for _, c := range cast {
			for _, target := range s.targets(c, scoped) {
				status, msg := s.send(t, op, smp, c, target)
				allowed := rule[c.role] && (!scoped || c.home == nil || c.home == target || rule[roleNoToken])
				if bad := verdict(status, allowed, c.token == ""); bad != "" {
					where := ""
					if scoped {
						where = " in office " + target.id
					}
					t.Errorf("%s: %s%s%s: %d %q, %s", id, c.role, c.from(), where, status, msg, bad)
				}
			}
		}
	}
}

// verdict says what is wrong with a status, or "" when it keeps the rule.
func verdict(status int, allowed, anonymous bool) string {
	switch {
	case allowed && (status == http.StatusUnauthorized || status == http.StatusForbidden):
		return "want allowed"
	case allowed && status >= 500:
		return "want allowed and no server error"
	case !allowed && anonymous && status != http.StatusUnauthorized:
		return "want 401"
	case !allowed && !anonymous && status != http.StatusForbidden:
		return "want 403"
	}
	return ""
}

// accessRules reads the one table of the access document: its caller
// columns, and for each operation which of them are allowed.
func accessRules(t *testing.T, path string) (columns []string, rules map[string]map[string]bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cells := func(line string) []string {
		parts := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		for i := range parts {
			parts[i] = strings.Trim(strings.TrimSpace(parts[i]), "`")
		}
		return parts
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if !strings.HasPrefix(line, "|") {
			if rules != nil {
				break
			}
			continue
		}
		row := cells(line)
		switch {
		case rules == nil && row[0] == "operation":
			columns, rules = row[1:], map[string]map[string]bool{}
		case rules == nil, strings.Trim(line, "|-: ") == "":
		case len(row) != len(columns)+1:
			t.Fatalf("%s:%d: %d cells, want %d", path, n, len(row), len(columns)+1)
		case rules[row[0]] != nil:
			t.Fatalf("%s:%d: a second row for %s", path, n, row[0])
		default:
			rule := map[string]bool{}
			for i, cell := range row[1:] {
				switch cell {
				case "✓":
					rule[columns[i]] = true
				case "—":
				default:
					t.Fatalf("%s:%d: cell %q of %s, want ✓ or —", path, n, cell, columns[i])
				}
			}
			rules[row[0]] = rule
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rules) == 0 {
		t.Fatalf("%s has no table headed | operation | …", path)
	}
	return columns, rules
}

// accessOffice is one office of the run and the real ids its requests name.
type accessOffice struct {
	id       string
	body     string // the office as the server has it: a PUT that changes nothing
	service  string // served at the operator's window
	bookable string // takes appointments
	day      string // tomorrow in the office, YYYY-MM-DD
	window   string // the operator's window
	operator string
	devices  map[string]string // kiosk, display, rating → device id
	ticket   string            // issued at set-up
	appt     string            // booked at set-up
	code     string            // its check-in code
	// operatorToken is the office's operator caller, who opens the window
	// and calls tickets so that ticket actions meet a ticket they may act on.
	operatorToken string
}

// caller is one column of the table; home is nil for the region
// administrator and for no token.
type caller struct {
	role  string
	home  *accessOffice
	token string
}

func (c caller) from() string {
	if c.home == nil {
		return ""
	}
	return " of " + c.home.id
}

type accessSuite struct {
	url     string
	admin   string // the region administrator's token, who sets everything up
	offices []*accessOffice
}

// bearer is how each kind of caller gets its token, and the only place that
// knows it: staff log in to an account the region administrator creates;
// devices are paired with a code the region administrator asks for.
func bearer(t *testing.T, s *accessSuite, role string, o *accessOffice) string {
	t.Helper()
	account := map[string]any{"password": "access-secret"}
	switch role {
	case roleNoToken:
		return ""
	case roleRegionAdmin:
		return signIn(t, s.url, "admin", "demo")
	case roleOfficeAdmin:
		account["role"] = "admin"
	case roleManager, roleHall:
		account["role"] = role
	case roleOperator:
		account["role"], account["operator_id"] = "operator", o.operator
	case roleKiosk, roleDisplay, roleRating:
		return pairDevice(t, s, o.id, o.devices[role])
	case roleIntegration:
		return integrationKey(t, s, o.id)
	default:
		t.Fatalf("no way to sign in as %q", role)
	}
	account["office_id"] = o.id
	login := "access-" + o.id + "-" + strings.ReplaceAll(role, " ", "-")
	s.do(t, "PUT", "/api/v1/accounts/"+login, account)
	return signIn(t, s.url, login, "access-secret")
}

// integrationKey registers an integration of the office granted every
// operation but acting for operators (that is the operator's column), and
// returns its key.
func integrationKey(t *testing.T, s *accessSuite, officeID string) string {
	t.Helper()
	var ops []domain.Operation
	for _, op := range domain.Operations {
		if op != domain.OpServe {
			ops = append(ops, op)
		}
	}
	id := "access-" + officeID
	s.do(t, "PUT", "/api/v1/integrations/"+id, domain.Integration{Name: "АИС " + officeID, OfficeIDs: []string{officeID}, Operations: ops})
	var key domain.IntegrationKey
	decode(t, s.do(t, "POST", "/api/v1/integrations/"+id+"/key", nil), &key)
	return key.Key
}

// pairDevice exchanges a fresh pairing code for the device's credential.
func pairDevice(t *testing.T, s *accessSuite, officeID, deviceID string) string {
	t.Helper()
	var code struct{ Code string }
	decode(t, s.do(t, "POST", "/api/v1/offices/"+officeID+"/devices/"+deviceID+"/pairing-code", nil), &code)
	status, out := call(t, "POST", s.url+"/api/v1/pair", "", jsonOf(t, map[string]string{"code": code.Code}), nil)
	cred, _ := out["credential"].(string)
	if status != http.StatusOK || cred == "" {
		t.Fatalf("pair %s/%s: %d %v", officeID, deviceID, status, out)
	}
	return cred
}

// freshToken signs the caller in again without changing its password, for
// an operation that spends the token it is sent with (logout).
func freshToken(t *testing.T, s *accessSuite, c caller) string {
	t.Helper()
	switch {
	case c.token == "" || c.home == nil && c.role != roleRegionAdmin:
		return c.token
	case c.role == roleRegionAdmin:
		return signIn(t, s.url, "admin", "demo")
	case c.role == roleKiosk || c.role == roleDisplay || c.role == roleRating || c.role == roleIntegration:
		return c.token // devices and keys have no session to end
	}
	return signIn(t, s.url, "access-"+c.home.id+"-"+strings.ReplaceAll(c.role, " ", "-"), "access-secret")
}

func signIn(t *testing.T, base, login, password string) string {
	t.Helper()
	status, out := call(t, "POST", base+"/api/v1/login", "", jsonOf(t, map[string]string{"login": login, "password": password}), nil)
	token, _ := out["token"].(string)
	if status != http.StatusOK || token == "" {
		t.Fatalf("login %s: %d %v", login, status, out)
	}
	return token
}

// newAccessSuite starts the demo server and builds a second office beside
// the demo one, so that each office has one caller of every role.
func newAccessSuite(t *testing.T) *accessSuite {
	t.Helper()
	base, _ := startServer(t, t.TempDir(), "--demo")
	s := &accessSuite{url: base}
	s.admin = bearer(t, s, roleRegionAdmin, nil)

	allDay := map[string]string{"open": "00:00", "close": "24:00"}
	s.do(t, "PUT", "/api/v1/offices/second", map[string]any{"name": "Второй офис", "time_zone": "Europe/Moscow",
		"hours": []any{allDay, allDay, allDay, allDay, allDay, allDay, allDay}})
	s.do(t, "PUT", "/api/v1/offices/second/services/s-passport", map[string]any{"name": "Паспорт", "prefix": "А"})
	s.do(t, "PUT", "/api/v1/offices/second/services/s-consult", map[string]any{"name": "Консультация", "prefix": "К",
		"slot_minutes": 15, "slot_capacity": 1})
	s.do(t, "PUT", "/api/v1/offices/second/windows/w-1", map[string]any{"number": 1, "service_ids": []string{"s-passport", "s-consult"}})
	s.do(t, "PUT", "/api/v1/offices/second/operators/op-1", map[string]any{"login": "op-1", "full_name": "Оператор Второго Офиса",
		"skills": []any{map[string]any{"service_id": "s-passport", "weight": 1}, map[string]any{"service_id": "s-consult", "weight": 1}}})
	second := &accessOffice{id: "second", service: "s-passport", bookable: "s-consult", window: "w-1", operator: "op-1",
		devices: map[string]string{roleKiosk: "kiosk-1", roleDisplay: "display-1", roleRating: "rating-1"}}
	// A device column is named by the device's kind.
	for kind, id := range second.devices {
		d := map[string]any{"kind": kind}
		if kind == roleRating {
			d["window_id"] = second.window
		}
		s.do(t, "PUT", "/api/v1/offices/second/devices/"+id, d)
	}
	first := &accessOffice{id: demo.OfficeID, service: "passport", bookable: "consultation", window: "w1", operator: "op1",
		devices: map[string]string{roleKiosk: "kiosk1", roleDisplay: "display1", roleRating: "rating1"}}
	s.offices = []*accessOffice{first, second}

	moscow := mustLoc(t)
	for _, o := range s.offices {
		raw := s.do(t, "GET", "/api/v1/offices/"+o.id, nil)
		o.body = string(raw)
		o.ticket = s.issue(t, o)
		o.day = time.Now().In(moscow).AddDate(0, 0, 1).Format(time.DateOnly)
		o.appt, o.code = s.book(t, o)
	}
	return s
}

// do sends a set-up request as the region administrator and wants 2xx.
func (s *accessSuite) do(t *testing.T, method, path string, body any) []byte {
	t.Helper()
	return s.doAs(t, s.admin, method, path, body)
}

func (s *accessSuite) doAs(t *testing.T, token, method, path string, body any) []byte {
	t.Helper()
	var payload string
	if body != nil {
		payload = jsonOf(t, body)
	}
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode >= 300 {
		t.Fatalf("set-up %s %s: %d %s", method, path, resp.StatusCode, out)
	}
	return out
}

// issue gives the office a waiting ticket for the operator's window.
func (s *accessSuite) issue(t *testing.T, o *accessOffice) string {
	t.Helper()
	var tk struct{ ID string }
	decode(t, s.do(t, "POST", "/api/v1/offices/"+o.id+"/tickets", map[string]string{"service_id": o.service}), &tk)
	return tk.ID
}

// slot finds a free appointment slot tomorrow.
func (s *accessSuite) slot(t *testing.T, o *accessOffice) string {
	t.Helper()
	var slots []struct {
		Start string `json:"start"`
		Free  int    `json:"free"`
	}
	decode(t, s.do(t, "GET", "/api/v1/offices/"+o.id+"/slots?service_id="+o.bookable+"&day="+o.day, nil), &slots)
	for _, sl := range slots {
		if sl.Free > 0 {
			return sl.Start
		}
	}
	t.Fatalf("office %s has no free slot on %s", o.id, o.day)
	return ""
}

// book makes an appointment and returns its id and check-in code.
func (s *accessSuite) book(t *testing.T, o *accessOffice) (id, code string) {
	t.Helper()
	var ap struct{ ID, Code string }
	decode(t, s.do(t, "POST", "/api/v1/offices/"+o.id+"/appointments", map[string]any{"service_id": o.bookable,
		"start": s.slot(t, o), "name": "Иванов И. И.", "phone": "+79990001122"}), &ap)
	return ap.ID, ap.Code
}

// freeSlot gives a booking request a time nobody has taken.
func (s *accessSuite) freeSlot(t *testing.T, o *accessOffice) map[string]string {
	t.Helper()
	return map[string]string{"slot": s.slot(t, o)}
}

// booked gives each cancellation an appointment of its own.
func (s *accessSuite) booked(t *testing.T, o *accessOffice) map[string]string {
	t.Helper()
	id, _ := s.book(t, o)
	return map[string]string{"appointment": id}
}

// spareID names the throw-away records that put and delete operations act
// on, so the run never changes or removes what later requests need.
const spareID = "access-tmp"

// spares are the throw-away records by collection, as their PUT bodies.
var spares = map[string]func(o *accessOffice) any{
	"services": func(*accessOffice) any {
		return map[string]string{"name": "Временная услуга", "prefix": "Я"}
	},
	"windows": func(o *accessOffice) any {
		return map[string]any{"number": 99, "service_ids": []string{o.service}}
	},
	"operators": func(*accessOffice) any {
		return map[string]any{"login": "access-tmp-operator", "full_name": "Временный Оператор", "skills": []any{}}
	},
	"devices": func(*accessOffice) any {
		return map[string]string{"kind": "display", "name": "Временное табло"}
	},
	"priority-categories": func(*accessOffice) any {
		return map[string]any{"name": "Временная категория", "level": 1}
	},
	"announcements": func(*accessOffice) any {
		return map[string]any{"text": "Временное объявление", "enabled": true}
	},
}

// spare points the path parameter at the throw-away record of collection,
// created first when exists, so a delete has something to delete.
func spare(param, collection string, exists bool) func(*accessSuite, *testing.T, *accessOffice) map[string]string {
	return func(s *accessSuite, t *testing.T, o *accessOffice) map[string]string {
		t.Helper()
		if exists {
			s.do(t, "PUT", "/api/v1/offices/"+o.id+"/"+collection+"/"+spareID, spares[collection](o))
		}
		return map[string]string{param: spareID}
	}
}

// spareAccount makes a throw-away account of the office, with a staff
// card when withCard, and names it as the {login}.
func spareAccount(withCard bool) func(*accessSuite, *testing.T, *accessOffice) map[string]string {
	return func(s *accessSuite, t *testing.T, o *accessOffice) map[string]string {
		t.Helper()
		login := spareID + "-card-" + o.id
		s.do(t, "PUT", "/api/v1/accounts/"+login, map[string]string{"role": "manager", "office_id": o.id, "password": "access-secret"})
		if withCard {
			s.do(t, "POST", "/api/v1/accounts/"+login+"/staff-card", nil)
		}
		return map[string]string{"login": login}
	}
}

// spareWebhook makes a throw-away subscription scoped to the office and
// names it as the {webhook}.
func spareWebhook(s *accessSuite, t *testing.T, o *accessOffice) map[string]string {
	t.Helper()
	id := spareID + "-hook-" + o.id
	s.do(t, "PUT", "/api/v1/integrations/crm", domain.Integration{Name: "CRM", OfficeIDs: []string{o.id}, Operations: []domain.Operation{domain.OpWebhooks}})
	s.do(t, "PUT", "/api/v1/integrations/crm/webhooks/"+id, map[string]any{"url": "http://127.0.0.1:9/hook", "office_ids": []string{o.id}})
	return map[string]string{"integration": "crm", "webhook": id}
}

// spareBody is the PUT body of the throw-away record of collection.
func spareBody(collection string) func(*accessOffice, map[string]string) any {
	return func(o *accessOffice, _ map[string]string) any { return spares[collection](o) }
}

// atWork opens the operator's session at the window; opening it again is a
// no-op.
func (s *accessSuite) atWork(t *testing.T, o *accessOffice) map[string]string {
	t.Helper()
	s.doAs(t, o.operatorToken, "POST", "/api/v1/offices/"+o.id+"/windows/"+o.window+"/session", nil)
	return nil
}

// waiting opens the window and gives it a ticket to call by id.
func (s *accessSuite) waiting(t *testing.T, o *accessOffice) map[string]string {
	t.Helper()
	s.atWork(t, o)
	return map[string]string{"waiting": s.issue(t, o)}
}

// called puts a ticket at the operator's window, finishing whatever the
// window served, so each ticket action meets a ticket it may act on.
func (s *accessSuite) called(t *testing.T, o *accessOffice) map[string]string {
	t.Helper()
	s.waiting(t, o)
	var tk struct{ ID string }
	decode(t, s.doAs(t, o.operatorToken, "POST", "/api/v1/offices/"+o.id+"/windows/"+o.window+"/call-next",
		map[string]bool{"finish_current": true}), &tk)
	return map[string]string{"ticket": tk.ID}
}

// sample is what a request of one operation needs beyond the document: the
// state to act on, a query and a valid body (handlers decode the body before
// the engine authorizes, so a bad one would hide a refusal behind a 400).
type sample struct {
	prepare      func(s *accessSuite, t *testing.T, o *accessOffice) map[string]string
	query        func(o *accessOffice) string
	body         func(o *accessOffice, v map[string]string) any
	officeInBody bool // the office is named in the body, not in the path
	spendsToken  bool // the operation ends the session it is sent with
	ownDevice    bool // a device caller names itself as the {device}
}

var samples = map[string]sample{
	// No message is delivered in the suite: allowed callers get not_found.
	"redeliverMessage": {prepare: func(*accessSuite, *testing.T, *accessOffice) map[string]string {
		return map[string]string{"message": "no-such-message"}
	}},
	"listWebhooks": {prepare: func(*accessSuite, *testing.T, *accessOffice) map[string]string {
		return map[string]string{"integration": "crm"}
	}},
	"putWebhook": {officeInBody: true, prepare: func(s *accessSuite, t *testing.T, o *accessOffice) map[string]string {
		s.do(t, "PUT", "/api/v1/integrations/crm", domain.Integration{Name: "CRM", OfficeIDs: []string{o.id}, Operations: []domain.Operation{domain.OpWebhooks}})
		return map[string]string{"integration": "crm", "webhook": spareID + "-" + o.id}
	}, body: func(o *accessOffice, _ map[string]string) any {
		return map[string]any{"url": "http://127.0.0.1:9/hook", "office_ids": []string{o.id}}
	}},
	"deleteWebhook":         {officeInBody: true, prepare: spareWebhook},
	"rotateWebhookSecret":   {officeInBody: true, prepare: spareWebhook},
	"listWebhookDeliveries": {officeInBody: true, prepare: spareWebhook},
	"login": {body: func(*accessOffice, map[string]string) any {
		return map[string]string{"login": "manager", "password": "demo"}
	}},
	"putOffice":  {body: func(o *accessOffice, _ map[string]string) any { return json.RawMessage(o.body) }},
	"putService": {prepare: spare("service", "services", false), body: spareBody("services")},
	// A dry run of an empty register file: allowed callers get an empty report.
	"importCatalog": {query: func(*accessOffice) string { return "format=json&dry_run=true" },
		body: func(*accessOffice, map[string]string) any { return map[string]any{"authorities": []any{}} }},
	"deleteService":     {prepare: spare("service", "services", true)},
	"putWindow":         {prepare: spare("window", "windows", false), body: spareBody("windows")},
	"deleteWindow":      {prepare: spare("window", "windows", true)},
	"putOperator":       {prepare: spare("operator", "operators", false), body: spareBody("operators")},
	"deleteOperator":    {prepare: spare("operator", "operators", true)},
	"putDevice":         {prepare: spare("device", "devices", false), body: spareBody("devices")},
	"createPairingCode": {prepare: spare("device", "devices", true)},
	"revokeDevice":      {prepare: spare("device", "devices", true)},
	// A device reports its own state: a device caller names itself (in
	// another office, that office's device of its kind); anyone else names
	// the kiosk.
	"reportDeviceState": {ownDevice: true, prepare: func(_ *accessSuite, _ *testing.T, o *accessOffice) map[string]string {
		return map[string]string{"device": o.devices[roleKiosk]}
	}, body: func(*accessOffice, map[string]string) any { return map[string]string{"printer": "ok"} }},
	"putAnnouncement":    {prepare: spare("announcement", "announcements", false), body: spareBody("announcements")},
	"deleteAnnouncement": {prepare: spare("announcement", "announcements", true)},
	"logout":             {spendsToken: true},
	// The public ticket pages take the status token of the office's ticket.
	"ticketStatusPage": {prepare: (*accessSuite).statusToken},
	"getTicketStatus":  {prepare: (*accessSuite).statusToken},
	"pairDevice": {body: func(*accessOffice, map[string]string) any {
		return map[string]string{"code": "0000-0000"} // no such code: allowed callers get 404
	}},
	"deleteDevice":           {prepare: spare("device", "devices", true)},
	"putPriorityCategory":    {prepare: spare("category", "priority-categories", false), body: spareBody("priority-categories")},
	"deletePriorityCategory": {prepare: spare("category", "priority-categories", true)},
	"putAccount": {officeInBody: true,
		prepare: func(_ *accessSuite, _ *testing.T, o *accessOffice) map[string]string {
			return map[string]string{"login": spareID + "-" + o.id}
		},
		body: func(o *accessOffice, _ map[string]string) any {
			return map[string]string{"role": "manager", "office_id": o.id, "password": "access-secret"}
		}},
	"issueStaffCard":  {officeInBody: true, prepare: spareAccount(false)},
	"revokeStaffCard": {officeInBody: true, prepare: spareAccount(true)},
	"issueTicket":     {body: func(o *accessOffice, _ map[string]string) any { return map[string]string{"service_id": o.service} }},
	"cancelTicket":    {prepare: (*accessSuite).called},
	"recallTicket":    {prepare: (*accessSuite).called},
	"startService":    {prepare: (*accessSuite).called},
	"finishTicket":    {prepare: (*accessSuite).called},
	"markNoShow":      {prepare: (*accessSuite).called},
	"attachCaseNumber": {prepare: (*accessSuite).called, body: func(*accessOffice, map[string]string) any {
		return map[string]string{"case_number": "АИС-2026-000123"}
	}},
	"postponeTicket": {prepare: (*accessSuite).called, body: func(*accessOffice, map[string]string) any { return map[string]int{"minutes": 5} }},
	"redirectTicket": {prepare: (*accessSuite).called, body: func(o *accessOffice, _ map[string]string) any {
		return map[string]string{"service_id": o.bookable}
	}},
	"checkInAppointment": {body: func(o *accessOffice, _ map[string]string) any { return map[string]string{"code": o.code} }},
	"openWindowSession":  {prepare: (*accessSuite).atWork},
	"closeWindowSession": {prepare: (*accessSuite).atWork},
	"pauseWindow": {prepare: (*accessSuite).atWork, body: func(*accessOffice, map[string]string) any {
		return map[string]bool{"paused": false}
	}},
	"reportPadState": {prepare: (*accessSuite).atWork, body: func(*accessOffice, map[string]string) any {
		return map[string]any{"address": 5, "ok": true}
	}},
	"callNext": {prepare: (*accessSuite).waiting, body: func(*accessOffice, map[string]string) any {
		return map[string]bool{"finish_current": true}
	}},
	"callTicket": {prepare: (*accessSuite).waiting, body: func(_ *accessOffice, v map[string]string) any {
		return map[string]any{"ticket": v["waiting"], "finish_current": true}
	}},
	"createAppointment": {prepare: (*accessSuite).freeSlot, body: func(o *accessOffice, v map[string]string) any {
		return map[string]any{"service_id": o.bookable, "start": v["slot"], "name": "Петров П. П.", "phone": "+79990002233"}
	}},
	"cancelAppointment": {prepare: (*accessSuite).booked},
	"listAppointmentSlots": {query: func(o *accessOffice) string {
		return url.Values{"service_id": {o.bookable}, "day": {o.day}}.Encode()
	}},
	// Each caller rates a ticket just finished at the operator's window,
	// which is the window of the office's rating terminal.
	"submitRating": {prepare: (*accessSuite).finished, body: func(_ *accessOffice, v map[string]string) any {
		return map[string]any{"ticket_id": v["finished"], "form_id": "mkgu", "form_version": "0.0.4",
			"answers": []any{map[string]string{"indicator_id": "9", "value_id": "45"}}}
	}},
	"pendingRating":          {query: func(o *accessOffice) string { return url.Values{"window": {o.window}}.Encode() }},
	"findTickets":            {query: func(*accessOffice) string { return url.Values{"case_number": {"АИС-2026-000123"}}.Encode() }},
	"recordTicketPhone":      {body: phoneBody},
	"recordAppointmentPhone": {body: phoneBody},
	"notifyTicketResult":     {prepare: (*accessSuite).phoneLeft, body: noticeBody},
	"notifyAppointmentResult": {prepare: func(s *accessSuite, t *testing.T, o *accessOffice) map[string]string {
		s.do(t, "PUT", "/api/v1/offices/"+o.id+"/appointments/"+o.appt+"/phone", phoneBody(o, nil))
		return nil
	}, body: noticeBody},
	"getTicketContact": {prepare: (*accessSuite).phoneLeft},
	"getAppointmentContact": {prepare: func(s *accessSuite, t *testing.T, o *accessOffice) map[string]string {
		s.do(t, "PUT", "/api/v1/offices/"+o.id+"/appointments/"+o.appt+"/phone", phoneBody(o, nil))
		return nil
	}},
	"putIntegration": {prepare: spareIntegration(false), body: func(o *accessOffice, _ map[string]string) any {
		return domain.Integration{Name: "Портал", OfficeIDs: []string{o.id}, Operations: []domain.Operation{domain.OpBook}}
	}},
	"getIntegration":       {prepare: spareIntegration(true)},
	"deleteIntegration":    {prepare: spareIntegration(true)},
	"issueIntegrationKey":  {prepare: spareIntegration(true)},
	"revokeIntegrationKey": {prepare: spareIntegration(true)},
	// Anyone may exchange a working integration's credentials for a token.
	"oauthToken": {prepare: func(s *accessSuite, t *testing.T, o *accessOffice) map[string]string {
		id := spareIntegration(true)(s, t, o)["integration"]
		var key domain.IntegrationKey
		decode(t, s.do(t, "POST", "/api/v1/integrations/"+id+"/key", nil), &key)
		return map[string]string{"client_id": key.ClientID, "client_secret": key.ClientSecret}
	}, body: func(_ *accessOffice, v map[string]string) any {
		return map[string]string{"grant_type": "client_credentials", "client_id": v["client_id"], "client_secret": v["client_secret"]}
	}},
}

func phoneBody(*accessOffice, map[string]string) any {
	return domain.PhoneInput{Phone: "8 (999) 000-22-33", Consent: true}
}

func noticeBody(*accessOffice, map[string]string) any {
	return domain.NoticeInput{Outcome: domain.NoticeTold}
}

// phoneLeft leaves a phone for the office's ticket, which the phone centre's
// calls need.
func (s *accessSuite) phoneLeft(t *testing.T, o *accessOffice) map[string]string {
	t.Helper()
	s.do(t, "PUT", "/api/v1/offices/"+o.id+"/tickets/"+o.ticket+"/phone", phoneBody(o, nil))
	return nil
}

// spareIntegration names a throw-away integration of the office, registered
// first when exists.
func spareIntegration(exists bool) func(*accessSuite, *testing.T, *accessOffice) map[string]string {
	return func(s *accessSuite, t *testing.T, o *accessOffice) map[string]string {
		t.Helper()
		id := spareID + "-" + o.id
		if exists {
			s.do(t, "PUT", "/api/v1/integrations/"+id, domain.Integration{Name: "Портал", OfficeIDs: []string{o.id}, Operations: []domain.Operation{domain.OpBook}})
		}
		return map[string]string{"integration": id}
	}
}

// finished serves a ticket at the operator's window to its finish.
func (s *accessSuite) finished(t *testing.T, o *accessOffice) map[string]string {
	t.Helper()
	id := s.called(t, o)["ticket"]
	s.doAs(t, o.operatorToken, "POST", "/api/v1/offices/"+o.id+"/tickets/"+id+"/finish", nil)
	return map[string]string{"finished": id}
}

// statusToken is the status token of the office's ticket, for the public pages.
func (s *accessSuite) statusToken(t *testing.T, o *accessOffice) map[string]string {
	t.Helper()
	var tk struct {
		StatusToken string `json:"status_token"`
	}
	decode(t, s.do(t, "GET", "/api/v1/offices/"+o.id+"/tickets/"+o.ticket, nil), &tk)
	return map[string]string{"token": tk.StatusToken}
}

// sampleFits reports whether the sample gives what the document requires.
func sampleFits(t *testing.T, op operation, smp sample) bool {
	t.Helper()
	switch {
	case op.body && smp.body == nil:
		t.Errorf("%s needs a request body: add a valid one to samples", op.id)
	case op.query && smp.query == nil:
		t.Errorf("%s has required query parameters: add them to samples", op.id)
	default:
		return true
	}
	return false
}

// operation is what the OpenAPI document says about one operation.
type operation struct {
	id, method, path string
	body             bool // a request body is required
	query            bool // a query parameter is required
	websocket        bool // answers 101 Switching Protocols
}

func (s *accessSuite) operations(t *testing.T) map[string]operation {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			RequestBody *struct {
				Required bool `json:"required"`
			} `json:"requestBody"`
			Parameters []struct {
				In       string `json:"in"`
				Required bool   `json:"required"`
			} `json:"parameters"`
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	resp, err := http.Get(s.url + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	ops := map[string]operation{}
	for path, methods := range doc.Paths {
		for method, d := range methods {
			op := operation{id: d.OperationID, method: strings.ToUpper(method), path: path,
				body: d.RequestBody != nil && d.RequestBody.Required}
			for _, p := range d.Parameters {
				op.query = op.query || p.In == "query" && p.Required
			}
			_, op.websocket = d.Responses["101"]
			ops[op.id] = op
		}
	}
	if len(ops) == 0 {
		t.Fatal("openapi.json has no operations")
	}
	return ops
}

// targets are the offices a caller sends an operation to: its own and the
// other one, or just one when the operation names no office.
func (s *accessSuite) targets(c caller, scoped bool) []*accessOffice {
	switch {
	case scoped:
		return s.offices
	case c.home != nil:
		return []*accessOffice{c.home}
	}
	return s.offices[:1]
}

// send makes one request of op as c in office o and returns the status and
// the error message, if any.
func (s *accessSuite) send(t *testing.T, op operation, smp sample, c caller, o *accessOffice) (int, string) {
	t.Helper()
	v := map[string]string{"office": o.id, "window": o.window, "ticket": o.ticket, "appointment": o.appt}
	if smp.prepare != nil {
		for k, x := range smp.prepare(s, t, o) {
			v[k] = x
		}
	}
	if id, ok := o.devices[c.role]; ok && smp.ownDevice {
		v["device"] = id
	}
	path := op.path
	for strings.Contains(path, "{") {
		name := path[strings.Index(path, "{")+1 : strings.Index(path, "}")]
		id, ok := v[name]
		if !ok {
			t.Fatalf("%s: no id for the path parameter {%s}; give one in samples", op.id, name)
		}
		path = strings.Replace(path, "{"+name+"}", id, 1)
	}
	query := url.Values{}
	if smp.query != nil {
		var err error
		if query, err = url.ParseQuery(smp.query(o)); err != nil {
			t.Fatal(err)
		}
	}
	if op.websocket {
		if c.token != "" {
			query.Set("token", c.token)
		}
		return dialStream(t, s.url, path, query)
	}
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	var body string
	if smp.body != nil {
		body = jsonOf(t, smp.body(o, v))
	}
	token := c.token
	if smp.spendsToken {
		token = freshToken(t, s, c)
	}
	status, out := call(t, op.method, s.url+path, token, body, nil)
	return status, errorMessage(out)
}

// dialStream opens the WebSocket: a plain GET is refused as not an upgrade
// before the engine is asked, so only a real handshake shows the rule.
func dialStream(t *testing.T, base, path string, query url.Values) (int, string) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	conn, resp, err := websocket.DefaultDialer.Dial(u, nil)
	if err == nil {
		conn.Close()
		return http.StatusSwitchingProtocols, ""
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	defer resp.Body.Close()
	var out struct {
		Error struct{ Message string } `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.Error.Message
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return string(b)
}

func decode(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
}
