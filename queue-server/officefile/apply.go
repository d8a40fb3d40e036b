package officefile

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Backend is what reading and writing an office file needs of the queue:
// the configuration, and the logins with their password hashes, which
// only the server itself reads and writes (queue.Service, as the system).
type Backend interface {
	domain.Admin
	ListServices(ctx context.Context, officeID string) ([]domain.Service, error)
	ListWindows(ctx context.Context, officeID string) ([]domain.WindowState, error)
	ListQueue(ctx context.Context, officeID string, f domain.QueueFilter) ([]domain.Ticket, error)
	LookupAccount(login string) (domain.Account, bool)
	OfficeAccounts(ctx context.Context, officeID string) ([]domain.Account, error)
	PutAccountHash(ctx context.Context, a domain.Account) (domain.Account, error)
}

// Options change how a file is applied.
type Options struct {
	// OfficeID imports the file as another office, a clone of the one it
	// describes; empty: the file's own office.id.
	OfficeID string
	// InitialPassword is given to new logins the file gives neither a
	// password nor a hash; empty: such a login is a mistake.
	InitialPassword string
	// DryRun checks the file against the office and reports what would
	// change, writing nothing.
	DryRun bool
}

// Report says what applying a file changed, each line naming a record.
type Report struct {
	OfficeID string
	// DryRun: nothing was written, the report is what would change.
	DryRun                    bool
	Created, Updated, Deleted []string
	Unchanged                 int
	// Unpaired are the devices that hold no credential yet: each is paired
	// with a code made on the office page once the server runs.
	Unpaired []string
}

// now is the office as it is before the file is applied.
type now struct {
	exists        bool
	office        domain.Office
	services      map[string]domain.Service
	serviceOrder  []string
	windows       map[string]domain.WindowState
	operators     map[string]domain.Operator
	devices       map[string]domain.Device
	categories    map[string]domain.PriorityCategory
	announcements map[string]domain.Announcement
	accounts      map[string]domain.Account
	waiting       map[string]bool // services with tickets in the queue
}

// Apply makes the office what the file says, as the system: it checks the
// file against the office as it is and refuses it whole, writing nothing,
// when any record cannot be written; then it writes only the records that
// differ, so applying the same file twice changes nothing the second time.
// Records of the office the file does not hold are deleted, except logins,
// which are kept (disable one with disabled: true).
func Apply(ctx context.Context, b Backend, f *File, opts Options) (Report, error) {
	ctx = domain.WithActor(ctx, domain.System)
	officeID := opts.OfficeID
	if officeID == "" {
		officeID = f.Office.ID
	}
	p := &problems{f: f}
	r := f.records(officeID, p)
	if err := p.err(); err != nil {
		return Report{}, err
	}
	cur, err := read(ctx, b, officeID)
	if err != nil {
		return Report{}, err
	}
	cur.check(b, r, opts, p)
	if err := p.err(); err != nil {
		return Report{}, err
	}
	rep := Report{OfficeID: officeID, DryRun: opts.DryRun}
	w := writer{ctx: ctx, b: b, rep: &rep, dry: opts.DryRun}
	w.run(cur, r, cur.windowOrder(r.windows), opts)
	if w.err != nil {
		return rep, fmt.Errorf("офис %s записан не до конца (%s); исправьте причину и повторите импорт: он допишет остальное", officeID, w.err)
	}
	for _, d := range r.devices {
		if old, ok := cur.devices[d.v.ID]; !ok || !old.Paired() {
			rep.Unpaired = append(rep.Unpaired, d.v.ID)
		}
	}
	return rep, nil
}

