package engine

import (
	"strings"

	"github.com/talonqueue/talon/queue-server/domain"
)

// ListOffices returns the offices the actor may see.
func (e *Engine) ListOffices(a domain.Actor) ([]domain.Office, error) {
	if a.Login == "" {
		return nil, domain.Errorf(domain.CodeUnauthorized, "войдите в систему")
	}
	out := []domain.Office{}
	for _, o := range sortedValues(e.offices, func(x, y *office) bool { return x.info.ID < y.info.ID }) {
		if a.CanAccessOffice(o.info.ID) {
			out = append(out, o.info)
		}
	}
	return out, nil
}

// GetOffice returns one office.
func (e *Engine) GetOffice(a domain.Actor, officeID string) (domain.Office, error) {
	o, err := e.officeAs(a, officeID, permView)
	if err != nil {
		return domain.Office{}, err
	}
	return o.info, nil
}

// PutOffice creates an office (region-wide admins only) or changes one.
func (e *Engine) PutOffice(a domain.Actor, in domain.Office, ch *domain.Changes) (domain.Office, error) {
	if err := in.Validate(); err != nil {
		return domain.Office{}, err
	}
	if _, exists := e.offices[in.ID]; !exists && !a.RegionAdmin() {
		return domain.Office{}, domain.Errorf(domain.CodeForbidden, "создавать офисы может только администратор региона")
	}
	if err := authorize(a, in.ID, permConfigure); err != nil {
		return domain.Office{}, err
	}
	if _, err := in.Location(e.cfg.TZ); err != nil {
		return domain.Office{}, err
	}
	o, err := e.addOffice(in)
	if err != nil {
		return domain.Office{}, err
	}
	ch.Offices = append(ch.Offices, in)
	o.emit(ch, a, domain.Event{Type: domain.EventConfigChanged, At: e.cfg.Now(), Config: string(domain.KindOffice) + "/" + in.ID})
	return in, nil
}

// configure runs the common part of every office-scoped configuration change.
func (e *Engine) configure(a domain.Actor, officeID string) (*office, error) {
	return e.officeAs(a, officeID, permConfigure)
}

func (e *Engine) configEvent(o *office, a domain.Actor, ch *domain.Changes, kind domain.Kind, id string) {
	o.emit(ch, a, domain.Event{Type: domain.EventConfigChanged, At: e.cfg.Now(), Config: string(kind) + "/" + id})
}

// ListServices returns the kiosk menu of an office, groups and services.
func (e *Engine) ListServices(a domain.Actor, officeID string) ([]domain.Service, error) {
	o, err := e.officeAs(a, officeID, permView)
	if err != nil {
		return nil, err
	}
	return o.serviceList(), nil
}

func (o *office) serviceList() []domain.Service {
	return sortedValues(o.services, func(x, y *domain.Service) bool {
		if x.ParentID != y.ParentID {
			return x.ParentID < y.ParentID
		}
		if x.Order != y.Order {
			return x.Order < y.Order
		}
		return x.ID < y.ID
	})
}

// PutService creates or changes a service or a menu group.
func (e *Engine) PutService(a domain.Actor, s domain.Service, ch *domain.Changes) (domain.Service, error) {
	o, err := e.configure(a, s.OfficeID)
	if err != nil {
		return domain.Service{}, err
	}
	if err := s.Validate(); err != nil {
		return domain.Service{}, err
	}
	if s.ParentID != "" {
		p := o.services[s.ParentID]
		if p == nil || !p.IsGroup {
			return domain.Service{}, domain.Errorf(domain.CodeInvalid, "группа %q для услуги «%s» не найдена", s.ParentID, s.Name)
		}
		for id := p.ParentID; id != ""; id = o.services[id].ParentID {
			if id == s.ID || o.services[id] == nil {
				return domain.Service{}, domain.Errorf(domain.CodeInvalid, "группы услуг не могут входить друг в друга по кругу")
			}
		}
	}
	if old := o.services[s.ID]; old != nil && old.IsGroup != s.IsGroup {
		return domain.Service{}, domain.Errorf(domain.CodeConflict, "нельзя превратить группу в услугу или услугу в группу: создайте новую")
	}
	o.services[s.ID] = &s
	ch.Services = append(ch.Services, s)
	e.configEvent(o, a, ch, domain.KindService, s.ID)
	return s, nil
}

