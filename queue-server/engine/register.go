package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The import of the federal register (ФРГУ) into an office's catalogue.
// An entry of the file matches the office's service with the same ФРГУ
// service and procedure ids; the import writes only what the register owns
// (the name, the ФРГУ ids, the purpose of visit) and keeps everything the
// office set (menu place, prefix, norms, hours, limits, slots, note, being
// disabled, and the windows and operators that serve it). New services get
// defaults and wait disabled until the office sets them up; nothing is
// deleted. docs/frgu-import.md says the same for people.

// AuthorizeCatalog checks that the actor may import into the office's catalogue.
func (e *Engine) AuthorizeCatalog(a domain.Actor, officeID string) error {
	_, err := e.officeAs(a, officeID, permCatalog)
	return err
}

// ImportRegister applies entries (in file order) to the office's catalogue;
// skipped are the rows the parser left out. A dry run changes nothing and
// writes nothing to ch.
func (e *Engine) ImportRegister(a domain.Actor, officeID string, entries []domain.RegisterEntry, skipped []domain.RegisterSkip, dryRun bool, ch *domain.Changes) (domain.RegisterReport, error) {
	o, err := e.officeAs(a, officeID, permCatalog)
	if err != nil {
		return domain.RegisterReport{}, err
	}
	p := newRegisterPlan(o, entries)
	for _, en := range entries {
		p.apply(en)
	}
	rep := domain.RegisterReport{OfficeID: officeID, DryRun: dryRun, Rows: len(entries) + len(skipped),
		Created: p.created, Updated: p.updated, Unchanged: p.unchanged, Skipped: append(append([]domain.RegisterSkip{}, skipped...), p.skipped...)}
	sort.SliceStable(rep.Skipped, func(i, j int) bool { return rep.Skipped[i].Line < rep.Skipped[j].Line })
	for _, list := range []*[]domain.RegisterItem{&rep.Created, &rep.Updated, &rep.Unchanged} {
		if *list == nil {
			*list = []domain.RegisterItem{}
		}
	}
	if dryRun || len(p.written) == 0 {
		return rep, nil
	}
	for _, id := range p.written {
		s := p.work[id]
		o.services[id] = &s
		ch.Services = append(ch.Services, s)
	}
	// One event for the whole import ("service/*"): kiosks and panels
	// reload the menu once, not once a service.
	e.configEvent(o, a, ch, domain.KindService, "*")
	return rep, nil
}

// registerPlan is the catalogue as the import would leave it, built on a
// copy so that a dry run and a refusal leave the office untouched.
type registerPlan struct {
	officeID string
	work     map[string]domain.Service
	// written are the ids of records to write, in the order first changed.
	written   []string
	isWritten map[string]bool
	// groups is the menu group of each authority (the least id of the
	// groups with its ФРГУ id); lastOrder the last place under each parent.
	groups    map[string]string
	lastOrder map[string]int
	// byKey finds the services of a ФРГУ service and procedure.
	byKey map[string][]string
	// perService counts the file's entries of each ФРГУ service, so that a
	// service set up by hand with no procedure is matched only when the
	// file leaves no doubt which procedure it is.
	perService map[string]int
	seen       map[string]int // key → line of the entry that took it
	prefixes   map[string]bool
	groupLine  map[string]int // authority id → the line its group came from

	created, updated, unchanged []domain.RegisterItem
	skipped                     []domain.RegisterSkip
}

func registerKey(serviceID, procedureID string) string { return serviceID + "/" + procedureID }

func newRegisterPlan(o *office, entries []domain.RegisterEntry) *registerPlan {
	p := &registerPlan{officeID: o.info.ID, work: map[string]domain.Service{}, isWritten: map[string]bool{}, groups: map[string]string{},
		lastOrder: map[string]int{}, byKey: map[string][]string{}, perService: map[string]int{},
		seen: map[string]int{}, prefixes: map[string]bool{}, groupLine: map[string]int{}}
	keys := map[string]bool{}
	for _, en := range entries {
		if k := registerKey(en.ServiceID, en.ProcedureID); !keys[k] {
			keys[k] = true
			p.perService[en.ServiceID]++
		}
	}
	for _, s := range o.serviceList() {
		p.put(s)
		if s.IsGroup {
			continue
		}
		p.prefixes[s.Prefix] = true
		if s.FRGU.ServiceID != "" {
			k := registerKey(s.FRGU.ServiceID, s.FRGU.ProcedureID)
			p.byKey[k] = append(p.byKey[k], s.ID)
		}
	}
	return p
}

