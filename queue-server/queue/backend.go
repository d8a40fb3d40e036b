package queue

import (
	"context"
	"crypto/subtle"
	"slices"
	"sort"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
)

// The domain.Backend methods: each takes the actor from ctx and runs the
// engine method as a read or as a write.

func actor(ctx context.Context) domain.Actor {
	a, _ := domain.ActorFrom(ctx)
	return a
}

func (s *Service) ListServices(ctx context.Context, officeID string) ([]domain.Service, error) {
	return read(s, func(e *engine.Engine) ([]domain.Service, error) { return e.ListServices(actor(ctx), officeID) })
}

func (s *Service) IssueTicket(ctx context.Context, officeID string, req domain.IssueRequest) (domain.Ticket, error) {
	return write(ctx, s, &entry{action: "issueTicket", officeID: officeID, object: "service/" + req.ServiceID}, func(e *engine.Engine, ch *domain.Changes) (domain.Ticket, error) {
		return e.IssueTicket(actor(ctx), officeID, req, ch)
	})
}

// GetTicket finds today's tickets in memory and older ones in the store.
func (s *Service) GetTicket(ctx context.Context, officeID, ticketID string) (domain.Ticket, error) {
	t, err := read(s, func(e *engine.Engine) (domain.Ticket, error) { return e.GetTicket(actor(ctx), officeID, ticketID) })
	if domain.ErrorCode(err) != domain.CodeNotFound {
		return t, err
	}
	if _, oerr := s.GetOffice(ctx, officeID); oerr != nil {
		return domain.Ticket{}, oerr
	}
	return s.store.Ticket(ctx, officeID, ticketID)
}

func (s *Service) CancelTicket(ctx context.Context, officeID, ticketID string) (domain.Ticket, error) {
	return write(ctx, s, &entry{action: "cancelTicket", officeID: officeID, ticketID: ticketID}, func(e *engine.Engine, ch *domain.Changes) (domain.Ticket, error) {
		return idempotent(ctx, e, officeID, "cancelTicket ticket/"+ticketID, ch, func() (domain.Ticket, error) {
			return e.CancelTicket(actor(ctx), officeID, ticketID, ch)
		})
	})
}

func (s *Service) CheckInAppointment(ctx context.Context, officeID, code string) (domain.Ticket, error) {
	return write(ctx, s, &entry{action: "checkInAppointment", officeID: officeID}, func(e *engine.Engine, ch *domain.Changes) (domain.Ticket, error) {
		return e.CheckInAppointment(actor(ctx), officeID, code, ch)
	})
}

func (s *Service) CallNext(ctx context.Context, officeID, windowID string, finishCurrent bool) (domain.Ticket, error) {
	if err := s.emptyCall(ctx, officeID, windowID, domain.PoolAll); err != nil {
		return domain.Ticket{}, err
	}
	return write(ctx, s, &entry{action: "callNext", officeID: officeID, object: "window/" + windowID}, func(e *engine.Engine, ch *domain.Changes) (domain.Ticket, error) {
		return idempotent(ctx, e, officeID, "callNext window/"+windowID, ch, func() (domain.Ticket, error) {
			return e.CallNext(actor(ctx), officeID, windowID, finishCurrent, ch)
		})
	})
}

// emptyCall answers a call-next that would find nobody and change nothing
// (engine.EmptyCall), or returns nil to send the call to the writer. An idle
// window's operator presses "next" again and again; each such call waited
// behind the writer's queue and fsync for an answer the state already holds.
// It reads under applying alone, so it may see a batch whose commit is still
// on its way to the disk: the answer is then the one the writer gives right
// after that commit, and if the commit fails, an empty answer given too
// early changed nothing and acknowledged nothing.
func (s *Service) emptyCall(ctx context.Context, officeID, windowID string, pool domain.Pool) error {
	s.applying.RLock()
	defer s.applying.RUnlock()
	if s.broken != nil {
		return nil
	}
	return s.eng.EmptyCall(actor(ctx), officeID, windowID, pool, domain.IdempotencyKeyFrom(ctx))
}

