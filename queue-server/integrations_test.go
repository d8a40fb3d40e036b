package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// sandboxOffice copies the demo office's passport service and window 1 into
// a test office, as an administrator sets one up for integrations to try.
func sandboxOffice(t *testing.T, admin *client.Client, id string) {
	t.Helper()
	bg := context.Background()
	o := must[domain.Office](t)(admin.GetOffice(bg, demo.OfficeID))
	o.ID, o.Name, o.Sandbox = id, "Тестовый офис для интеграций", true
	must[domain.Office](t)(admin.PutOffice(bg, o))
	for _, s := range must[[]domain.Service](t)(admin.ListServices(bg, demo.OfficeID)) {
		if s.ID == "passport" {
			s.OfficeID, s.ParentID = id, ""
			must[domain.Service](t)(admin.PutService(bg, s))
		}
	}
}

func withKey(t *testing.T, url, key string) *client.Client {
	t.Helper()
	c, err := client.New(url, client.WithIntegrationKey(key))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestIntegrationAccess walks an integration's life on the real server:
// registered in the sandbox, kept to its test office, journaled call by
// call, kept out of the statistics, moved to production, acting for an
// operator, its OAuth2 tokens following its grants, its key rotated and
// revoked.
func TestIntegrationAccess(t *testing.T) {
	// An МДМ receiver that nothing may reach from the test office.
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(feed.Close)
	url, _ := startServer(t, t.TempDir(), "--demo", "--mdm-url", feed.URL)
	bg := context.Background()
	admin, manager := login(t, url, "admin"), login(t, url, "manager")
	sandboxOffice(t, admin, "test")
	// A production integration's subscription covering both offices.
	must[domain.Integration](t)(admin.PutIntegration(bg, domain.Integration{ID: "crm", Name: "CRM", OfficeIDs: []string{demo.OfficeID, "test"},
		Operations: []domain.Operation{domain.OpWebhooks}}))
	must[domain.Webhook](t)(admin.PutWebhook(bg, domain.Webhook{ID: "crm", IntegrationID: "crm", URL: feed.URL, OfficeIDs: []string{demo.OfficeID, "test"}}))

	ais := domain.Integration{ID: "ais", Name: "АИС МФЦ", OfficeIDs: []string{demo.OfficeID}, Sandbox: true,
		Operations: []domain.Operation{domain.OpView, domain.OpIssue, domain.OpStats}}
	if _, err := admin.PutIntegration(bg, ais); domain.ErrorCode(err) != domain.CodeInvalid || !strings.Contains(domain.ErrorMessage(err), "тестовыми офисами") {
		t.Fatalf("a sandbox integration on the working office: %v, want invalid", err)
	}
	if _, err := manager.PutIntegration(bg, ais); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("a manager registered an integration: %v", err)
	}
	ais.OfficeIDs = []string{"test"}
	reg := must[domain.Integration](t)(admin.PutIntegration(bg, ais))
	if reg.KeyIssuedAt != nil || reg.Version != 1 {
		t.Fatalf("registered %+v: a key before one was issued", reg)
	}
	key := must[domain.IntegrationKey](t)(admin.IssueIntegrationKey(bg, "ais"))
	if !strings.HasPrefix(key.Key, domain.IntegrationKeyPrefix) || key.ClientID != "ais" || key.ClientSecret == "" {
		t.Fatalf("key %+v", key)
	}
	for _, in := range must[[]domain.Integration](t)(admin.ListIntegrations(bg)) {
		raw, _ := json.Marshal(in)
		if strings.Contains(string(raw), key.ClientSecret) || strings.Contains(string(raw), "key_hash") {
			t.Fatalf("the list shows the key: %s", raw)
		}
	}

	sys := withKey(t, url, key.Key)
	me := must[domain.Actor](t)(sys.Me(bg))
	if me.Login != "integration:ais" || me.Role != domain.RoleIntegration || !me.Sandbox {
		t.Fatalf("me %+v", me)
	}
	tk := must[domain.Ticket](t)(sys.IssueTicket(bg, "test", domain.IssueRequest{ServiceID: "passport"}))
	if _, err := sys.IssueTicket(bg, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("the sandbox integration issued in the working office: %v", err)
	}
	if _, err := sys.CancelTicket(bg, "test", tk.ID); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("cancel without the move operation: %v", err)
	}
	must[[]domain.Service](t)(sys.ListServices(bg, "test"))

	// The test office's ticket is in no statistics, no feed and no
	// production webhook; the journal has every call.
	rep := must[domain.StatsReport](t)(admin.GetStats(bg, domain.StatsQuery{OfficeIDs: []string{"test", demo.OfficeID}}))
	if rep.Total.Issued != 0 {
		t.Errorf("statistics count %d tickets of the test office", rep.Total.Issued)
	}
	if out := must[[]domain.Delivery](t)(admin.ListOutbox(bg, "test", domain.DeliveryQuery{})); len(out) != 0 {
		t.Errorf("the test office's events went to other systems: %+v", out)
	}
	if out := must[[]domain.Delivery](t)(admin.ListWebhookDeliveries(bg, "crm", "crm", domain.DeliveryQuery{})); len(out) != 0 {
		t.Errorf("a production subscription got the test office's events: %+v", out)
	}
	actions := journalActions(t, url, admin, "test", "integration:ais")
	for _, want := range []string{"issueTicket ok", "cancelTicket forbidden", "listServices ok"} {
		if !strings.Contains(actions, want) {
			t.Errorf("the test office's journal of integration:ais has %q, want %q in it", actions, want)
		}
	}
	if !strings.Contains(journalActions(t, url, admin, demo.OfficeID, "integration:ais"), "issueTicket forbidden") {
		t.Errorf("the refused issue in the working office is not in its journal")
	}

	// OAuth2 client credentials, as a library would send them.
	token := oauthToken(t, url, url2form("client_credentials", "ais", key.ClientSecret))
	viaToken, err := client.New(url, client.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	if a := must[domain.Actor](t)(viaToken.Me(bg)); a.IntegrationID != "ais" {
		t.Fatalf("token's actor %+v", a)
	}
	if status, body := postForm(t, url+"/api/v1/oauth/token", url2form("client_credentials", "ais", "wrong-secret-wrong-secret-wrong-secret")); status != http.StatusUnauthorized || !strings.Contains(body, "invalid_client") {
		t.Errorf("a wrong secret: %d %s", status, body)
	}

	// To production, with the operator's work: the old token goes, the key stays.
	ais.Sandbox, ais.OfficeIDs = false, []string{demo.OfficeID}
	ais.Operations = append(ais.Operations, domain.OpServe)
	must[domain.Integration](t)(admin.PutIntegration(bg, ais))
	if _, err := viaToken.Me(bg); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Errorf("a token issued before the move still works: %v", err)
	}
	live := must[domain.Ticket](t)(sys.IssueTicket(bg, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	channels := map[string]bool{}
	for _, d := range must[[]domain.Delivery](t)(admin.ListOutbox(bg, demo.OfficeID, domain.DeliveryQuery{})) {
		channels[d.Channel] = true
	}
	if !channels["webhook:crm"] || !channels["mdm"] {
		t.Errorf("the working office's ticket reached %v, want the webhook and the МДМ feed", channels)
	}
	if _, err := sys.OpenWindowSession(bg, demo.OfficeID, "w1"); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("the integration opened a window as itself: %v", err)
	}
	if a, err := sys.ActAsOperator(bg, demo.OfficeID, "nobody"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("acting for an unknown operator: %+v %v", a, err)
	}
	as := must[domain.Actor](t)(sys.ActAsOperator(bg, demo.OfficeID, "op1"))
	if as.Role != domain.RoleOperator || as.OperatorID != "op1" || as.Login != "integration:ais" {
		t.Fatalf("acting for op1: %+v", as)
	}
	// The case system names the operator by its own id.
	for _, op := range must[[]domain.Operator](t)(admin.ListOperators(bg, demo.OfficeID)) {
		if op.ID == "op1" {
			op.CaseSystemID = "ais-77"
			must[domain.Operator](t)(admin.PutOperator(bg, op))
		}
	}
	sys.SetOperator("ais-77")
	must[domain.WindowState](t)(sys.OpenWindowSession(bg, demo.OfficeID, "w1"))
	called := must[domain.Ticket](t)(sys.CallNext(bg, demo.OfficeID, "w1", false))
	if called.ID != live.ID || called.OperatorID != "op1" {
		t.Fatalf("called %+v, want %s by op1", called, live.Number)
	}
	full := must[domain.Ticket](t)(admin.GetTicket(bg, demo.OfficeID, called.ID))
	if by := full.History[len(full.History)-1].By; by != "integration:ais" {
		t.Errorf("the call is recorded as done by %q", by)
	}
	sys.SetOperator("")

	// Rotation ends the old key; revocation ends the new one.
	rotated := must[domain.IntegrationKey](t)(admin.IssueIntegrationKey(bg, "ais"))
	if _, err := sys.Me(bg); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Errorf("the rotated-out key still works: %v", err)
	}
	fresh := withKey(t, url, rotated.Key)
	must[domain.Actor](t)(fresh.Me(bg))
	must[domain.Integration](t)(admin.RevokeIntegrationKey(bg, "ais"))
	if _, err := fresh.Me(bg); domain.ErrorCode(err) != domain.CodeUnauthorized || !strings.Contains(domain.ErrorMessage(err), "ключ интеграции") {
		t.Errorf("a revoked key: %v", err)
	}
	if _, err := fresh.Me(bg); err == nil {
		t.Error("a revoked key works")
	}
}

