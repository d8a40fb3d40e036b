package engine

import (
	"encoding/json"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

func TestWebhooksQueueEachEventOfTheirOfficesAndTypes(t *testing.T) {
	f := newFixture(t)
	f.e.cfg.NewSecret = func() string { return "secret-of-32-characters-at-least!" }
	admin := domain.Actor{Login: "root", Role: domain.RoleAdmin}
	all := domain.Webhook{ID: "all", IntegrationID: "crm", URL: "https://crm.example.ru/hook"}
	called := domain.Webhook{ID: "called", IntegrationID: "crm", URL: "https://crm.example.ru/called", OfficeIDs: []string{"o1"}, Events: []domain.EventType{domain.EventTicketCalled}}
	other := domain.Webhook{ID: "other", IntegrationID: "crm", URL: "https://crm.example.ru/o2", OfficeIDs: []string{"o2"}}
	off := domain.Webhook{ID: "off", IntegrationID: "crm", URL: "https://crm.example.ru/off", Disabled: true}
	f.must(f.e.PutOffice(admin, domain.Office{ID: "o2", Name: "Второй", TimeZone: "Europe/Moscow"}, &f.log))
	register(f, "crm", false, "o1", "o2")
	for _, w := range []domain.Webhook{all, called, other, off} {
		got := must(f.e.PutWebhook(admin, w, &f.log))
		if got.Secret == "" || got.CreatedAt.IsZero() {
			t.Fatalf("a new subscription comes with its secret and creation time: %+v", got)
		}
	}

	var ch domain.Changes
	tk := must(f.e.IssueTicket(f.kiosk, "o1", domain.IssueRequest{ServiceID: "pass"}, &ch))
	must(f.e.CallNext(f.op1, "o1", "w1", false, &ch))
	var got []string
	for _, m := range ch.Outbox {
		got = append(got, m.ID)
		var env domain.WebhookEnvelope
		if err := json.Unmarshal(m.Body, &env); err != nil || env.ID != m.ID || env.Event == nil || env.Event.TicketID != tk.ID || env.Office != "o1" {
			t.Errorf("envelope of %s: %+v, %v", m.ID, env, err)
		}
	}
	issued, call := ch.Events[0], ch.Events[1]
	want := []string{
		domain.WebhookMessageID("all", "o1", issued.Seq, issued.At),
		domain.WebhookMessageID("all", "o1", call.Seq, call.At), domain.WebhookMessageID("called", "o1", call.Seq, call.At),
	}
	if len(got) != len(want) {
		t.Fatalf("messages %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d = %s, want %s", i, got[i], want[i])
		}
	}
	if ch.Outbox[2].Channel != "webhook:called" {
		t.Errorf("channel %q, want webhook:called", ch.Outbox[2].Channel)
	}

	// A test office feeds no production integration, only a sandbox one.
	sandbox := must(f.e.GetOffice(admin, "o1"))
	sandbox.Sandbox = true
	f.must(f.e.PutOffice(admin, sandbox, &f.log))
	register(f, "trial", true, "o1")
	f.must(f.e.PutWebhook(admin, domain.Webhook{ID: "trial", IntegrationID: "trial", URL: "https://test.example.ru/hook"}, &f.log))
	ch = domain.Changes{}
	must(f.e.IssueTicket(f.kiosk, "o1", domain.IssueRequest{ServiceID: "pass"}, &ch))
	if len(ch.Outbox) != 1 || ch.Outbox[0].Channel != "webhook:trial" {
		t.Errorf("a test office queued %+v, want the sandbox integration's message alone", ch.Outbox)
	}
	// An integration no longer working with an office gets none of its events.
	register(f, "crm", false, "o2")
	ch = domain.Changes{}
	sandbox.Sandbox = false
	f.must(f.e.PutOffice(admin, sandbox, &ch))
	ch = domain.Changes{}
	must(f.e.IssueTicket(f.kiosk, "o1", domain.IssueRequest{ServiceID: "pass"}, &ch))
	if len(ch.Outbox) != 0 {
		t.Errorf("after the integration left o1: %+v", ch.Outbox)
	}
}

// register makes an integration of the offices that may hold webhook subscriptions.
func register(f *fixture, id string, sandbox bool, offices ...string) {
	f.t.Helper()
	must(f.e.PutIntegration(regionAdmin, domain.Integration{ID: id, Name: id, OfficeIDs: offices, Sandbox: sandbox,
		Operations: []domain.Operation{domain.OpView, domain.OpWebhooks}}, &f.log))
}

