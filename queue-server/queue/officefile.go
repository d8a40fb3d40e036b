package queue

import (
	"context"

	"golang.org/x/crypto/bcrypt"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
)

// The operations only the command line runs, as the system, on a stopped
// server's data: the office file's accounts carry password hashes, which
// the API never reads or writes.

// LookupAccount returns the account with the login, hash included.
func (s *Service) LookupAccount(login string) (domain.Account, bool) {
	type found struct {
		acc domain.Account
		ok  bool
	}
	f, _ := read(s, func(e *engine.Engine) (found, error) {
		acc, ok := e.Account(login)
		return found{acc, ok}, nil
	})
	return f.acc, f.ok
}

// OfficeAccounts returns the office's logins with their password hashes.
func (s *Service) OfficeAccounts(ctx context.Context, officeID string) ([]domain.Account, error) {
	if a := actor(ctx); a.Login != domain.System.Login {
		return nil, domain.Errorf(domain.CodeForbidden, "хэши паролей читает только сам сервер")
	}
	return read(s, func(e *engine.Engine) ([]domain.Account, error) {
		if _, err := e.GetOffice(domain.System, officeID); err != nil {
			return nil, err
		}
		return e.OfficeAccounts(officeID), nil
	})
}

// PutAccountHash writes an account whose password is given as its bcrypt
// hash, as an office file carries it from one server to another.
func (s *Service) PutAccountHash(ctx context.Context, acc domain.Account) (domain.Account, error) {
	if a := actor(ctx); a.Login != domain.System.Login {
		return domain.Account{}, domain.Errorf(domain.CodeForbidden, "хэш пароля задаёт только сам сервер")
	}
	if _, err := bcrypt.Cost([]byte(acc.PasswordHash)); err != nil {
		return domain.Account{}, domain.Errorf(domain.CodeInvalid, "хэш пароля учётной записи %q не похож на bcrypt", acc.Login)
	}
	return write(ctx, s, &entry{action: "putAccount", officeID: acc.OfficeID, object: "account/" + acc.Login}, func(e *engine.Engine, ch *domain.Changes) (domain.Account, error) {
		return e.PutAccount(domain.System, acc, ch)
	})
}