func read(ctx context.Context, b Backend, officeID string) (now, error) {
	cur := now{services: map[string]domain.Service{}, windows: map[string]domain.WindowState{}, operators: map[string]domain.Operator{},
		devices: map[string]domain.Device{}, categories: map[string]domain.PriorityCategory{}, announcements: map[string]domain.Announcement{},
		accounts: map[string]domain.Account{}, waiting: map[string]bool{}}
	o, err := b.GetOffice(ctx, officeID)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return cur, nil
	}
	if err != nil {
		return cur, err
	}
	cur.exists, cur.office = true, o
	services, err := b.ListServices(ctx, officeID)
	if err != nil {
		return cur, err
	}
	for _, s := range services {
		cur.services[s.ID] = s
		cur.serviceOrder = append(cur.serviceOrder, s.ID)
	}
	if err := fill(ctx, officeID, b.ListWindows, cur.windows, func(w domain.WindowState) string { return w.Window.ID }); err != nil {
		return cur, err
	}
	if err := fill(ctx, officeID, b.ListOperators, cur.operators, func(o domain.Operator) string { return o.ID }); err != nil {
		return cur, err
	}
	if err := fill(ctx, officeID, b.ListDevices, cur.devices, func(d domain.Device) string { return d.ID }); err != nil {
		return cur, err
	}
	if err := fill(ctx, officeID, b.ListPriorityCategories, cur.categories, func(c domain.PriorityCategory) string { return c.ID }); err != nil {
		return cur, err
	}
	if err := fill(ctx, officeID, b.ListAnnouncements, cur.announcements, func(a domain.Announcement) string { return a.ID }); err != nil {
		return cur, err
	}
	if err := fill(ctx, officeID, b.OfficeAccounts, cur.accounts, func(a domain.Account) string { return a.Login }); err != nil {
		return cur, err
	}
	queue, err := b.ListQueue(ctx, officeID, domain.QueueFilter{})
	if err != nil {
		return cur, err
	}
	for _, t := range queue {
		cur.waiting[t.ServiceID] = true
	}
	return cur, nil
}

func fill[T any](ctx context.Context, officeID string, list func(context.Context, string) ([]T, error), into map[string]T, key func(T) string) error {
	items, err := list(ctx, officeID)
	if err != nil {
		return err
	}
	for _, it := range items {
		into[key(it)] = it
	}
	return nil
}

// check finds what the office as it is would refuse, so that nothing is
// written when something would be.
func (cur now) check(b Backend, r records, opts Options, p *problems) {
	for _, a := range r.accounts {
		old, ok := b.LookupAccount(a.v.Login)
		switch {
		case ok && old.OfficeID != r.office.v.ID:
			where := "администратор региона"
			if old.OfficeID != "" {
				where = "вход офиса " + old.OfficeID
			}
			p.at(a.path+".login", "вход %s уже есть на сервере (%s): имена входа общие для всех офисов, дайте этому другое", a.v.Login, where)
		case !ok && a.v.Password == "" && a.v.PasswordHash == "" && opts.InitialPassword == "":
			p.at(a.path, "вход %s новый: задайте ему password (начальный пароль) или password_hash", a.v.Login)
		}
	}
	for _, s := range r.services {
		if old, ok := cur.services[s.v.ID]; ok && old.IsGroup != s.v.IsGroup {
			p.at(s.path, "%s: в офисе это %s; группу нельзя превратить в услугу и наоборот, дайте новый идентификатор", s.v.ID, groupWord(old.IsGroup))
		}
	}
	inFile := idSet(r.windows, func(w domain.Window) string { return w.ID })
	for id, w := range cur.windows {
		if !inFile[id] && w.Session.Status != domain.WindowClosed {
			p.at("windows", "окна %s нет в файле, но в нём открыт сеанс оператора: закройте сеанс или оставьте окно в файле", id)
		}
	}
	inFile = idSet(r.operators, func(o domain.Operator) string { return o.ID })
	for _, w := range cur.windows {
		if op := w.Session.OperatorID; op != "" && w.Session.Status != domain.WindowClosed && !inFile[op] {
			p.at("operators", "оператора %s нет в файле, но он работает в окне %s: закройте сеанс или оставьте его в файле", op, w.Window.ID)
		}
	}
	inFile = idSet(r.services, func(s domain.Service) string { return s.ID })
	for id := range cur.services {
		if !inFile[id] && cur.waiting[id] {
			p.at("services", "услуги %s нет в файле, но на неё есть талоны в очереди: удалите её после их обслуживания", id)
		}
	}
}

// windowWrite is one write of a window: its record from the file, or, to
// break a swap, the record under a free number it holds until its own is
// free (temporary, not reported).
type windowWrite struct {
	placed[domain.Window]
	temporary bool
}

