package engine

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The applicant rates the service given at a window on that window's
// rating terminal, within the office's rating time after the finish, once
// per ticket, with the values of the current stored МКГУ form.

// currentForm is the form terminals show now.
func (e *Engine) currentForm() (domain.RatingForm, bool) {
	for _, f := range e.forms {
		if f.Current {
			return f, true
		}
	}
	return domain.RatingForm{}, false
}

// formOf finds a stored form by id and version, for the names of an
// older form's indicators in a summary.
func (e *Engine) formOf(id, version string) (domain.RatingForm, bool) {
	for _, f := range e.forms {
		if f.ID == id && f.Version == version {
			return f, true
		}
	}
	return domain.RatingForm{}, false
}

// CurrentRatingForm is the МКГУ form in use.
func (e *Engine) CurrentRatingForm(a domain.Actor, officeID string) (domain.RatingForm, error) {
	if _, err := e.officeAs(a, officeID, permRatingForm); err != nil {
		return domain.RatingForm{}, err
	}
	f, ok := e.currentForm()
	if !ok {
		return domain.RatingForm{}, domain.Errorf(domain.CodeUnavailable, "форма оценки МКГУ не загружена: обратитесь к администратору")
	}
	return f, nil
}

// finishes are the ticket's finishes at a window, each a service given. A
// finish that returns the ticket to its origin names the service it goes
// back to, so the service given is taken, as servedSpans does, from the
// call or start before it.
func finishes(t *domain.Ticket) []domain.Step {
	var out []domain.Step
	service := ""
	for _, st := range t.History {
		switch st.Action {
		case domain.ActionCall, domain.ActionStart:
			service = st.ServiceID
		case domain.ActionFinish:
			if st.WindowID != "" {
				if service != "" {
					st.ServiceID = service
				}
				out = append(out, st)
			}
		}
	}
	return out
}

// lastFinish is the ticket's latest finish at a window: the service whose
// rating is asked for.
func lastFinish(t *domain.Ticket) (domain.Step, bool) {
	fs := finishes(t)
	if len(fs) == 0 {
		return domain.Step{}, false
	}
	return fs[len(fs)-1], true
}

// requestRating follows a finish: the window's rating terminal hears it
// from the stream. Without a stored form or for a rated ticket there is
// nothing to ask.
func (e *Engine) requestRating(a domain.Actor, o *office, t *domain.Ticket, now time.Time, ch *domain.Changes) {
	f, ok := e.currentForm()
	if !ok || o.isRated(t.ID) || t.WindowID == "" {
		return
	}
	st, ok := lastFinish(t)
	if !ok {
		return
	}
	req := o.ratingRequest(t, st, f)
	req.Form = domain.RatingForm{} // named by FormID and FormVersion
	o.emit(ch, a, domain.Event{Type: domain.EventRatingRequested, At: now, WindowID: st.WindowID, TicketID: t.ID, ServiceID: st.ServiceID, RatingRequest: &req})
}

func (o *office) ratingRequest(t *domain.Ticket, st domain.Step, f domain.RatingForm) domain.RatingRequest {
	return domain.RatingRequest{OfficeID: o.info.ID, WindowID: st.WindowID, TicketID: t.ID, TicketNumber: t.Number,
		ServiceName: o.serviceName(st.ServiceID), FinishedAt: st.At, ExpiresAt: st.At.Add(o.info.RatingWindow()), FormID: f.ID, FormVersion: f.Version, Form: f}
}

// windowNumber names a window as people know it.
func (o *office) windowNumber(id string) int {
	if w := o.windows[id]; w != nil {
		return w.Number
	}
	return 0
}

// terminalWindow is the window a rating terminal belongs to; people have
// none and may act for any window.
func (o *office) terminalWindow(a domain.Actor) (string, error) {
	if a.Role != domain.RoleDevice {
		return "", nil
	}
	w := a.WindowID
	if d := o.devices[a.DeviceID]; d != nil {
		w = d.WindowID
	}
	if w == "" {
		return "", domain.Errorf(domain.CodeForbidden, "терминал оценки не привязан к окну: администратор указывает окно в настройках устройства")
	}
	return w, nil
}