// DeleteService removes a service nobody waits for and no group contains.
func (e *Engine) DeleteService(a domain.Actor, officeID, id string, ch *domain.Changes) error {
	o, err := e.configure(a, officeID)
	if err != nil {
		return err
	}
	s := o.services[id]
	if s == nil {
		return domain.Errorf(domain.CodeNotFound, "услуга %q не найдена", id)
	}
	for _, c := range o.services {
		if c.ParentID == id {
			return domain.Errorf(domain.CodeConflict, "в группе «%s» есть услуги: сначала удалите или перенесите их", s.Name)
		}
	}
	for _, t := range o.live {
		if !t.Status.Terminal() && t.ServiceID == id {
			return domain.Errorf(domain.CodeConflict, "на услугу «%s» есть талоны в очереди: удалите её после их обслуживания", s.Name)
		}
	}
	delete(o.services, id)
	ch.Deletions = append(ch.Deletions, domain.Deletion{Kind: domain.KindService, OfficeID: officeID, ID: id})
	e.configEvent(o, a, ch, domain.KindService, id)
	return nil
}

// ListWindows returns every window with its session and current ticket.
func (e *Engine) ListWindows(a domain.Actor, officeID string) ([]domain.WindowState, error) {
	o, err := e.officeAs(a, officeID, permView)
	if err != nil {
		return nil, err
	}
	return windowsShown(a, o.windowStates()), nil
}

func (o *office) windowStates() []domain.WindowState {
	ws := sortedValues(o.windows, func(x, y *domain.Window) bool { return x.Number < y.Number || x.Number == y.Number && x.ID < y.ID })
	out := make([]domain.WindowState, len(ws))
	for i, w := range ws {
		out[i] = o.windowState(w.ID)
	}
	return out
}

func (o *office) windowState(id string) domain.WindowState {
	st := domain.WindowState{Window: *o.windows[id], Session: domain.WindowSession{OfficeID: o.info.ID, WindowID: id, Status: domain.WindowClosed}}
	if s := o.sessions[id]; s != nil {
		st.Session = *s
		if t := o.tickets.get(s.CurrentTicketID); t != nil {
			tc := *t
			st.Ticket = &tc
		}
	}
	if pd, ok := o.pads[id]; ok {
		st.Pad = &pd
	}
	return st
}

// PutWindow creates or changes a window.
func (e *Engine) PutWindow(a domain.Actor, w domain.Window, ch *domain.Changes) (domain.Window, error) {
	o, err := e.configure(a, w.OfficeID)
	if err != nil {
		return domain.Window{}, err
	}
	if err := w.Validate(); err != nil {
		return domain.Window{}, err
	}
	for _, other := range o.windows {
		if other.ID != w.ID && other.Number == w.Number {
			return domain.Window{}, domain.Errorf(domain.CodeConflict, "окно с номером %d уже есть", w.Number)
		}
	}
	if err := o.checkServices(w.ServiceIDs); err != nil {
		return domain.Window{}, err
	}
	o.windows[w.ID] = &w
	ch.Windows = append(ch.Windows, w)
	e.configEvent(o, a, ch, domain.KindWindow, w.ID)
	return w, nil
}

func (o *office) checkServices(ids []string) error {
	for _, id := range ids {
		s := o.services[id]
		if s == nil {
			return domain.Errorf(domain.CodeInvalid, "услуга %q не найдена", id)
		}
		if s.IsGroup {
			return domain.Errorf(domain.CodeInvalid, "«%s» — группа, а не услуга", s.Name)
		}
	}
	return nil
}

