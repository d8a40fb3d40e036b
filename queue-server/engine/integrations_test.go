package engine

import (
	"strings"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

var regionAdmin = domain.Actor{Login: "admin", Role: domain.RoleAdmin}

func TestIntegrationsAreTheRegionAdministrators(t *testing.T) {
	f := newFixture(t)
	in := domain.Integration{ID: "ais", Name: "АИС МФЦ", OfficeIDs: []string{"o1"}, Operations: []domain.Operation{domain.OpView}}
	officeAdmin := domain.Actor{Login: "oadmin", Role: domain.RoleAdmin, OfficeID: "o1"}
	for _, a := range []domain.Actor{officeAdmin, f.hall, f.kiosk} {
		if _, err := f.e.PutIntegration(a, in, &f.log); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Errorf("%s registered an integration: %v", a.Login, err)
		}
	}
	for _, c := range []struct {
		name string
		edit func(*domain.Integration)
		code domain.Code
		says string
	}{
		{"no name", func(x *domain.Integration) { x.Name = " " }, domain.CodeInvalid, "название"},
		{"no offices", func(x *domain.Integration) { x.OfficeIDs = nil }, domain.CodeInvalid, "офисы"},
		{"unknown office", func(x *domain.Integration) { x.OfficeIDs = []string{"nowhere"} }, domain.CodeNotFound, "nowhere"},
		{"unknown operation", func(x *domain.Integration) { x.Operations = []domain.Operation{"everything"} }, domain.CodeInvalid, "everything"},
		{"sandbox on a working office", func(x *domain.Integration) { x.Sandbox = true }, domain.CodeInvalid, "тестовыми офисами"},
	} {
		bad := in
		c.edit(&bad)
		_, err := f.e.PutIntegration(regionAdmin, bad, &f.log)
		if domain.ErrorCode(err) != c.code || !strings.Contains(domain.ErrorMessage(err), c.says) {
			t.Errorf("%s: %v, want %s saying %q", c.name, err, c.code, c.says)
		}
	}
	if _, ok := f.e.integrations["ais"]; ok {
		t.Fatal("a refused integration was kept")
	}
}

func TestIntegrationKeysAndVersions(t *testing.T) {
	f := newFixture(t)
	f.e.cfg.NewSecret = func() string { f.ids++; return strings.Repeat("s", 40) + string(rune('a'+f.ids%26)) }
	in := domain.Integration{ID: "ais", Name: "АИС", OfficeIDs: []string{"o1", "o1"}, Operations: []domain.Operation{domain.OpStats, domain.OpView}}
	got := must(f.e.PutIntegration(regionAdmin, in, &f.log))
	if got.Version != 1 || len(got.OfficeIDs) != 1 || got.Operations[0] != domain.OpView {
		t.Fatalf("registered %+v: want version 1, offices deduplicated, operations in their order", got)
	}
	if len(f.e.IntegrationCredentials()) != 0 {
		t.Fatal("credentials before a key was issued")
	}
	key := must(f.e.IssueIntegrationKey(regionAdmin, "ais", &f.log))
	id, secret, ok := domain.ParseIntegrationKey(key.Key)
	if !ok || id != "ais" || secret != key.ClientSecret || key.Integration.Version != 2 {
		t.Fatalf("key %+v", key)
	}
	cred := f.e.IntegrationCredentials()["ais"]
	if cred.Hash != domain.HashSecret(secret) || cred.Actor.Version != 2 || !cred.Actor.Grants.Allows(domain.OpStats) {
		t.Fatalf("credential %+v", cred)
	}
	// The same grants again keep the version and the key; new ones move it.
	if v := must(f.e.PutIntegration(regionAdmin, in, &f.log)).Version; v != 2 {
		t.Errorf("an unchanged PUT moved the version to %d", v)
	}
	in.Operations = []domain.Operation{domain.OpView}
	if v := must(f.e.PutIntegration(regionAdmin, in, &f.log)); v.Version != 3 || v.KeyIssuedAt == nil {
		t.Errorf("narrowed: %+v, want version 3 with the key kept", v)
	}
	must(f.e.RevokeIntegrationKey(regionAdmin, "ais", &f.log))
	if len(f.e.IntegrationCredentials()) != 0 {
		t.Error("a revoked key still has a credential")
	}
	// What was committed loads back the same.
	e2 := must(Load(f.config(), fold(f.log)))
	if back := e2.integrations["ais"]; back == nil || back.Version != 4 || back.KeyHash != "" {
		t.Errorf("reloaded %+v", back)
	}
}