// CallTicket without a ticket is a call-next, from req.Pool, and is
// journaled and keyed as one.
func (s *Service) CallTicket(ctx context.Context, officeID, windowID string, req domain.CallRequest) (domain.Ticket, error) {
	action, request := "callTicket", "callTicket window/"+windowID+" "+req.Ticket
	if req.Ticket == "" {
		action, request = "callNext", "callNext window/"+windowID
		if req.Pool != domain.PoolAll {
			request += " pool/" + string(req.Pool)
		}
		if err := s.emptyCall(ctx, officeID, windowID, req.Pool); err != nil {
			return domain.Ticket{}, err
		}
	}
	return write(ctx, s, &entry{action: action, officeID: officeID, object: "window/" + windowID}, func(e *engine.Engine, ch *domain.Changes) (domain.Ticket, error) {
		return idempotent(ctx, e, officeID, request, ch, func() (domain.Ticket, error) {
			return e.CallTicket(actor(ctx), officeID, windowID, req, ch)
		})
	})
}

func (s *Service) RecallTicket(ctx context.Context, officeID, ticketID string) (domain.Ticket, error) {
	return write(ctx, s, &entry{action: "recallTicket", officeID: officeID, ticketID: ticketID}, func(e *engine.Engine, ch *domain.Changes) (domain.Ticket, error) {
		return idempotent(ctx, e, officeID, "recallTicket ticket/"+ticketID, ch, func() (domain.Ticket, error) {
			return e.RecallTicket(actor(ctx), officeID, ticketID, ch)
		})
	})
}

func (s *Service) StartService(ctx context.Context, officeID, ticketID string) (domain.Ticket, error) {
	return write(ctx, s, &entry{action: "startService", officeID: officeID, ticketID: ticketID}, func(e *engine.Engine, ch *domain.Changes) (domain.Ticket, error) {
		return idempotent(ctx, e, officeID, "startService ticket/"+ticketID, ch, func() (domain.Ticket, error) {
			return e.StartService(actor(ctx), officeID, ticketID, ch)
		})
	})
}

func (s *Service) FinishTicket(ctx context.Context, officeID, ticketID string) (domain.Ticket, error) {
	return write(ctx, s, &entry{action: "finishTicket", officeID: officeID, ticketID: ticketID}, func(e *engine.Engine, ch *domain.Changes) (domain.Ticket, error) {
		return idempotent(ctx, e, officeID, "finishTicket ticket/"+ticketID, ch, func() (domain.Ticket, error) {
			return e.FinishTicket(actor(ctx), officeID, ticketID, ch)
		})
	})
}

func (s *Service) PostponeTicket(ctx context.Context, officeID, ticketID string, d time.Duration) (domain.Ticket, error) {
	return write(ctx, s, &entry{action: "postponeTicket", officeID: officeID, ticketID: ticketID}, func(e *engine.Engine, ch *domain.Changes) (domain.Ticket, error) {
		return idempotent(ctx, e, officeID, "postponeTicket ticket/"+ticketID, ch, func() (domain.Ticket, error) {
			return e.PostponeTicket(actor(ctx), officeID, ticketID, d, ch)
		})
	})
}

func (s *Service) RedirectTicket(ctx context.Context, officeID, ticketID string, r domain.Redirect) (domain.Ticket, error) {
	return write(ctx, s, &entry{action: "redirectTicket", officeID: officeID, ticketID: ticketID}, func(e *engine.Engine, ch *domain.Changes) (domain.Ticket, error) {
		return idempotent(ctx, e, officeID, "redirectTicket ticket/"+ticketID, ch, func() (domain.Ticket, error) {
			return e.RedirectTicket(actor(ctx), officeID, ticketID, r, ch)
		})
	})
}