// DeleteWindow removes a window where nobody works.
func (e *Engine) DeleteWindow(a domain.Actor, officeID, id string, ch *domain.Changes) error {
	o, err := e.configure(a, officeID)
	if err != nil {
		return err
	}
	if o.windows[id] == nil {
		return domain.Errorf(domain.CodeNotFound, "окно %q не найдено", id)
	}
	if s := o.sessions[id]; s != nil && s.Status != domain.WindowClosed {
		return domain.Errorf(domain.CodeConflict, "в окне %d работает оператор: сначала закройте его сеанс", o.windows[id].Number)
	}
	delete(o.windows, id)
	delete(o.sessions, id)
	ch.Deletions = append(ch.Deletions, domain.Deletion{Kind: domain.KindWindow, OfficeID: officeID, ID: id})
	e.configEvent(o, a, ch, domain.KindWindow, id)
	return nil
}

// ListOperators returns the operators of an office.
func (e *Engine) ListOperators(a domain.Actor, officeID string) ([]domain.Operator, error) {
	o, err := e.officeAs(a, officeID, permOperators)
	if err != nil {
		return nil, err
	}
	return sortedValues(o.operators, func(x, y *domain.Operator) bool { return x.ID < y.ID }), nil
}

// PutOperator creates or changes an operator.
func (e *Engine) PutOperator(a domain.Actor, op domain.Operator, ch *domain.Changes) (domain.Operator, error) {
	o, err := e.configure(a, op.OfficeID)
	if err != nil {
		return domain.Operator{}, err
	}
	if err := op.Validate(); err != nil {
		return domain.Operator{}, err
	}
	for _, s := range op.Skills {
		if err := o.checkServices([]string{s.ServiceID}); err != nil {
			return domain.Operator{}, err
		}
	}
	if op.CaseSystemID != "" {
		for _, other := range o.operators {
			if other.ID != op.ID && other.CaseSystemID == op.CaseSystemID {
				return domain.Operator{}, domain.Errorf(domain.CodeConflict, "идентификатор %q в АИС МФЦ уже у оператора %s", op.CaseSystemID, other.FullName)
			}
		}
	}
	o.operators[op.ID] = &op
	ch.Operators = append(ch.Operators, op)
	e.configEvent(o, a, ch, domain.KindOperator, op.ID)
	return op, nil
}

// DeleteOperator removes an operator who is not at a window.
func (e *Engine) DeleteOperator(a domain.Actor, officeID, id string, ch *domain.Changes) error {
	o, err := e.configure(a, officeID)
	if err != nil {
		return err
	}
	if o.operators[id] == nil {
		return domain.Errorf(domain.CodeNotFound, "оператор %q не найден", id)
	}
	for _, s := range o.sessions {
		if s.OperatorID == id && s.Status != domain.WindowClosed {
			return domain.Errorf(domain.CodeConflict, "оператор работает в окне: сначала закройте его сеанс")
		}
	}
	delete(o.operators, id)
	ch.Deletions = append(ch.Deletions, domain.Deletion{Kind: domain.KindOperator, OfficeID: officeID, ID: id})
	e.configEvent(o, a, ch, domain.KindOperator, id)
	return nil
}

// ListDevices returns the terminals of an office.
func (e *Engine) ListDevices(a domain.Actor, officeID string) ([]domain.Device, error) {
	o, err := e.officeAs(a, officeID, permStaffView)
	if err != nil {
		return nil, err
	}
	ds := sortedValues(o.devices, func(x, y *domain.Device) bool { return x.ID < y.ID })
	for i := range ds {
		if st, ok := o.states[ds[i].ID]; ok {
			ds[i].State = &st
		}
	}
	return ds, nil
}