func TestIntegrationPermissionsFollowOperations(t *testing.T) {
	f := newFixture(t)
	must(f.e.PutOffice(domain.System, domain.Office{ID: "test", Name: "Тест", TimeZone: "Europe/Moscow", Sandbox: true, Hours: f.e.offices["o1"].info.Hours}, &f.log))
	must(f.e.PutService(domain.System, domain.Service{ID: "pass", OfficeID: "test", Name: "Паспорт", Prefix: "А"}, &f.log))
	viewer := domain.Actor{Login: "integration:ais", Role: domain.RoleIntegration, IntegrationID: "ais",
		Grants: &domain.IntegrationGrants{Offices: []string{"o1"}, Operations: []domain.Operation{domain.OpView}}}
	must(f.e.ListServices(viewer, "o1"))
	if _, err := f.e.IssueTicket(viewer, "o1", domain.IssueRequest{ServiceID: "pass"}, &f.log); domain.ErrorCode(err) != domain.CodeForbidden || !strings.Contains(domain.ErrorMessage(err), "интеграции") {
		t.Errorf("issue without the issue operation: %v", err)
	}
	if _, err := f.e.ListServices(viewer, "test"); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("an office outside its grants: %v", err)
	}
	sandboxed := viewer
	sandboxed.Sandbox, sandboxed.Grants = true, &domain.IntegrationGrants{Offices: []string{"o1", "test"}, Operations: []domain.Operation{domain.OpView, domain.OpIssue}}
	must(f.e.IssueTicket(sandboxed, "test", domain.IssueRequest{ServiceID: "pass"}, &f.log))
	if _, err := f.e.IssueTicket(sandboxed, "o1", domain.IssueRequest{ServiceID: "pass"}, &f.log); domain.ErrorCode(err) != domain.CodeForbidden || !strings.Contains(domain.ErrorMessage(err), "песочницы") {
		t.Errorf("a sandbox integration in a working office: %v", err)
	}
}

func TestActingForAnOperator(t *testing.T) {
	f := newFixture(t)
	must(f.e.IssueTicket(f.kiosk, "o1", domain.IssueRequest{ServiceID: "pass"}, &f.log))
	ais := domain.Actor{Login: "integration:ais", Role: domain.RoleIntegration, IntegrationID: "ais",
		Grants: &domain.IntegrationGrants{Offices: []string{"o1"}, Operations: []domain.Operation{domain.OpView}}}
	d := f.e.Directory()
	if _, err := d.ActAsOperator(ais, "o1", "op1"); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("without serve: %v", err)
	}
	ais.Grants = &domain.IntegrationGrants{Offices: []string{"o1"}, Operations: []domain.Operation{domain.OpServe}}
	for _, c := range []struct {
		actor          domain.Actor
		office, opname string
		code           domain.Code
	}{
		{f.hall, "o1", "op1", domain.CodeInvalid},
		{ais, "", "op1", domain.CodeInvalid},
		{ais, "o2", "op1", domain.CodeForbidden},
		{ais, "o1", "nobody", domain.CodeNotFound},
	} {
		if _, err := d.ActAsOperator(c.actor, c.office, c.opname); domain.ErrorCode(err) != c.code {
			t.Errorf("%s for %q in %q: %v, want %s", c.actor.Login, c.opname, c.office, err, c.code)
		}
	}
	as := must(d.ActAsOperator(ais, "o1", "op1"))
	var ch domain.Changes
	tk := must(f.e.CallNext(as, "o1", "w1", false, &ch))
	if tk.OperatorID != "op1" || ch.Events[len(ch.Events)-1].Actor != "integration:ais" || ch.Events[len(ch.Events)-1].Role != domain.RoleOperator {
		t.Errorf("called %+v with events %+v", tk, ch.Events)
	}
	if _, err := f.e.CallNext(as, "o1", "w2", false, &ch); err == nil {
		t.Error("acting for op1, the integration called at op2's window")
	}
}