func (s *Service) AttachCaseNumber(ctx context.Context, officeID, ticketID, caseNumber string) (domain.Ticket, error) {
	return write(ctx, s, &entry{action: "attachCaseNumber", officeID: officeID, ticketID: ticketID, object: "case/" + caseNumber}, func(e *engine.Engine, ch *domain.Changes) (domain.Ticket, error) {
		return e.AttachCaseNumber(actor(ctx), officeID, ticketID, caseNumber, ch)
	})
}

func (s *Service) MarkNoShow(ctx context.Context, officeID, ticketID string) (domain.Ticket, error) {
	return write(ctx, s, &entry{action: "markNoShow", officeID: officeID, ticketID: ticketID}, func(e *engine.Engine, ch *domain.Changes) (domain.Ticket, error) {
		return idempotent(ctx, e, officeID, "markNoShow ticket/"+ticketID, ch, func() (domain.Ticket, error) {
			return e.MarkNoShow(actor(ctx), officeID, ticketID, ch)
		})
	})
}

// idempotent runs a ticket action under the request key the client sent, if
// any (domain.WithIdempotencyKey), so that a retry returns the first result.
func idempotent(ctx context.Context, e *engine.Engine, officeID, request string, ch *domain.Changes, act func() (domain.Ticket, error)) (domain.Ticket, error) {
	return e.Idempotent(actor(ctx), officeID, domain.IdempotencyKeyFrom(ctx), request, ch, act)
}

func (s *Service) ListQueue(ctx context.Context, officeID string, f domain.QueueFilter) ([]domain.Ticket, error) {
	return read(s, func(e *engine.Engine) ([]domain.Ticket, error) { return e.ListQueue(actor(ctx), officeID, f) })
}

func (s *Service) GetWindowTicket(ctx context.Context, officeID, windowID string) (domain.Ticket, error) {
	return read(s, func(e *engine.Engine) (domain.Ticket, error) {
		return e.GetWindowTicket(actor(ctx), officeID, windowID)
	})
}