// PutDevice creates or changes a terminal.
func (e *Engine) PutDevice(a domain.Actor, d domain.Device, ch *domain.Changes) (domain.Device, error) {
	o, err := e.configure(a, d.OfficeID)
	if err != nil {
		return domain.Device{}, err
	}
	if err := d.Validate(); err != nil {
		return domain.Device{}, err
	}
	if d.WindowID != "" && o.windows[d.WindowID] == nil {
		return domain.Device{}, domain.Errorf(domain.CodeInvalid, "окно %q не найдено", d.WindowID)
	}
	d.PairingExpiresAt, d.PairedAt, d.RevokedAt, d.PairingCodeHash, d.CredentialHash, d.State = nil, nil, nil, "", "", nil
	if old := o.devices[d.ID]; old != nil {
		// Pairing is the server's business: a PUT changes the description only.
		d.PairingExpiresAt, d.PairedAt, d.RevokedAt = old.PairingExpiresAt, old.PairedAt, old.RevokedAt
		d.PairingCodeHash, d.CredentialHash = old.PairingCodeHash, old.CredentialHash
	}
	o.devices[d.ID] = &d
	ch.Devices = append(ch.Devices, d)
	e.configEvent(o, a, ch, domain.KindDevice, d.ID)
	return d, nil
}

// DeleteDevice removes a terminal; its account stops working.
func (e *Engine) DeleteDevice(a domain.Actor, officeID, id string, ch *domain.Changes) error {
	o, err := e.configure(a, officeID)
	if err != nil {
		return err
	}
	if o.devices[id] == nil {
		return domain.Errorf(domain.CodeNotFound, "устройство %q не найдено", id)
	}
	delete(o.devices, id)
	delete(o.states, id)
	ch.Deletions = append(ch.Deletions, domain.Deletion{Kind: domain.KindDevice, OfficeID: officeID, ID: id})
	e.configEvent(o, a, ch, domain.KindDevice, id)
	return nil
}

// ListPriorityCategories returns the out-of-turn categories, highest first.
func (e *Engine) ListPriorityCategories(a domain.Actor, officeID string) ([]domain.PriorityCategory, error) {
	o, err := e.officeAs(a, officeID, permCategories)
	if err != nil {
		return nil, err
	}
	return sortedValues(o.categories, func(x, y *domain.PriorityCategory) bool {
		return x.Level > y.Level || x.Level == y.Level && x.ID < y.ID
	}), nil
}

// PutPriorityCategory creates or changes a category.
func (e *Engine) PutPriorityCategory(a domain.Actor, c domain.PriorityCategory, ch *domain.Changes) (domain.PriorityCategory, error) {
	o, err := e.configure(a, c.OfficeID)
	if err != nil {
		return domain.PriorityCategory{}, err
	}
	if err := c.Validate(); err != nil {
		return domain.PriorityCategory{}, err
	}
	o.categories[c.ID] = &c
	ch.Categories = append(ch.Categories, c)
	e.configEvent(o, a, ch, domain.KindCategory, c.ID)
	return c, nil
}

// DeletePriorityCategory removes a category; issued tickets keep their level.
func (e *Engine) DeletePriorityCategory(a domain.Actor, officeID, id string, ch *domain.Changes) error {
	o, err := e.configure(a, officeID)
	if err != nil {
		return err
	}
	if o.categories[id] == nil {
		return domain.Errorf(domain.CodeNotFound, "льготная категория %q не найдена", id)
	}
	delete(o.categories, id)
	ch.Deletions = append(ch.Deletions, domain.Deletion{Kind: domain.KindCategory, OfficeID: officeID, ID: id})
	e.configEvent(o, a, ch, domain.KindCategory, id)
	return nil
}

