package engine

import "github.com/talonqueue/talon/queue-server/domain"

// OfficeAccounts returns the office's logins with their password hashes,
// for the office file an engineer exports from a stopped server; the
// staff cards' hashes stay out, a card is issued to a person, not copied.
func (e *Engine) OfficeAccounts(officeID string) []domain.Account {
	out := []domain.Account{}
	if officeID == "" {
		return out
	}
	for _, acc := range sortedValues(e.accounts, func(x, y *domain.Account) bool { return x.Login < y.Login }) {
		if acc.OfficeID == officeID {
			acc.CardHash, acc.CardIssuedAt = "", nil
			out = append(out, acc)
		}
	}
	return out
}
