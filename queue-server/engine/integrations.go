package engine

import (
	"slices"
	"sort"
	"strings"

	"github.com/talonqueue/talon/queue-server/domain"
)

func errSandbox(officeID string) error {
	return domain.Errorf(domain.CodeForbidden, "интеграция в режиме песочницы работает только с тестовыми офисами, а офис %q рабочий: администратор переводит интеграцию в рабочий режим", officeID)
}

// Integrations are registered by the region administrator alone: a key
// reaches into offices' queues the way a state system's API access does,
// which the region grants.
func integrationAdmin(a domain.Actor) error {
	if a.Login == "" {
		return domain.Errorf(domain.CodeUnauthorized, "войдите в систему")
	}
	if !a.RegionAdmin() {
		return domain.Errorf(domain.CodeForbidden, "интеграции регистрирует только администратор региона")
	}
	return nil
}

func (e *Engine) integration(a domain.Actor, id string) (*domain.Integration, error) {
	if err := integrationAdmin(a); err != nil {
		return nil, err
	}
	in := e.integrations[id]
	if in == nil {
		return nil, domain.Errorf(domain.CodeNotFound, "интеграция %q не найдена", id)
	}
	return in, nil
}

// ListIntegrations returns every integration by id.
func (e *Engine) ListIntegrations(a domain.Actor) ([]domain.Integration, error) {
	if err := integrationAdmin(a); err != nil {
		return nil, err
	}
	out := make([]domain.Integration, 0, len(e.integrations))
	for _, in := range e.integrations {
		out = append(out, shownIntegration(*in))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// GetIntegration returns one integration.
func (e *Engine) GetIntegration(a domain.Actor, id string) (domain.Integration, error) {
	in, err := e.integration(a, id)
	if err != nil {
		return domain.Integration{}, err
	}
	return shownIntegration(*in), nil
}

func shownIntegration(in domain.Integration) domain.Integration {
	in.KeyHash = ""
	return in
}

// PutIntegration registers an integration or changes its grants. Its key is
// issued and revoked by their own actions, never by a PUT. A change of
// grants, mode or state ends the OAuth2 tokens issued before, so an
// integration moved to production or narrowed works under the new terms at once.
func (e *Engine) PutIntegration(a domain.Actor, in domain.Integration, ch *domain.Changes) (domain.Integration, error) {
	if err := integrationAdmin(a); err != nil {
		return domain.Integration{}, err
	}
	in.Name, in.Contact = strings.TrimSpace(in.Name), strings.TrimSpace(in.Contact)
	if err := in.Validate(); err != nil {
		return domain.Integration{}, err
	}
	in.OfficeIDs = sortedUnique(in.OfficeIDs)
	in.Operations = slices.DeleteFunc(slices.Clone(domain.Operations), func(op domain.Operation) bool { return !in.Allows(op) })
	for _, id := range in.OfficeIDs {
		o, err := e.office(id)
		if err != nil {
			return domain.Integration{}, err
		}
		if in.Sandbox && !o.info.Sandbox {
			return domain.Integration{}, domain.Errorf(domain.CodeInvalid, "интеграция в режиме песочницы работает только с тестовыми офисами (sandbox), а офис %q рабочий", id)
		}
	}
	old := e.integrations[in.ID]
	in.KeyHash, in.KeyIssuedAt, in.Version, in.CreatedAt = "", nil, 1, e.cfg.Now()
	if old != nil {
		in.KeyHash, in.KeyIssuedAt, in.Version, in.CreatedAt = old.KeyHash, old.KeyIssuedAt, old.Version, old.CreatedAt
		if !slices.Equal(in.OfficeIDs, old.OfficeIDs) || !slices.Equal(in.Operations, old.Operations) || in.Sandbox != old.Sandbox || in.Disabled != old.Disabled {
			in.Version++
		}
	}
	e.integrations[in.ID] = &in
	ch.Integrations = append(ch.Integrations, in)
	return shownIntegration(in), nil
}

func sortedUnique(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// DeleteIntegration removes an integration; its key and tokens stop at once.
// Its journal records stay: they name it by login.
func (e *Engine) DeleteIntegration(a domain.Actor, id string, ch *domain.Changes) error {
	if _, err := e.integration(a, id); err != nil {
		return err
	}
	delete(e.integrations, id)
	ch.Deletions = append(ch.Deletions, domain.Deletion{Kind: domain.KindIntegration, ID: id})
	return nil
}

// IssueIntegrationKey gives the integration a new key, shown once, and ends
// the old key and every token issued for it: rotation and first issue alike.
func (e *Engine) IssueIntegrationKey(a domain.Actor, id string, ch *domain.Changes) (domain.IntegrationKey, error) {
	cur, err := e.integration(a, id)
	if err != nil {
		return domain.IntegrationKey{}, err
	}
	secret := e.cfg.NewSecret()
	in := *cur
	in.KeyHash, in.KeyIssuedAt = domain.HashSecret(secret), ptr(e.cfg.Now())
	in.Version++
	e.integrations[id] = &in
	ch.Integrations = append(ch.Integrations, in)
	return domain.IntegrationKey{Integration: shownIntegration(in), Key: domain.IntegrationKeyOf(id, secret), ClientID: id, ClientSecret: secret}, nil
}

// RevokeIntegrationKey takes the integration's key away; it stays
// registered, and a new key brings it back.
func (e *Engine) RevokeIntegrationKey(a domain.Actor, id string, ch *domain.Changes) (domain.Integration, error) {
	cur, err := e.integration(a, id)
	if err != nil {
		return domain.Integration{}, err
	}
	in := *cur
	in.KeyHash, in.KeyIssuedAt = "", nil
	in.Version++
	e.integrations[id] = &in
	ch.Integrations = append(ch.Integrations, in)
	return shownIntegration(in), nil
}

// IntegrationCredential is an enabled integration's key hash and its actor.
type IntegrationCredential struct {
	Hash  string
	Actor domain.Actor
}

// IntegrationCredentials returns every enabled integration with a key, by
// id, for credential checks that must not wait for the writer.
func (e *Engine) IntegrationCredentials() map[string]IntegrationCredential {
	out := map[string]IntegrationCredential{}
	for id, in := range e.integrations {
		if in.Disabled || in.KeyHash == "" {
			continue
		}
		out[id] = IntegrationCredential{Hash: in.KeyHash, Actor: domain.Actor{
			Login: domain.IntegrationLogin(id), Role: domain.RoleIntegration, IntegrationID: id, Sandbox: in.Sandbox, Version: in.Version,
			Grants: &domain.IntegrationGrants{Offices: slices.Clone(in.OfficeIDs), Operations: slices.Clone(in.Operations)},
		}}
	}
	return out
}

// Directory is what acting for an operator needs of the offices, copied
// after commits that change it, so that requests resolve the operator
// without waiting for the writer.
type Directory struct {
	sandbox   map[string]bool              // by office id, every office
	operators map[string]map[string]string // office → Talon or case-system id → operator id
}

// Directory returns the offices' current directory.
func (e *Engine) Directory() *Directory {
	d := &Directory{sandbox: map[string]bool{}, operators: map[string]map[string]string{}}
	for id, o := range e.offices {
		d.sandbox[id] = o.info.Sandbox
		// A Talon id wins over a case-system id that happens to equal it.
		refs := map[string]string{}
		for _, op := range o.operators {
			if op.CaseSystemID != "" {
				refs[op.CaseSystemID] = op.ID
			}
		}
		for _, op := range o.operators {
			refs[op.ID] = op.ID
		}
		d.operators[id] = refs
	}
	return d
}

// ActAsOperator is the actor of an integration acting for an operator of the
// office, named by their Talon id or their id in the case system: that
// operator, as far as the queue's rules go, under the integration's login,
// so the journal and the ticket's history say which system acted.
func (d *Directory) ActAsOperator(a domain.Actor, officeID, operator string) (domain.Actor, error) {
	if a.Role != domain.RoleIntegration {
		return domain.Actor{}, domain.Errorf(domain.CodeInvalid, "заголовок %s — только для интеграций; сотрудник действует от своего имени", domain.OperatorHeader)
	}
	if !a.Grants.Allows(domain.OpServe) {
		return domain.Actor{}, domain.Errorf(domain.CodeForbidden, "интеграции не разрешено действовать за операторов (операция serve)")
	}
	if officeID == "" {
		return domain.Actor{}, domain.Errorf(domain.CodeInvalid, "заголовок %s действует только в запросах к офису", domain.OperatorHeader)
	}
	if !a.CanAccessOffice(officeID) {
		return domain.Actor{}, domain.Errorf(domain.CodeForbidden, "у вас нет доступа к офису %q", officeID)
	}
	sandbox, ok := d.sandbox[officeID]
	if !ok {
		return domain.Actor{}, domain.Errorf(domain.CodeNotFound, "офис %q не найден", officeID)
	}
	if a.Sandbox && !sandbox {
		return domain.Actor{}, errSandbox(officeID)
	}
	id, ok := d.operators[officeID][operator]
	if !ok {
		return domain.Actor{}, domain.Errorf(domain.CodeNotFound, "оператор %q не найден в офисе %q ни по идентификатору, ни по идентификатору в АИС", operator, officeID)
	}
	return domain.Actor{
		Login: a.Login, Role: domain.RoleOperator, OfficeID: officeID, OperatorID: id,
		IntegrationID: a.IntegrationID, Sandbox: a.Sandbox, Version: a.Version,
	}, nil
}