// rateable checks that t can be rated now, at window (empty: any), and
// returns the finish being rated.
func (o *office) rateable(t *domain.Ticket, window string, now time.Time) (domain.Step, error) {
	st, ok := lastFinish(t)
	if !ok {
		return st, domain.Errorf(domain.CodeConflict, "талон %s ещё не обслужен", t.Number)
	}
	if window != "" && st.WindowID != window {
		return st, domain.Errorf(domain.CodeForbidden, "этот терминал оценивает только окно %d", o.windowNumber(window))
	}
	if o.isRated(t.ID) {
		return st, domain.Errorf(domain.CodeConflict, "талон %s уже оценён", t.Number)
	}
	if now.After(st.At.Add(o.info.RatingWindow())) {
		return st, domain.Errorf(domain.CodeConflict, "время для оценки талона %s истекло", t.Number)
	}
	return st, nil
}

// ticketRef finds a ticket by its id or by its status token, which the
// printed QR carries when the office has a public address.
func (o *office) ticketRef(ref string) *domain.Ticket {
	if t := o.tickets.get(ref); t != nil {
		return t
	}
	return o.tickets.byStatusToken(ref)
}

// RatedTicketID is the id of the ticket a rating names by id or status
// token, "" when there is none.
func (e *Engine) RatedTicketID(officeID, ref string) string {
	if o := e.offices[officeID]; o != nil {
		if t := o.ticketRef(ref); t != nil {
			return t.ID
		}
	}
	return ""
}

// SubmitRating stores a rating of a ticket's latest service at a window.
func (e *Engine) SubmitRating(a domain.Actor, officeID string, r domain.NewRating, ch *domain.Changes) (domain.Rating, error) {
	o, err := e.officeAs(a, officeID, permRate)
	if err != nil {
		return domain.Rating{}, err
	}
	window, err := o.terminalWindow(a)
	if err != nil {
		return domain.Rating{}, err
	}
	if err := r.Validate(); err != nil {
		return domain.Rating{}, err
	}
	t := o.ticketRef(r.TicketID)
	if t == nil {
		return domain.Rating{}, domain.Errorf(domain.CodeNotFound, "талон не найден среди талонов последних дней")
	}
	now := e.cfg.Now()
	st, err := o.rateable(t, window, now)
	if err != nil {
		return domain.Rating{}, err
	}
	f, ok := e.currentForm()
	if !ok {
		return domain.Rating{}, domain.Errorf(domain.CodeUnavailable, "форма оценки МКГУ не загружена: обратитесь к администратору")
	}
	if (r.FormID != "" || r.FormVersion != "") && (r.FormID != f.ID || r.FormVersion != f.Version) {
		return domain.Rating{}, domain.Errorf(domain.CodeConflict, "форма оценки %s %s устарела: терминал должен загрузить действующую (%s %s)", r.FormID, r.FormVersion, f.ID, f.Version)
	}
	answers, err := f.Score(r.Answers)
	if err != nil {
		return domain.Rating{}, err
	}
	phone := ""
	if r.Phone != "" {
		phone, _ = domain.NormalizePhone(r.Phone) // Validate checked it
	}
	rt := domain.Rating{
		ID: e.cfg.NewID(), OfficeID: o.info.ID, WindowID: st.WindowID, OperatorID: st.OperatorID, ServiceID: st.ServiceID,
		TicketID: t.ID, TicketNumber: t.Number, FormID: f.ID, FormVersion: f.Version, Answers: answers,
		PhoneMasked: domain.MaskPhone(phone), ServedAt: st.At, RatedAt: now,
	}
	if s := o.services[st.ServiceID]; s != nil {
		rt.Purpose = s.Purpose
	}
	rec := &domain.RatingRecord{Rating: rt, Phone: phone, Day: t.Day}
	o.rate(rec)
	ch.Ratings = append(ch.Ratings, *rec)
	shown := rt
	o.emit(ch, a, domain.Event{Type: domain.EventTicketRated, At: now, WindowID: rt.WindowID, OperatorID: rt.OperatorID, TicketID: t.ID, ServiceID: rt.ServiceID, Rating: &shown})
	return rt, nil
}

