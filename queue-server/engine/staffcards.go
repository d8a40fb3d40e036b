package engine

import (
	"crypto/subtle"
	"errors"

	"github.com/talonqueue/talon/queue-server/domain"
)

// staffCardAccount returns the account whose card the actor would change:
// whoever may change the account with PutAccount may give or take its card.
func (e *Engine) staffCardAccount(a domain.Actor, login string) (*domain.Account, error) {
	acc := e.accounts[login]
	if acc == nil {
		if a.Login == "" {
			return nil, domain.Errorf(domain.CodeUnauthorized, "войдите в систему")
		}
		// Only administrators learn which logins do not exist.
		if err := authorize(a, a.OfficeID, permConfigure); err != nil {
			return nil, err
		}
		return nil, domain.Errorf(domain.CodeNotFound, "учётная запись %q не найдена", login)
	}
	if err := e.CheckPutAccount(a, *acc); err != nil {
		return nil, err
	}
	return acc, nil
}

// IssueStaffCard gives the account a card with the code hashed as
// cardHash; the caller makes the code and hashes it, so the engine (and so
// the changes it records) never holds the code. The old card stops working
// at once. Sessions go on: a worn-out card is replaced without logging its
// owner out; a lost one is revoked first.
func (e *Engine) IssueStaffCard(a domain.Actor, login, cardHash string, ch *domain.Changes) (domain.Account, error) {
	acc, err := e.staffCardAccount(a, login)
	if err != nil {
		return domain.Account{}, err
	}
	if len(cardHash) != 64 {
		return domain.Account{}, domain.Internal(errCardHash, "issue staff card")
	}
	acc.CardHash, acc.CardIssuedAt = cardHash, ptr(e.cfg.Now())
	return e.accountChanged(a, acc, ch), nil
}

var errCardHash = errors.New("a staff card is kept as its SHA-256 in hex")

// RevokeStaffCard takes the card away and ends every session of the
// account: whoever found a lost card may be logged in with it.
func (e *Engine) RevokeStaffCard(a domain.Actor, login string, ch *domain.Changes) (domain.Account, error) {
	acc, err := e.staffCardAccount(a, login)
	if err != nil {
		return domain.Account{}, err
	}
	if acc.CardHash == "" {
		return domain.Account{}, domain.Errorf(domain.CodeConflict, "у учётной записи %q нет карты сотрудника", login)
	}
	acc.CardHash, acc.CardIssuedAt = "", nil
	acc.Version++
	return e.accountChanged(a, acc, ch), nil
}

// accountChanged records a changed account and returns it without its hashes.
func (e *Engine) accountChanged(a domain.Actor, acc *domain.Account, ch *domain.Changes) domain.Account {
	ch.Accounts = append(ch.Accounts, *acc)
	if o := e.offices[acc.OfficeID]; o != nil {
		e.configEvent(o, a, ch, domain.KindAccount, acc.Login)
	}
	out := *acc
	out.PasswordHash, out.CardHash = "", ""
	return out
}

// AccountByCard finds the account whose card has the hash, for card logins
// done outside the writer. Every account is compared in constant time, so
// how long a refusal takes says nothing about the hashes kept.
func (e *Engine) AccountByCard(cardHash string) (domain.Account, bool) {
	var found *domain.Account
	for _, acc := range e.accounts {
		if acc.CardHash != "" && subtle.ConstantTimeCompare([]byte(acc.CardHash), []byte(cardHash)) == 1 {
			found = acc
		}
	}
	if found == nil {
		return domain.Account{}, false
	}
	return *found, true
}