func url2form(grant, id, secret string) url.Values {
	return url.Values{"grant_type": {grant}, "client_id": {id}, "client_secret": {secret}}
}

func postForm(t *testing.T, target string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(target, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func oauthToken(t *testing.T, base string, form url.Values) string {
	t.Helper()
	status, body := postForm(t, base+"/api/v1/oauth/token", form)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal([]byte(body), &tok); err != nil || status != http.StatusOK || tok.TokenType != "Bearer" || tok.ExpiresIn <= 0 {
		t.Fatalf("oauth token: %d %s", status, body)
	}
	return tok.AccessToken
}

// journalActions lists "action result" of the office's journal records by actor.
func journalActions(t *testing.T, base string, c *client.Client, officeID, actor string) string {
	t.Helper()
	var out []string
	for _, r := range officeJournal(t, base, c, officeID, url.Values{"actor": {actor}}.Encode()) {
		out = append(out, r.Action+" "+r.Result)
	}
	return strings.Join(out, ", ")
}

// TestCaseSystemDayThroughTheIntegrationAPI runs a visit through the
// integration's key alone, as a case system with a booking portal would:
// book a slot, check the applicant in, call them for the operator by the
// operator's case-system id, serve, attach the case number and finish; the
// states are right and the case is found by its number.
func TestCaseSystemDayThroughTheIntegrationAPI(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	bg := context.Background()
	admin := login(t, url, "admin")
	for _, op := range must[[]domain.Operator](t)(admin.ListOperators(bg, demo.OfficeID)) {
		if op.ID == "op1" {
			op.CaseSystemID = "ais-1001"
			must[domain.Operator](t)(admin.PutOperator(bg, op))
		}
	}
	must[domain.Integration](t)(admin.PutIntegration(bg, domain.Integration{ID: "ais", Name: "АИС МФЦ", OfficeIDs: []string{demo.OfficeID},
		Operations: []domain.Operation{domain.OpView, domain.OpIssue, domain.OpBook, domain.OpServe, domain.OpCase, domain.OpMDM}}))
	ais := withKey(t, url, must[domain.IntegrationKey](t)(admin.IssueIntegrationKey(bg, "ais")).Key)

	// Late in the evening the next slot is tomorrow's first, whose check-in
	// opens an hour before it.
	var slots []domain.Slot
	for _, day := range []time.Time{time.Now(), time.Now().Add(24 * time.Hour)} {
		if slots = must[[]domain.Slot](t)(ais.ListAppointmentSlots(bg, demo.OfficeID, "passport", day.In(mustLoc(t)).Format(time.DateOnly))); len(slots) > 0 {
			break
		}
	}
	if len(slots) == 0 {
		t.Fatal("no passport slot today or tomorrow")
	}
	ap := must[domain.Appointment](t)(ais.CreateAppointment(bg, demo.OfficeID, domain.NewAppointment{ServiceID: "passport", Start: slots[0].Start, Source: "portal"}))
	tk := must[domain.Ticket](t)(ais.CheckInAppointment(bg, demo.OfficeID, ap.Code))

	ais.SetOperator("ais-1001")
	must[domain.WindowState](t)(ais.OpenWindowSession(bg, demo.OfficeID, "w1"))
	if got := must[domain.Ticket](t)(ais.CallNext(bg, demo.OfficeID, "w1", false)); got.ID != tk.ID {
		t.Fatalf("called %s, want the checked-in %s", got.Number, tk.Number)
	}
	if at := must[domain.Ticket](t)(ais.GetWindowTicket(bg, demo.OfficeID, "w1")); at.ID != tk.ID {
		t.Fatalf("window 1 holds %s", at.Number)
	}
	must[domain.Ticket](t)(ais.StartService(bg, demo.OfficeID, tk.ID))
	must[domain.Ticket](t)(ais.AttachCaseNumber(bg, demo.OfficeID, tk.ID, "АИС-2026-000777"))
	done := must[domain.Ticket](t)(ais.FinishTicket(bg, demo.OfficeID, tk.ID))
	must[domain.WindowState](t)(ais.CloseWindowSession(bg, demo.OfficeID, "w1"))
	ais.SetOperator("")

	if done.Status != domain.StatusDone || done.CaseNumber != "АИС-2026-000777" || done.OperatorID != "op1" {
		t.Fatalf("finished %+v", done)
	}
	if got := must[domain.Appointment](t)(ais.GetAppointment(bg, demo.OfficeID, ap.ID)); got.Status != domain.AppointmentCheckedIn || got.TicketID != tk.ID {
		t.Fatalf("the booking is %s with ticket %q", got.Status, got.TicketID)
	}
	found := must[[]domain.Ticket](t)(ais.FindTickets(bg, demo.OfficeID, domain.TicketQuery{CaseNumber: "АИС-2026-000777"}))
	if len(found) != 1 || found[0].ID != tk.ID {
		t.Fatalf("by case number: %+v", found)
	}
	full := must[domain.Ticket](t)(admin.GetTicket(bg, demo.OfficeID, tk.ID))
	for _, st := range full.History[1:] {
		if st.By != "integration:ais" {
			t.Errorf("step %s was done by %q, want the integration", st.Action, st.By)
		}
	}

	// The visit's МДМ objects, in order, at the times of the steps that made them.
	at := map[domain.Action]string{}
	for _, st := range full.History {
		at[st.Action] = st.At.In(mustLoc(t)).Format(domain.MDMTimeLayout)
	}
	want := []struct {
		typ domain.MDMType
		at  string
	}{
		{domain.MDMTicketFormed, at[domain.ActionIssue]}, {domain.MDMTicketIssued, at[domain.ActionIssue]},
		{domain.MDMTicketCalled, at[domain.ActionCall]}, {domain.MDMCallOutcome, at[domain.ActionStart]},
		{domain.MDMReceptionStarted, at[domain.ActionStart]}, {domain.MDMReceptionEnded, at[domain.ActionFinish]},
	}
	feed := must[[]domain.MDMObject](t)(ais.GetMDMFeed(bg, demo.OfficeID, domain.MDMQuery{From: full.CreatedAt.Add(-time.Minute), To: time.Now().Add(time.Minute)}))
	var got []domain.MDMObject
	for _, o := range feed {
		if o.TicketID == tk.ID {
			got = append(got, o)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("the visit's МДМ objects: %+v, want %d", got, len(want))
	}
	for i, w := range want {
		if got[i].Type != w.typ || got[i].At != w.at || got[i].OfficeUID == "" {
			t.Errorf("МДМ object %d: %s at %s (office UID %q), want %s at %s", i, got[i].Type, got[i].At, got[i].OfficeUID, w.typ, w.at)
		}
	}
	if got[0].AppointmentType == "" || got[0].AppointmentType == "none" || got[4].WindowNumber != 1 {
		t.Errorf("formed as %q, received at window %d", got[0].AppointmentType, got[4].WindowNumber)
	}
}