// PendingRating is what a terminal that starts or reconnects should ask:
// the given ticket if it is rateable at the terminal's window, or the
// latest rateable ticket finished at the window.
func (e *Engine) PendingRating(a domain.Actor, officeID string, q domain.PendingQuery) (domain.RatingRequest, error) {
	o, err := e.officeAs(a, officeID, permRatingForm)
	if err != nil {
		return domain.RatingRequest{}, err
	}
	window, err := o.terminalWindow(a)
	if err != nil {
		return domain.RatingRequest{}, err
	}
	if window != "" && q.WindowID != "" && q.WindowID != window {
		return domain.RatingRequest{}, domain.Errorf(domain.CodeForbidden, "этот терминал оценивает только окно %d", o.windowNumber(window))
	}
	if window == "" {
		window = q.WindowID
	}
	if window == "" && q.TicketID == "" {
		return domain.RatingRequest{}, domain.Errorf(domain.CodeInvalid, "укажите окно (window) или талон (ticket)")
	}
	if window != "" && o.windows[window] == nil {
		return domain.RatingRequest{}, domain.Errorf(domain.CodeNotFound, "окно %q не найдено", window)
	}
	f, ok := e.currentForm()
	if !ok {
		return domain.RatingRequest{}, domain.Errorf(domain.CodeUnavailable, "форма оценки МКГУ не загружена: обратитесь к администратору")
	}
	now := e.cfg.Now()
	if q.TicketID != "" {
		t := o.ticketRef(q.TicketID)
		if t == nil {
			return domain.RatingRequest{}, domain.Errorf(domain.CodeNotFound, "талон не найден среди талонов последних дней")
		}
		st, err := o.rateable(t, window, now)
		if err != nil {
			return domain.RatingRequest{}, err
		}
		return o.ratingRequest(t, st, f), nil
	}
	var best *domain.Ticket
	var bestAt domain.Step
	for t := range o.tickets.all() {
		if st, err := o.rateable(t, window, now); err == nil && (best == nil || st.At.After(bestAt.At)) {
			best, bestAt = t, st
		}
	}
	if best == nil {
		return domain.RatingRequest{}, domain.Errorf(domain.CodeEmpty, "в окне %d нет талона для оценки", o.windowNumber(window))
	}
	return o.ratingRequest(best, bestAt, f), nil
}

// PurgeRatingPhones removes the phones left with ratings given before
// before, and returns how many. The МКГУ survey has had its time; the
// rating itself stays.
func (e *Engine) PurgeRatingPhones(before time.Time, ch *domain.Changes) int {
	due := e.phonesDue(before)
	for _, r := range due {
		e.offices[r.Rating.OfficeID].dropPhone(r, ch)
	}
	return len(due)
}

// PurgeRatingPhone removes the phone left with one rating, once the МКГУ
// survey has it, and reports whether there was one to remove.
func (e *Engine) PurgeRatingPhone(officeID, ratingID string, ch *domain.Changes) bool {
	r := e.ratingByID(officeID, ratingID)
	if r == nil || r.Phone == "" {
		return false
	}
	e.offices[officeID].dropPhone(r, ch)
	return true
}

// rate remembers a rating: that its ticket is rated, and the whole record
// while it holds a phone. The id is copied: a ticket read from its packed
// record shares one string with the whole record.
func (o *office) rate(r *domain.RatingRecord) {
	o.rated[strings.Clone(r.Rating.TicketID)] = o.names.list[o.names.of(r.Day)]
	if r.Phone != "" {
		o.ratings[r.Rating.TicketID] = r
	}
}