func (p *registerPlan) skip(line int, format string, args ...any) {
	p.skipped = append(p.skipped, domain.RegisterSkip{Line: line, Message: fmt.Sprintf(format, args...)})
}

func (p *registerPlan) apply(en domain.RegisterEntry) {
	key := registerKey(en.ServiceID, en.ProcedureID)
	if first, dup := p.seen[key]; dup {
		p.skip(en.Line, "Услуга ФРГУ %s%s уже была в строке %d: строка пропущена.", en.ServiceID, procedureWords(en.ProcedureID), first)
		return
	}
	p.seen[key] = en.Line
	ids := p.byKey[key]
	if len(ids) == 0 && en.ProcedureID != "" {
		ids = p.byKey[registerKey(en.ServiceID, "")]
		if len(ids) > 0 && p.perService[en.ServiceID] > 1 {
			p.skip(en.Line, "У услуги ФРГУ %s в файле несколько процедур, а в каталоге офиса она одна и без процедуры («%s»): укажите ей идентификатор процедуры вручную.",
				en.ServiceID, p.work[ids[0]].Name)
			return
		}
	}
	switch {
	case len(ids) > 1:
		names := make([]string, len(ids))
		for i, id := range ids {
			names[i] = "«" + p.work[id].Name + "» (" + id + ")"
		}
		p.skip(en.Line, "В каталоге офиса несколько услуг с кодом ФРГУ %s%s: %s — оставьте код одной из них.", en.ServiceID, procedureWords(en.ProcedureID), strings.Join(names, ", "))
	case len(ids) == 1:
		if p.update(en, p.work[ids[0]]) {
			p.authorityGroup(en)
		}
	default:
		if p.create(en) {
			p.authorityGroup(en)
		}
	}
}

func procedureWords(procedureID string) string {
	if procedureID == "" {
		return ""
	}
	return " (процедура " + procedureID + ")"
}

// registerFields sets on s what the register owns; an empty value in the
// file never erases what the office has.
func registerFields(s domain.Service, en domain.RegisterEntry) domain.Service {
	s.Name = en.Name()
	s.FRGU.AuthorityID, s.FRGU.ServiceID = en.AuthorityID, en.ServiceID
	if en.ProcedureID != "" {
		s.FRGU.ProcedureID = en.ProcedureID
	}
	if en.PurposeID != "" {
		s.FRGU.PurposeID = en.PurposeID
	}
	if en.Purpose != "" {
		s.Purpose = en.Purpose
	}
	return s
}

// update sets the register's fields on a matched service; false when the
// entry was skipped.
func (p *registerPlan) update(en domain.RegisterEntry, old domain.Service) bool {
	s := registerFields(old, en)
	changes := serviceChanges(old, s)
	if len(changes) == 0 {
		p.unchanged = append(p.unchanged, domain.RegisterItem{Line: en.Line, ServiceID: s.ID, Name: s.Name})
		return true
	}
	if err := s.Validate(); err != nil {
		p.skip(en.Line, "%s.", domain.ErrorMessage(err))
		return false
	}
	p.write(s)
	p.updated = append(p.updated, domain.RegisterItem{Line: en.Line, ServiceID: s.ID, Name: s.Name, Changes: changes, Service: &s})
	return true
}

// create adds a service with the defaults of docs/frgu-import.md: in its
// authority's group, last in it, the first free prefix, the default norms,
// no slots, the office's hours, and disabled, as no window serves it yet.
// False when the entry was skipped.
func (p *registerPlan) create(en domain.RegisterEntry) bool {
	base := "frgu-" + en.ServiceID
	if en.ProcedureID != "" {
		base += "-" + en.ProcedureID
	}
	s := registerFields(domain.Service{ID: p.freeID(base), OfficeID: p.officeID, Prefix: p.freePrefix(), Disabled: true}, en)
	if s.Prefix == "" {
		p.skip(en.Line, "Для новой услуги «%s» не осталось свободной буквы талона (заняты все буквы и пары букв): освободите букву у другой услуги и повторите импорт.", s.Name)
		return false
	}
	if err := s.Validate(); err != nil {
		p.skip(en.Line, "%s.", domain.ErrorMessage(err))
		return false
	}
	s.ParentID = p.groupOf(en).ID
	s.Order = p.nextOrder(s.ParentID)
	p.prefixes[s.Prefix] = true
	p.byKey[registerKey(en.ServiceID, en.ProcedureID)] = []string{s.ID}
	p.write(s)
	p.created = append(p.created, domain.RegisterItem{Line: en.Line, ServiceID: s.ID, Name: s.Name, Service: &s})
	return true
}