// FindTickets takes the recent days from memory, as they are now, and the
// older ones from the store's case-number index.
func (s *Service) FindTickets(ctx context.Context, officeID string, q domain.TicketQuery) ([]domain.Ticket, error) {
	recent, err := read(s, func(e *engine.Engine) ([]domain.Ticket, error) { return e.FindTickets(actor(ctx), officeID, &q) })
	if err != nil {
		return nil, err
	}
	stored, err := s.store.TicketsByCase(ctx, officeID, q.CaseNumber)
	if err != nil {
		return nil, err
	}
	out := recent
	for _, t := range stored {
		if !slices.ContainsFunc(recent, func(r domain.Ticket) bool { return r.ID == t.ID }) {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

func (s *Service) ListOperatorCounts(ctx context.Context, officeID string, f domain.OperatorRef) ([]domain.OperatorCounts, error) {
	return read(s, func(e *engine.Engine) ([]domain.OperatorCounts, error) {
		return e.ListOperatorCounts(actor(ctx), officeID, f)
	})
}

func (s *Service) GetLiveLoad(ctx context.Context, officeID string) (domain.LiveLoad, error) {
	return read(s, func(e *engine.Engine) (domain.LiveLoad, error) { return e.GetLiveLoad(actor(ctx), officeID) })
}

func (s *Service) GetSnapshot(ctx context.Context, officeID string) (domain.OfficeSnapshot, error) {
	return read(s, func(e *engine.Engine) (domain.OfficeSnapshot, error) { return e.GetSnapshot(actor(ctx), officeID) })
}

// GetTicketStatus reads memory only: the public page must stay cheap.
func (s *Service) GetTicketStatus(ctx context.Context, token string) (domain.TicketStatus, error) {
	return read(s, func(e *engine.Engine) (domain.TicketStatus, error) { return e.GetTicketStatus(token) })
}

func (s *Service) ListWindows(ctx context.Context, officeID string) ([]domain.WindowState, error) {
	return read(s, func(e *engine.Engine) ([]domain.WindowState, error) { return e.ListWindows(actor(ctx), officeID) })
}

func (s *Service) OpenWindowSession(ctx context.Context, officeID, windowID string) (domain.WindowState, error) {
	return write(ctx, s, &entry{action: "openWindowSession", officeID: officeID, object: "window/" + windowID}, func(e *engine.Engine, ch *domain.Changes) (domain.WindowState, error) {
		return e.OpenWindowSession(actor(ctx), officeID, windowID, ch)
	})
}

func (s *Service) CloseWindowSession(ctx context.Context, officeID, windowID string) (domain.WindowState, error) {
	return write(ctx, s, &entry{action: "closeWindowSession", officeID: officeID, object: "window/" + windowID}, func(e *engine.Engine, ch *domain.Changes) (domain.WindowState, error) {
		return e.CloseWindowSession(actor(ctx), officeID, windowID, ch)
	})
}

func (s *Service) PauseWindow(ctx context.Context, officeID, windowID string, paused bool, reason string) (domain.WindowState, error) {
	return write(ctx, s, &entry{action: "pauseWindow", officeID: officeID, object: "window/" + windowID}, func(e *engine.Engine, ch *domain.Changes) (domain.WindowState, error) {
		return e.PauseWindow(actor(ctx), officeID, windowID, paused, reason, ch)
	})
}

func (s *Service) CreateAppointment(ctx context.Context, officeID string, a domain.NewAppointment) (domain.Appointment, error) {
	return write(ctx, s, &entry{action: "createAppointment", officeID: officeID}, func(e *engine.Engine, ch *domain.Changes) (domain.Appointment, error) {
		return e.CreateAppointment(actor(ctx), officeID, a, ch)
	})
}

func (s *Service) CancelAppointment(ctx context.Context, officeID, appointmentID string) (domain.Appointment, error) {
	return write(ctx, s, &entry{action: "cancelAppointment", officeID: officeID, object: "appointment/" + appointmentID}, func(e *engine.Engine, ch *domain.Changes) (domain.Appointment, error) {
		return e.CancelAppointment(actor(ctx), officeID, appointmentID, ch)
	})
}

func (s *Service) GetAppointment(ctx context.Context, officeID, appointmentID string) (domain.Appointment, error) {
	return read(s, func(e *engine.Engine) (domain.Appointment, error) {
		return e.GetAppointment(actor(ctx), officeID, appointmentID)
	})
}

func (s *Service) ListAppointmentSlots(ctx context.Context, officeID, serviceID, day string) ([]domain.Slot, error) {
	return read(s, func(e *engine.Engine) ([]domain.Slot, error) {
		return e.ListAppointmentSlots(actor(ctx), officeID, serviceID, day)
	})
}

func (s *Service) ListOffices(ctx context.Context) ([]domain.Office, error) {
	return read(s, func(e *engine.Engine) ([]domain.Office, error) { return e.ListOffices(actor(ctx)) })
}

func (s *Service) GetOffice(ctx context.Context, officeID string) (domain.Office, error) {
	return read(s, func(e *engine.Engine) (domain.Office, error) { return e.GetOffice(actor(ctx), officeID) })
}

func (s *Service) GetOfficeHours(ctx context.Context, officeID string) (domain.OfficeHours, error) {
	return read(s, func(e *engine.Engine) (domain.OfficeHours, error) { return e.GetOfficeHours(actor(ctx), officeID) })
}

func (s *Service) PutOffice(ctx context.Context, o domain.Office) (domain.Office, error) {
	// A new office is region-wide administration; a change of one is the office's.
	en := &entry{action: "putOffice", officeID: o.ID, object: "office/" + o.ID}
	return write(ctx, s, en, func(e *engine.Engine, ch *domain.Changes) (domain.Office, error) {
		_, err := e.GetOffice(domain.System, o.ID)
		en.region = err != nil
		return e.PutOffice(actor(ctx), o, ch)
	})
}

func (s *Service) PutService(ctx context.Context, sv domain.Service) (domain.Service, error) {
	return write(ctx, s, &entry{action: "putService", officeID: sv.OfficeID, object: "service/" + sv.ID}, func(e *engine.Engine, ch *domain.Changes) (domain.Service, error) {
		return e.PutService(actor(ctx), sv, ch)
	})
}

func (s *Service) DeleteService(ctx context.Context, officeID, serviceID string) error {
	_, err := write(ctx, s, &entry{action: "deleteService", officeID: officeID, object: "service/" + serviceID}, func(e *engine.Engine, ch *domain.Changes) (struct{}, error) {
		return struct{}{}, e.DeleteService(actor(ctx), officeID, serviceID, ch)
	})
	return err
}

func (s *Service) PutWindow(ctx context.Context, w domain.Window) (domain.Window, error) {
	return write(ctx, s, &entry{action: "putWindow", officeID: w.OfficeID, object: "window/" + w.ID}, func(e *engine.Engine, ch *domain.Changes) (domain.Window, error) {
		return e.PutWindow(actor(ctx), w, ch)
	})
}

func (s *Service) DeleteWindow(ctx context.Context, officeID, windowID string) error {
	_, err := write(ctx, s, &entry{action: "deleteWindow", officeID: officeID, object: "window/" + windowID}, func(e *engine.Engine, ch *domain.Changes) (struct{}, error) {
		return struct{}{}, e.DeleteWindow(actor(ctx), officeID, windowID, ch)
	})
	return err
}

func (s *Service) ListOperators(ctx context.Context, officeID string) ([]domain.Operator, error) {
	return read(s, func(e *engine.Engine) ([]domain.Operator, error) { return e.ListOperators(actor(ctx), officeID) })
}

func (s *Service) PutOperator(ctx context.Context, o domain.Operator) (domain.Operator, error) {
	return write(ctx, s, &entry{action: "putOperator", officeID: o.OfficeID, object: "operator/" + o.ID}, func(e *engine.Engine, ch *domain.Changes) (domain.Operator, error) {
		return e.PutOperator(actor(ctx), o, ch)
	})
}

func (s *Service) DeleteOperator(ctx context.Context, officeID, operatorID string) error {
	_, err := write(ctx, s, &entry{action: "deleteOperator", officeID: officeID, object: "operator/" + operatorID}, func(e *engine.Engine, ch *domain.Changes) (struct{}, error) {
		return struct{}{}, e.DeleteOperator(actor(ctx), officeID, operatorID, ch)
	})
	return err
}

func (s *Service) ListDevices(ctx context.Context, officeID string) ([]domain.Device, error) {
	return read(s, func(e *engine.Engine) ([]domain.Device, error) { return e.ListDevices(actor(ctx), officeID) })
}

func (s *Service) PutDevice(ctx context.Context, d domain.Device) (domain.Device, error) {
	return write(ctx, s, &entry{action: "putDevice", officeID: d.OfficeID, object: "device/" + d.ID}, func(e *engine.Engine, ch *domain.Changes) (domain.Device, error) {
		return e.PutDevice(actor(ctx), d, ch)
	})
}

func (s *Service) DeleteDevice(ctx context.Context, officeID, deviceID string) error {
	_, err := write(ctx, s, &entry{action: "deleteDevice", officeID: officeID, object: "device/" + deviceID}, func(e *engine.Engine, ch *domain.Changes) (struct{}, error) {
		return struct{}{}, e.DeleteDevice(actor(ctx), officeID, deviceID, ch)
	})
	return err
}

func (s *Service) ListPriorityCategories(ctx context.Context, officeID string) ([]domain.PriorityCategory, error) {
	return read(s, func(e *engine.Engine) ([]domain.PriorityCategory, error) {
		return e.ListPriorityCategories(actor(ctx), officeID)
	})
}

func (s *Service) PutPriorityCategory(ctx context.Context, c domain.PriorityCategory) (domain.PriorityCategory, error) {
	return write(ctx, s, &entry{action: "putPriorityCategory", officeID: c.OfficeID, object: "category/" + c.ID}, func(e *engine.Engine, ch *domain.Changes) (domain.PriorityCategory, error) {
		return e.PutPriorityCategory(actor(ctx), c, ch)
	})
}

func (s *Service) DeletePriorityCategory(ctx context.Context, officeID, categoryID string) error {
	_, err := write(ctx, s, &entry{action: "deletePriorityCategory", officeID: officeID, object: "category/" + categoryID}, func(e *engine.Engine, ch *domain.Changes) (struct{}, error) {
		return struct{}{}, e.DeletePriorityCategory(actor(ctx), officeID, categoryID, ch)
	})
	return err
}

func (s *Service) ListAnnouncements(ctx context.Context, officeID string) ([]domain.Announcement, error) {
	return read(s, func(e *engine.Engine) ([]domain.Announcement, error) {
		return e.ListAnnouncements(actor(ctx), officeID)
	})
}

func (s *Service) PutAnnouncement(ctx context.Context, a domain.Announcement) (domain.Announcement, error) {
	return write(ctx, s, &entry{action: "putAnnouncement", officeID: a.OfficeID, object: "announcement/" + a.ID}, func(e *engine.Engine, ch *domain.Changes) (domain.Announcement, error) {
		return e.PutAnnouncement(actor(ctx), a, ch)
	})
}

func (s *Service) DeleteAnnouncement(ctx context.Context, officeID, announcementID string) error {
	_, err := write(ctx, s, &entry{action: "deleteAnnouncement", officeID: officeID, object: "announcement/" + announcementID}, func(e *engine.Engine, ch *domain.Changes) (struct{}, error) {
		return struct{}{}, e.DeleteAnnouncement(actor(ctx), officeID, announcementID, ch)
	})
	return err
}

func (s *Service) ListAccounts(ctx context.Context, officeID string) ([]domain.Account, error) {
	return read(s, func(e *engine.Engine) ([]domain.Account, error) { return e.ListAccounts(actor(ctx), officeID) })
}

// PutAccount hashes a new password before the writer sees it: bcrypt takes
// tens of milliseconds, which must not hold up the queue. Whether the caller
// may change the account is decided first, so a refused request costs no hash.
func (s *Service) PutAccount(ctx context.Context, in domain.AccountInput) (domain.Account, error) {
	acc := in.Account
	acc.PasswordHash = ""
	if _, err := read(s, func(e *engine.Engine) (struct{}, error) { return struct{}{}, e.CheckPutAccount(actor(ctx), acc) }); err != nil {
		return domain.Account{}, err
	}
	if in.Password != "" {
		if n := len(in.Password); n < 4 || n > 72 {
			return domain.Account{}, domain.Errorf(domain.CodeInvalid, "пароль должен быть от 4 до 72 символов")
		}
		h, err := bcrypt.GenerateFromPassword([]byte(in.Password), s.cost())
		if err != nil {
			return domain.Account{}, domain.Internal(err, "hash password")
		}
		acc.PasswordHash = string(h)
	}
	return write(ctx, s, &entry{action: "putAccount", officeID: acc.OfficeID, object: "account/" + acc.Login}, func(e *engine.Engine, ch *domain.Changes) (domain.Account, error) {
		return e.PutAccount(actor(ctx), acc, ch)
	})
}

// IssueStaffCard makes the card's code here, so that neither the engine
// nor what it commits and journals ever holds more than its hash.
func (s *Service) IssueStaffCard(ctx context.Context, login string) (domain.StaffCard, error) {
	code := newStaffCard()
	en := &entry{action: "issueStaffCard", object: "account/" + login}
	acc, err := write(ctx, s, en, func(e *engine.Engine, ch *domain.Changes) (domain.Account, error) {
		en.officeID = accountOffice(e, login)
		return e.IssueStaffCard(actor(ctx), login, domain.HashSecret(code), ch)
	})
	if err != nil {
		return domain.StaffCard{}, err
	}
	return domain.StaffCard{Login: acc.Login, Card: code, IssuedAt: *acc.CardIssuedAt}, nil
}

// accountOffice is the office whose journal a change of the login goes to.
func accountOffice(e *engine.Engine, login string) string {
	acc, _ := e.Account(login)
	return acc.OfficeID
}

func (s *Service) RevokeStaffCard(ctx context.Context, login string) (domain.Account, error) {
	en := &entry{action: "revokeStaffCard", object: "account/" + login}
	return write(ctx, s, en, func(e *engine.Engine, ch *domain.Changes) (domain.Account, error) {
		en.officeID = accountOffice(e, login)
		return e.RevokeStaffCard(actor(ctx), login, ch)
	})
}

func (s *Service) cost() int {
	if s.opts.BcryptCost > 0 {
		return s.opts.BcryptCost
	}
	return bcrypt.DefaultCost
}

// decoyHash is compared against when the login does not exist. It has the
// cost real passwords are hashed with, so that an unknown login takes as long
// to refuse as a wrong password and timing does not tell which logins exist.
func (s *Service) decoyHash() []byte {
	s.decoyOnce.Do(func() {
		s.decoy, _ = bcrypt.GenerateFromPassword([]byte("no such login"), s.cost())
	})
	return s.decoy
}

// Login checks a password outside the writer lock.
func (s *Service) Login(ctx context.Context, login, password string) (domain.Actor, error) {
	type found struct {
		acc domain.Account
		act domain.Actor
		ok  bool
	}
	f, err := read(s, func(e *engine.Engine) (found, error) {
		acc, ok := e.Account(login)
		return found{acc, e.ActorFor(acc), ok}, nil
	})
	if err != nil {
		return domain.Actor{}, err
	}
	hash := []byte(f.acc.PasswordHash)
	if !f.ok {
		hash = s.decoyHash()
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !f.ok {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "неверный логин или пароль")
	}
	if f.acc.Disabled {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "учётная запись %q отключена", login)
	}
	if f.acc.Role == domain.RoleDevice {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "устройства больше не входят по паролю: зарегистрируйте устройство и привяжите его кодом")
	}
	return f.act, nil
}

// errUnknownCard is the one answer for every card that opens nothing,
// malformed or unknown, so a refusal tells a guesser nothing.
var errUnknownCard = domain.Errorf(domain.CodeUnauthorized, "карта сотрудника не распознана")

// LoginCard finds the account by the hash of its card's code: a SHA-256
// of 128 random bits needs no slow hash, and the lookup compares every
// account's hash in constant time.
func (s *Service) LoginCard(ctx context.Context, card string) (domain.Actor, error) {
	code, err := domain.ParseStaffCard(card)
	if err != nil {
		return domain.Actor{}, errUnknownCard
	}
	type found struct {
		acc domain.Account
		act domain.Actor
		ok  bool
	}
	f, err := read(s, func(e *engine.Engine) (found, error) {
		acc, ok := e.AccountByCard(domain.HashSecret(code))
		return found{acc, e.ActorFor(acc), ok}, nil
	})
	switch {
	case err != nil:
		return domain.Actor{}, err
	case !f.ok:
		return domain.Actor{}, errUnknownCard
	case f.acc.Disabled:
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "учётная запись %q отключена", f.acc.Login)
	case f.acc.Role == domain.RoleDevice:
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "устройства не входят по карте: зарегистрируйте устройство и привяжите его кодом")
	}
	return f.act, nil
}