func (o *office) isRated(ticketID string) bool {
	_, ok := o.rated[ticketID]
	return ok
}

// dropPhone writes the rating without its phone; memory then keeps only
// that its ticket is rated.
func (o *office) dropPhone(r *domain.RatingRecord, ch *domain.Changes) {
	r.Phone = ""
	ch.Ratings = append(ch.Ratings, *r)
	delete(o.ratings, r.Rating.TicketID)
}

// HasRatingPhone reports whether a rating still keeps its phone.
func (e *Engine) HasRatingPhone(officeID, ratingID string) bool {
	r := e.ratingByID(officeID, ratingID)
	return r != nil && r.Phone != ""
}

// ratingByID finds a rating that still keeps a phone: memory holds every
// one of those, and of the others only that they were given.
func (e *Engine) ratingByID(officeID, ratingID string) *domain.RatingRecord {
	o := e.offices[officeID]
	if o == nil {
		return nil
	}
	for _, r := range o.ratings {
		if r.Rating.ID == ratingID {
			return r
		}
	}
	return nil
}

// RatingPhonesDue counts the phones PurgeRatingPhones would remove, so
// that an hour with none leaves no journal record.
func (e *Engine) RatingPhonesDue(before time.Time) int { return len(e.phonesDue(before)) }

func (e *Engine) phonesDue(before time.Time) []*domain.RatingRecord {
	var out []*domain.RatingRecord
	for _, o := range e.offices {
		for _, r := range o.ratings {
			if r.Phone != "" && r.Rating.RatedAt.Before(before) {
				out = append(out, r)
			}
		}
	}
	return out
}

// RatingPeriod authorizes a summary and returns the office-local days its
// period spans, for reading the store. An open period starts at the
// beginning of today and ends now.
func (e *Engine) RatingPeriod(a domain.Actor, officeID string, q *domain.RatingQuery) (fromDay, toDay string, err error) {
	o, err := e.officeAs(a, officeID, permRatingSummary)
	if err != nil {
		return "", "", err
	}
	now := e.cfg.Now()
	if q.To.IsZero() {
		q.To = now
	}
	if q.From.IsZero() {
		y, m, d := q.To.Add(-time.Nanosecond).In(o.loc).Date()
		q.From = time.Date(y, m, d, 0, 0, 0, 0, o.loc)
	}
	if !q.From.Before(q.To) {
		return "", "", domain.Errorf(domain.CodeInvalid, "начало периода (from) должно быть раньше его конца (to)")
	}
	if q.GroupBy != "" && !slices.Contains(domain.RatingGroupings, q.GroupBy) {
		return "", "", domain.Errorf(domain.CodeInvalid, "группировка %q неизвестна: service, operator, window или day", q.GroupBy)
	}
	return o.day(q.From), o.day(q.To.Add(-time.Nanosecond)), nil
}