func TestWebhookAccess(t *testing.T) {
	f := newFixture(t)
	f.e.cfg.NewSecret = func() string { return "secret-of-32-characters-at-least!" }
	region := domain.Actor{Login: "root", Role: domain.RoleAdmin}
	officeAdmin := domain.Actor{Login: "a1", Role: domain.RoleAdmin, OfficeID: "o1"}
	manager := domain.Actor{Login: "m1", Role: domain.RoleManager, OfficeID: "o1"}
	f.must(f.e.PutOffice(region, domain.Office{ID: "o2", Name: "Второй", TimeZone: "Europe/Moscow"}, &f.log))
	register(f, "crm", false, "o1", "o2")
	register(f, "ivr", false, "o1")
	var ch domain.Changes
	mine := domain.Webhook{ID: "mine", IntegrationID: "crm", URL: "https://crm.example.ru/hook", OfficeIDs: []string{"o1"}}
	if _, err := f.e.PutWebhook(officeAdmin, mine, &ch); err != nil {
		t.Fatalf("an office administrator subscribing to their office: %v", err)
	}
	everywhere := domain.Webhook{ID: "everywhere", IntegrationID: "crm", URL: "https://crm.example.ru/hook"}
	_, err := f.e.PutWebhook(officeAdmin, everywhere, &ch)
	wantCode(t, err, domain.CodeForbidden)
	_, err = f.e.PutWebhook(officeAdmin, domain.Webhook{ID: "o2", IntegrationID: "crm", URL: "https://crm.example.ru/hook", OfficeIDs: []string{"o2"}}, &ch)
	wantCode(t, err, domain.CodeForbidden)
	_, err = f.e.PutWebhook(manager, mine, &ch)
	wantCode(t, err, domain.CodeForbidden)
	f.must(f.e.PutWebhook(region, everywhere, &ch))
	// Another integration cannot take over an id.
	_, err = f.e.PutWebhook(region, domain.Webhook{ID: "mine", IntegrationID: "ivr", URL: "https://ivr.example.ru/"}, &ch)
	wantCode(t, err, domain.CodeConflict)
	// Listings never carry a secret; an office administrator sees their office's only.
	list := must(f.e.ListWebhooks(officeAdmin, "crm"))
	if len(list) != 1 || list[0].ID != "mine" || list[0].Secret != "" {
		t.Errorf("office administrator's list: %+v", list)
	}
	if list := must(f.e.ListWebhooks(region, "crm")); len(list) != 2 || list[0].Secret != "" || list[1].Secret != "" {
		t.Errorf("region administrator's list: %+v", list)
	}
	// A change keeps the secret and does not show it; a rotation makes and shows a new one.
	mine.URL = "https://crm.example.ru/v2"
	if got := must(f.e.PutWebhook(officeAdmin, mine, &ch)); got.Secret != "" {
		t.Error("a change of a subscription showed its secret")
	}
	before, _ := f.e.WebhookTarget("mine")
	f.e.cfg.NewSecret = func() string { return "another-secret-of-32-characters!!" }
	rotated := must(f.e.RotateWebhookSecret(officeAdmin, "crm", "mine", &ch))
	if rotated.Secret == before.Secret || rotated.Secret == "" {
		t.Errorf("rotation: secret %q, was %q", rotated.Secret, before.Secret)
	}
	// The integration itself manages its own subscriptions within its offices.
	crm := domain.Actor{Login: "integration:crm", Role: domain.RoleIntegration, IntegrationID: "crm",
		Grants: &domain.IntegrationGrants{Offices: []string{"o1", "o2"}, Operations: []domain.Operation{domain.OpWebhooks}}}
	if list := must(f.e.ListWebhooks(crm, "crm")); len(list) != 2 {
		t.Errorf("the integration's own list: %+v", list)
	}
	f.must(f.e.PutWebhook(crm, domain.Webhook{ID: "own", IntegrationID: "crm", URL: "https://crm.example.ru/own", OfficeIDs: []string{"o2"}}, &ch))
	ivr := domain.Actor{Login: "integration:ivr", Role: domain.RoleIntegration, IntegrationID: "ivr",
		Grants: &domain.IntegrationGrants{Offices: []string{"o1"}, Operations: []domain.Operation{domain.OpWebhooks}}}
	_, err = f.e.ListWebhooks(ivr, "crm")
	wantCode(t, err, domain.CodeForbidden)
	_, err = f.e.PutWebhook(ivr, domain.Webhook{ID: "far", IntegrationID: "ivr", URL: "https://ivr.example.ru/", OfficeIDs: []string{"o2"}}, &ch)
	wantCode(t, err, domain.CodeForbidden)
	_, err = f.e.PutWebhook(region, domain.Webhook{ID: "far", IntegrationID: "ivr", URL: "https://ivr.example.ru/", OfficeIDs: []string{"o2"}}, &ch)
	wantCode(t, err, domain.CodeInvalid)
	_, err = f.e.PutWebhook(region, domain.Webhook{ID: "ghost", IntegrationID: "ghost", URL: "https://ghost.example.ru/"}, &ch)
	wantCode(t, err, domain.CodeNotFound)
	noHooks := crm
	noHooks.Grants = &domain.IntegrationGrants{Offices: []string{"o1", "o2"}, Operations: []domain.Operation{domain.OpView}}
	_, err = f.e.ListWebhooks(noHooks, "crm")
	wantCode(t, err, domain.CodeForbidden)
	wantCode(t, f.e.DeleteWebhook(officeAdmin, "crm", "everywhere", &ch), domain.CodeForbidden)
	wantCode(t, f.e.DeleteWebhook(region, "ivr", "mine", &ch), domain.CodeNotFound)
	if err := f.e.DeleteWebhook(officeAdmin, "crm", "mine", &ch); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.e.WebhookTarget("mine"); ok {
		t.Error("a deleted subscription is still a target")
	}
}

func TestWebhookValidation(t *testing.T) {
	for _, w := range []domain.Webhook{
		{ID: "a", IntegrationID: "crm", URL: "ftp://crm.example.ru/"},
		{ID: "a", IntegrationID: "crm", URL: "https://user:pw@crm.example.ru/"},
		{ID: "a", IntegrationID: "crm", URL: "https://crm.example.ru/", Events: []domain.EventType{"ticket.eaten"}},
		{ID: "a b", IntegrationID: "crm", URL: "https://crm.example.ru/"},
		{ID: "a", IntegrationID: "", URL: "https://crm.example.ru/"},
	} {
		wantCode(t, w.Validate(), domain.CodeInvalid)
	}
}