// CheckActor runs on every request, so it reads the access table instead of
// the engine. Tokens are people's: a device presents its credential
// (CheckDevice), and tokens of the retired device accounts find no one.
func (s *Service) CheckActor(ctx context.Context, a domain.Actor) (domain.Actor, error) {
	t := s.access.Load()
	if a.Role == domain.RoleIntegration {
		cur, ok := t.integrations[a.IntegrationID]
		if !ok || cur.Actor.Version != a.Version {
			return domain.Actor{}, errIntegrationKey
		}
		return cur.Actor, nil
	}
	cur, ok := t.people[a.Login]
	if !ok || cur.Version != a.Version {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "сеанс больше не действителен, войдите снова")
	}
	if t.ended[a.SessionID] {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "вы вышли из системы: войдите снова")
	}
	cur.SessionID, cur.SessionStarted = a.SessionID, a.SessionStarted
	return cur, nil
}

var errRevoked = domain.Errorf(domain.CodeUnauthorized, "устройство отключено от сервера: привяжите его заново кодом от администратора")

// CheckDevice checks a device credential against the hash of its secret.
func (s *Service) CheckDevice(ctx context.Context, credential string) (domain.Actor, error) {
	officeID, deviceID, secret, ok := domain.ParseDeviceCredential(credential)
	if !ok {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "ключ устройства повреждён: привяжите устройство заново")
	}
	d, ok := s.access.Load().devices[engine.DeviceKey(officeID, deviceID)]
	if !ok || subtle.ConstantTimeCompare([]byte(d.Hash), []byte(domain.HashSecret(secret))) != 1 {
		return domain.Actor{}, errRevoked
	}
	return d.Actor, nil
}