// ListAccounts returns the logins of an office, without password hashes.
func (e *Engine) ListAccounts(a domain.Actor, officeID string) ([]domain.Account, error) {
	if err := authorize(a, officeID, permConfigure); err != nil {
		return nil, err
	}
	if _, err := e.office(officeID); err != nil {
		return nil, err
	}
	out := []domain.Account{}
	for _, acc := range sortedValues(e.accounts, func(x, y *domain.Account) bool { return x.Login < y.Login }) {
		if acc.OfficeID == officeID {
			acc.PasswordHash, acc.CardHash = "", ""
			out = append(out, acc)
		}
	}
	return out, nil
}

// CheckPutAccount decides whether the actor may write the account as given,
// before anything is hashed or changed: a login belongs to its office for
// life unless a region administrator moves it, only a region administrator
// touches region administrators, and an office administrator acts only on
// logins of their own office, both as they are now and as they would become.
func (e *Engine) CheckPutAccount(a domain.Actor, in domain.Account) error {
	if err := in.Validate(); err != nil {
		return err
	}
	if in.Login == domain.System.Login {
		return domain.Errorf(domain.CodeInvalid, "имя входа %q зарезервировано за самим сервером", in.Login)
	}
	if a.Login == "" {
		return domain.Errorf(domain.CodeUnauthorized, "войдите в систему")
	}
	old := e.accounts[in.Login]
	regionWide := in.OfficeID == "" || old != nil && old.OfficeID == ""
	if regionWide && !a.RegionAdmin() {
		return domain.Errorf(domain.CodeForbidden, "учётные записи администраторов региона создаёт и меняет только администратор региона")
	}
	if old != nil && old.OfficeID != in.OfficeID && !a.RegionAdmin() {
		return domain.Errorf(domain.CodeForbidden, "учётная запись %q принадлежит другому офису: перенести её может только администратор региона", in.Login)
	}
	for _, officeID := range []string{in.OfficeID, e.officeOf(old)} {
		if officeID == "" {
			continue
		}
		if err := authorize(a, officeID, permConfigure); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) officeOf(acc *domain.Account) string {
	if acc == nil {
		return ""
	}
	return acc.OfficeID
}

// PutAccount creates or changes a login. in.PasswordHash is the new hash, or
// empty to keep the old password; the caller hashes outside the engine,
// after CheckPutAccount.
func (e *Engine) PutAccount(a domain.Actor, in domain.Account, ch *domain.Changes) (domain.Account, error) {
	if err := e.CheckPutAccount(a, in); err != nil {
		return domain.Account{}, err
	}
	var o *office
	if in.OfficeID != "" {
		var err error
		if o, err = e.office(in.OfficeID); err != nil {
			return domain.Account{}, err
		}
		if in.OperatorID != "" && o.operators[in.OperatorID] == nil {
			return domain.Account{}, domain.Errorf(domain.CodeInvalid, "оператор %q не найден", in.OperatorID)
		}
	}
	old := e.accounts[in.Login]
	// The card is given and taken by its own actions, never by a PUT.
	in.CardHash, in.CardIssuedAt = "", nil
	if old != nil {
		in.CardHash, in.CardIssuedAt = old.CardHash, old.CardIssuedAt
	}
	switch {
	case old == nil && in.PasswordHash == "":
		return domain.Account{}, domain.Errorf(domain.CodeInvalid, "задайте пароль для новой учётной записи %q", in.Login)
	case old == nil:
		in.Version = 1
	default:
		in.Version = old.Version
		if in.PasswordHash == "" {
			in.PasswordHash = old.PasswordHash
		}
		if in.PasswordHash != old.PasswordHash || in.Disabled != old.Disabled || in.Role != old.Role || in.OfficeID != old.OfficeID {
			in.Version++
		}
	}
	in.FullName = strings.TrimSpace(in.FullName)
	e.accounts[in.Login] = &in
	ch.Accounts = append(ch.Accounts, in)
	if o != nil {
		e.configEvent(o, a, ch, domain.KindAccount, in.Login)
	}
	out := in
	out.PasswordHash, out.CardHash = "", ""
	return out, nil
}