// SummarizeRatings sums ratings and the services finished in q's period.
// tickets and ratings are those of the period's days (RatingPeriod); each
// finish at a window in the period counts as one service served.
func (e *Engine) SummarizeRatings(officeID string, q domain.RatingQuery, ratings []domain.RatingRecord, tickets []domain.Ticket) domain.RatingSummary {
	loc := time.UTC
	if o := e.offices[officeID]; o != nil {
		loc = o.loc
	}
	in := func(at time.Time, service, operator, window string) bool {
		return !at.Before(q.From) && at.Before(q.To) &&
			(q.ServiceID == "" || q.ServiceID == service) && (q.OperatorID == "" || q.OperatorID == operator) &&
			(q.WindowID == "" || q.WindowID == window)
	}
	key := func(at time.Time, service, operator, window string) string {
		switch q.GroupBy {
		case "service":
			return service
		case "operator":
			return operator
		case "window":
			return window
		case "day":
			return at.In(loc).Format(time.DateOnly)
		}
		return ""
	}
	total := newTally("")
	groups := map[string]*tally{}
	group := func(k string) *tally {
		if groups[k] == nil {
			groups[k] = newTally(k)
		}
		return groups[k]
	}
	for i := range tickets {
		for _, st := range finishes(&tickets[i]) {
			if in(st.At, st.ServiceID, st.OperatorID, st.WindowID) {
				total.Served++
				if q.GroupBy != "" {
					group(key(st.At, st.ServiceID, st.OperatorID, st.WindowID)).Served++
				}
			}
		}
	}
	for _, rec := range ratings {
		r := rec.Rating
		if !in(r.ServedAt, r.ServiceID, r.OperatorID, r.WindowID) {
			continue
		}
		total.add(r)
		if q.GroupBy != "" {
			group(key(r.ServedAt, r.ServiceID, r.OperatorID, r.WindowID)).add(r)
		}
	}
	names := e.indicatorNames(ratings)
	out := domain.RatingSummary{Query: q, Total: total.result(names)}
	for _, g := range groups {
		out.Groups = append(out.Groups, g.result(names))
	}
	sort.Slice(out.Groups, func(i, j int) bool {
		a, b := out.Groups[i], out.Groups[j]
		if a.Served != b.Served {
			return a.Served > b.Served
		}
		return a.Key < b.Key
	})
	return out
}

// indicatorNames lists the indicators of the current form, in its order,
// then those of older forms the ratings were given on.
func (e *Engine) indicatorNames(ratings []domain.RatingRecord) []domain.RatingIndicator {
	var out []domain.RatingIndicator
	seen := map[string]bool{}
	addForm := func(f domain.RatingForm) {
		for _, in := range f.Indicators {
			if !seen[in.ID] {
				seen[in.ID] = true
				out = append(out, domain.RatingIndicator{ID: in.ID, Name: in.Name})
			}
		}
	}
	if f, ok := e.currentForm(); ok {
		addForm(f)
	}
	for _, r := range ratings {
		for _, an := range r.Rating.Answers {
			if seen[an.IndicatorID] {
				continue
			}
			if f, ok := e.formOf(r.Rating.FormID, r.Rating.FormVersion); ok {
				addForm(f)
			}
			if !seen[an.IndicatorID] {
				seen[an.IndicatorID] = true
				out = append(out, domain.RatingIndicator{ID: an.IndicatorID})
			}
		}
	}
	return out
}

// tally accumulates one group of a summary.
type tally struct {
	domain.RatingTally
	scores map[string]*domain.IndicatorTally
	sums   map[string]int
}

func newTally(key string) *tally {
	return &tally{RatingTally: domain.RatingTally{Key: key}, scores: map[string]*domain.IndicatorTally{}, sums: map[string]int{}}
}

func (t *tally) add(r domain.Rating) {
	t.Rated++
	for _, an := range r.Answers {
		if an.Score < 1 || an.Score > 5 {
			continue
		}
		it := t.scores[an.IndicatorID]
		if it == nil {
			it = &domain.IndicatorTally{IndicatorID: an.IndicatorID}
			t.scores[an.IndicatorID] = it
		}
		it.Answers++
		it.Distribution[an.Score-1]++
		t.sums[an.IndicatorID] += an.Score
	}
}

// result finishes the tally: every known indicator appears, answered or not.
func (t *tally) result(names []domain.RatingIndicator) domain.RatingTally {
	out := t.RatingTally
	if out.Served > 0 {
		out.ResponseRate = float64(out.Rated) / float64(out.Served)
	}
	out.Indicators = []domain.IndicatorTally{}
	for _, n := range names {
		it := domain.IndicatorTally{IndicatorID: n.ID, Name: n.Name}
		if got := t.scores[n.ID]; got != nil {
			it = *got
			it.Name = n.Name
			it.Average = float64(t.sums[n.ID]) / float64(it.Answers)
		}
		out.Indicators = append(out.Indicators, it)
	}
	return out
}