// EndSession remembers the logout for as long as the session could last.
func (s *Service) EndSession(ctx context.Context) error {
	a := actor(ctx)
	en := &entry{action: "logout", officeID: a.OfficeID, object: "account/" + a.Login}
	_, err := write(ctx, s, en, func(e *engine.Engine, ch *domain.Changes) (struct{}, error) {
		return struct{}{}, e.EndSession(a, a.SessionStarted.Add(s.opts.SessionMax), ch)
	})
	return err
}

// PairDevice exchanges a pairing code for a device credential. Which device
// (and so which office's journal) is known once the engine found the code.
func (s *Service) PairDevice(ctx context.Context, code string) (domain.DevicePairing, error) {
	en := &entry{action: "pairDevice", region: true}
	return write(ctx, s, en, func(e *engine.Engine, ch *domain.Changes) (domain.DevicePairing, error) {
		p, err := e.PairDevice(code, ch)
		if err == nil {
			en.officeID, en.object, en.region = p.Device.OfficeID, "device/"+p.Device.ID, false
			en.as = &domain.Actor{Login: domain.DeviceLogin(p.Device.OfficeID, p.Device.ID), Role: domain.RoleDevice, DeviceID: p.Device.ID}
		}
		return p, err
	})
}

func (s *Service) CreatePairingCode(ctx context.Context, officeID, deviceID string) (domain.PairingCode, error) {
	return write(ctx, s, &entry{action: "createPairingCode", officeID: officeID, object: "device/" + deviceID}, func(e *engine.Engine, ch *domain.Changes) (domain.PairingCode, error) {
		return e.CreatePairingCode(actor(ctx), officeID, deviceID, ch)
	})
}