// groupOf is the menu group of the entry's authority: the office's group
// with its ФРГУ authority id, or a new one at the end of the menu.
func (p *registerPlan) groupOf(en domain.RegisterEntry) domain.Service {
	if g, ok := p.findGroup(en.AuthorityID); ok {
		return g
	}
	g := domain.Service{ID: p.freeID("frgu-" + en.AuthorityID), OfficeID: p.officeID, IsGroup: true, Name: en.AuthorityName,
		Order: p.nextOrder(""), FRGU: domain.FRGU{AuthorityID: en.AuthorityID}}
	p.write(g)
	p.groupLine[en.AuthorityID] = en.Line
	gc := g
	p.created = append(p.created, domain.RegisterItem{Line: en.Line, ServiceID: g.ID, Name: g.Name, IsGroup: true, Service: &gc})
	return g
}

// authorityGroup renames the authority's group after the register, once
// per file: the group is the register's, like the services' names.
func (p *registerPlan) authorityGroup(en domain.RegisterEntry) {
	g, ok := p.findGroup(en.AuthorityID)
	if !ok || g.Name == en.AuthorityName {
		return
	}
	if _, done := p.groupLine[en.AuthorityID]; done {
		return
	}
	p.groupLine[en.AuthorityID] = en.Line
	old := g
	g.Name = en.AuthorityName
	p.write(g)
	p.updated = append(p.updated, domain.RegisterItem{Line: en.Line, ServiceID: g.ID, Name: g.Name, IsGroup: true, Changes: serviceChanges(old, g), Service: &g})
}

func (p *registerPlan) findGroup(authorityID string) (domain.Service, bool) {
	id, ok := p.groups[authorityID]
	return p.work[id], ok
}

// write puts s in the plan and keeps its indexes.
func (p *registerPlan) write(s domain.Service) {
	if !p.isWritten[s.ID] {
		p.isWritten[s.ID] = true
		p.written = append(p.written, s.ID)
	}
	p.put(s)
}

func (p *registerPlan) put(s domain.Service) {
	p.work[s.ID] = s
	if s.Order > p.lastOrder[s.ParentID] {
		p.lastOrder[s.ParentID] = s.Order
	}
	if a := s.FRGU.AuthorityID; s.IsGroup && a != "" {
		if id, ok := p.groups[a]; !ok || s.ID < id {
			p.groups[a] = s.ID
		}
	}
}

func (p *registerPlan) freeID(base string) string {
	id := base
	for n := 2; ; n++ {
		if _, taken := p.work[id]; !taken {
			return id
		}
		id = fmt.Sprintf("%s-%d", base, n)
	}
}

func (p *registerPlan) nextOrder(parentID string) int { return p.lastOrder[parentID] + 1 }

// prefixLetters are the letters new services take, in order: those a hall
// cannot mistake or mishear (no Ё, Й, Ъ, Ы, Ь).
var prefixLetters = func() []string {
	var out []string
	for _, r := range domain.PrefixAlphabet {
		if !strings.ContainsRune("ЁЙЪЫЬ", r) {
			out = append(out, string(r))
		}
	}
	return out
}()

// freePrefix is the first letter no service of the office uses, else the
// first free pair of letters.
func (p *registerPlan) freePrefix() string {
	for _, l := range prefixLetters {
		if !p.prefixes[l] {
			return l
		}
	}
	for _, a := range prefixLetters {
		for _, b := range prefixLetters {
			if !p.prefixes[a+b] {
				return a + b
			}
		}
	}
	return "" // every pair taken: create skips the entry
}

// serviceChanges lists the fields an import may set that differ between
// old and s.
func serviceChanges(old, s domain.Service) []domain.FieldChange {
	var out []domain.FieldChange
	for _, f := range []struct{ name, a, b string }{
		{"name", old.Name, s.Name},
		{"purpose", string(old.Purpose), string(s.Purpose)},
		{"frgu.authority_id", old.FRGU.AuthorityID, s.FRGU.AuthorityID},
		{"frgu.service_id", old.FRGU.ServiceID, s.FRGU.ServiceID},
		{"frgu.procedure_id", old.FRGU.ProcedureID, s.FRGU.ProcedureID},
		{"frgu.purpose_id", old.FRGU.PurposeID, s.FRGU.PurposeID},
	} {
		if f.a != f.b {
			out = append(out, domain.FieldChange{Field: f.name, Old: f.a, New: f.b})
		}
	}
	return out
}