// windowOrder orders the windows' writes so that a window's new number is
// free when it is written: a window that takes the number another gives
// up goes after it. Windows that swap numbers (a cycle of them) are
// written one by one too: the first of the cycle moves to a number no
// window has, the rest take their numbers in turn, and it takes its own
// last.
func (cur now) windowOrder(windows []placed[domain.Window]) []windowWrite {
	inFile := idSet(windows, func(w domain.Window) string { return w.ID })
	holder := map[int]string{} // number -> the window holding it now
	number := map[string]int{} // window -> the number it holds now
	free := 1
	for id, w := range cur.windows {
		if inFile[id] {
			holder[w.Window.Number], number[id] = id, w.Window.Number
		}
		free = max(free, w.Window.Number+1)
	}
	for _, w := range windows {
		free = max(free, w.v.Number+1)
	}
	take := func(id string, n int) {
		if old, ok := number[id]; ok {
			delete(holder, old)
		}
		holder[n], number[id] = id, n
	}
	var order []windowWrite
	moved := map[string]bool{}
	pending := windows
	for len(pending) > 0 {
		var later []placed[domain.Window]
		for _, w := range pending {
			if h, ok := holder[w.v.Number]; ok && h != w.v.ID {
				later = append(later, w)
				continue
			}
			take(w.v.ID, w.v.Number)
			order = append(order, windowWrite{placed: w})
		}
		if len(later) == len(pending) {
			if moved[later[0].v.ID] {
				// Not a swap (the file's numbers are unique): the writes
				// go as they are and the office refuses the wrong one.
				for _, w := range later {
					order = append(order, windowWrite{placed: w})
				}
				return order
			}
			moved[later[0].v.ID] = true
			tmp := later[0]
			tmp.v.Number = free
			free++
			take(tmp.v.ID, tmp.v.Number)
			order = append(order, windowWrite{placed: tmp, temporary: true})
		}
		pending = later
	}
	return order
}

func groupWord(group bool) string {
	if group {
		return "группа"
	}
	return "услуга"
}

// idSet is the set of the records' ids.
func idSet[T any](list []placed[T], id func(T) string) map[string]bool {
	out := make(map[string]bool, len(list))
	for _, x := range list {
		out[id(x.v)] = true
	}
	return out
}

// writer writes records one by one, stopping at the first refusal; dry,
// it only reports.
type writer struct {
	ctx context.Context
	b   Backend
	rep *Report
	dry bool
	err error
}

// put writes a record when it is new or differs from the office's.
func put(w *writer, what, id string, exists, same bool, write func() error) {
	if w.err != nil {
		return
	}
	switch {
	case exists && same:
		w.rep.Unchanged++
		return
	case exists:
		w.rep.Updated = append(w.rep.Updated, what+" "+id)
	default:
		w.rep.Created = append(w.rep.Created, what+" "+id)
	}
	if w.dry {
		return
	}
	if err := write(); err != nil {
		w.err = fmt.Errorf("%s %s: %s", what, id, domain.ErrorMessage(err))
	}
}

func (w *writer) del(what, id string, remove func() error) {
	if w.err != nil {
		return
	}
	w.rep.Deleted = append(w.rep.Deleted, what+" "+id)
	if w.dry {
		return
	}
	if err := remove(); err != nil {
		w.err = fmt.Errorf("%s %s: %s", what, id, domain.ErrorMessage(err))
	}
}

// step writes an intermediate state of a record that a later write
// completes, reporting nothing of its own.
func (w *writer) step(what, id string, write func() error) {
	if w.err != nil || w.dry {
		return
	}
	if err := write(); err != nil {
		w.err = fmt.Errorf("%s %s: %s", what, id, domain.ErrorMessage(err))
	}
}