func (s *Service) RevokeDevice(ctx context.Context, officeID, deviceID string) (domain.Device, error) {
	return write(ctx, s, &entry{action: "revokeDevice", officeID: officeID, object: "device/" + deviceID}, func(e *engine.Engine, ch *domain.Changes) (domain.Device, error) {
		return e.RevokeDevice(actor(ctx), officeID, deviceID, ch)
	})
}

func (s *Service) ReportPadState(ctx context.Context, officeID, windowID string, st domain.PadState) (domain.PadState, error) {
	return write(ctx, s, &entry{action: "reportPadState", officeID: officeID, object: "window/" + windowID}, func(e *engine.Engine, ch *domain.Changes) (domain.PadState, error) {
		return e.ReportPadState(actor(ctx), officeID, windowID, st, ch)
	})
}

func (s *Service) ReportDeviceState(ctx context.Context, officeID, deviceID string, st domain.DeviceState) (domain.DeviceState, error) {
	return write(ctx, s, &entry{action: "reportDeviceState", officeID: officeID, object: "device/" + deviceID}, func(e *engine.Engine, ch *domain.Changes) (domain.DeviceState, error) {
		return e.ReportDeviceState(actor(ctx), officeID, deviceID, st, ch)
	})
}

// HasAccounts reports whether any login exists, so a fresh server can say how
// to create the first administrator.
func (s *Service) HasAccounts() bool {
	v, _ := read(s, func(e *engine.Engine) (bool, error) { return e.HasAccounts(), nil })
	return v
}