func (w *writer) run(cur now, r records, windows []windowWrite, opts Options) {
	ctx, b, oid := w.ctx, w.b, r.office.v.ID
	// What goes away goes first where something it holds would stand in
	// the way (a device's window, a window's number), last where it is
	// still referred to until the new records are written.
	keepDevices := idSet(r.devices, func(d domain.Device) string { return d.ID })
	for _, id := range sortedKeys(cur.devices) {
		if !keepDevices[id] {
			w.del("устройство", id, func() error { return b.DeleteDevice(ctx, oid, id) })
		}
	}
	keepAnn := idSet(r.announcements, func(a domain.Announcement) string { return a.ID })
	for _, id := range sortedKeys(cur.announcements) {
		if !keepAnn[id] {
			w.del("объявление", id, func() error { return b.DeleteAnnouncement(ctx, oid, id) })
		}
	}
	keepCat := idSet(r.categories, func(c domain.PriorityCategory) string { return c.ID })
	for _, id := range sortedKeys(cur.categories) {
		if !keepCat[id] {
			w.del("льготная категория", id, func() error { return b.DeletePriorityCategory(ctx, oid, id) })
		}
	}
	keepWin := idSet(r.windows, func(x domain.Window) string { return x.ID })
	for _, id := range sortedKeys(cur.windows) {
		if !keepWin[id] {
			w.del("окно", id, func() error { return b.DeleteWindow(ctx, oid, id) })
		}
	}

	o := r.office.v
	put(w, "офис", oid, cur.exists, reflect.DeepEqual(cur.office, o), func() error { _, err := b.PutOffice(ctx, o); return err })
	for _, s := range r.services {
		old, ok := cur.services[s.v.ID]
		put(w, groupWord(s.v.IsGroup), s.v.ID, ok, reflect.DeepEqual(old, s.v), func() error { _, err := b.PutService(ctx, s.v); return err })
	}
	for _, x := range windows {
		write := func() error { _, err := b.PutWindow(ctx, x.v); return err }
		if x.temporary {
			w.step("окно", x.v.ID, write)
			continue
		}
		old, ok := cur.windows[x.v.ID]
		ow := old.Window
		ow.ServiceIDs = nonNil(ow.ServiceIDs)
		put(w, "окно", x.v.ID, ok, reflect.DeepEqual(ow, x.v), write)
	}
	for _, x := range r.operators {
		old, ok := cur.operators[x.v.ID]
		if old.Skills == nil {
			old.Skills = []domain.Skill{}
		}
		put(w, "оператор", x.v.ID, ok, reflect.DeepEqual(old, x.v), func() error { _, err := b.PutOperator(ctx, x.v); return err })
	}
	for _, x := range r.categories {
		old, ok := cur.categories[x.v.ID]
		put(w, "льготная категория", x.v.ID, ok, old == x.v, func() error { _, err := b.PutPriorityCategory(ctx, x.v); return err })
	}
	for _, x := range r.announcements {
		old, ok := cur.announcements[x.v.ID]
		put(w, "объявление", x.v.ID, ok, sameAnnouncement(old, x.v), func() error { _, err := b.PutAnnouncement(ctx, x.v); return err })
	}
	for _, x := range r.devices {
		old, ok := cur.devices[x.v.ID]
		same := old.Kind == x.v.Kind && old.Name == x.v.Name && old.WindowID == x.v.WindowID
		put(w, "устройство", x.v.ID, ok, same, func() error { _, err := b.PutDevice(ctx, x.v); return err })
	}
	for _, x := range r.accounts {
		w.account(cur.accounts, x.v, oid, opts)
	}

	keepOp := idSet(r.operators, func(x domain.Operator) string { return x.ID })
	for _, id := range sortedKeys(cur.operators) {
		if !keepOp[id] {
			w.del("оператор", id, func() error { return b.DeleteOperator(ctx, oid, id) })
		}
	}
	keepSvc := idSet(r.services, func(s domain.Service) string { return s.ID })
	gone := []string{}
	for _, id := range cur.serviceOrder {
		if !keepSvc[id] {
			gone = append(gone, id)
		}
	}
	// A group goes after what it holds.
	depth := func(id string) int {
		n := 0
		for p := cur.services[id].ParentID; p != ""; p = cur.services[p].ParentID {
			n++
		}
		return n
	}
	sort.SliceStable(gone, func(i, j int) bool { return depth(gone[i]) > depth(gone[j]) })
	for _, id := range gone {
		w.del(groupWord(cur.services[id].IsGroup), id, func() error { return b.DeleteService(ctx, oid, id) })
	}
}

// account writes a login: a hash from the file replaces the password, an
// initial password is given only to a new login.
func (w *writer) account(cur map[string]domain.Account, a Account, officeID string, opts Options) {
	d := accountOf(a, officeID)
	old, ok := cur[a.Login]
	hash := d.PasswordHash
	if hash == "" {
		d.PasswordHash = old.PasswordHash
	}
	same := old.Role == d.Role && old.OperatorID == d.OperatorID && old.FullName == d.FullName && old.Disabled == d.Disabled && old.PasswordHash == d.PasswordHash
	put(w, "вход", a.Login, ok, same, func() error {
		if hash != "" {
			_, err := w.b.PutAccountHash(w.ctx, d)
			return err
		}
		in := domain.AccountInput{Account: d}
		in.PasswordHash = ""
		if !ok {
			in.Password = a.Password
			if in.Password == "" {
				in.Password = opts.InitialPassword
			}
		}
		_, err := w.b.PutAccount(w.ctx, in)
		return err
	})
}

func sameAnnouncement(a, b domain.Announcement) bool {
	sameTime := func(x, y *time.Time) bool { return x == nil && y == nil || x != nil && y != nil && x.Equal(*y) }
	if !sameTime(a.From, b.From) || !sameTime(a.Until, b.Until) {
		return false
	}
	a.From, a.Until, a.UpdatedAt, b.From, b.Until, b.UpdatedAt = nil, nil, time.Time{}, nil, nil, time.Time{}
	if len(a.Weekdays) == 0 && len(b.Weekdays) == 0 {
		a.Weekdays, b.Weekdays = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

func sortedKeys[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
