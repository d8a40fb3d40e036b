// Package demo seeds a realistic МФЦ office for demonstrations and tests:
// a kiosk menu of common services, six windows with operators of different
// skills, the federal priority categories, one account per role, and a
// kiosk, a hall board and a rating terminal per window, paired at seeding,
// and the running line of the hall boards. The office is an office file,
// office.yaml (docs/office-file.md); seeding adds what a file does not
// hold: the region administrator, the devices' pairing and staff cards.
package demo

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/officefile"
)

// OfficeID is the id of the demo office.
const OfficeID = "demo"

// Windows is how many windows, operators and rating terminals the demo has.
const Windows = 6

// Accounts lists the demo logins in the order the server prints them.
func Accounts() []string {
	out := []string{"admin", "manager", "hall"}
	for i := 1; i <= Windows; i++ {
		out = append(out, fmt.Sprintf("operator%d", i))
	}
	return out
}

// Seeded reports whether the demo office already exists.
func Seeded(ctx context.Context, b domain.Backend) bool {
	_, err := b.GetOffice(domain.WithActor(ctx, domain.System), OfficeID)
	return err == nil
}

//go:embed office.yaml
var officeFile []byte

// File is the demo office as an office file: import-office takes it like
// any other, and Seed builds the demo from it.
func File() []byte { return officeFile }

// Backend is what seeding needs: writing an office file, and pairing the
// devices it registers.
type Backend interface {
	officefile.Backend
	PairDevice(ctx context.Context, code string) (domain.DevicePairing, error)
}

// Seed creates the demo office through b from its file, every account
// with password, and the region administrator admin, and pairs every
// device: it returns their credentials by device id, for the terminals'
// configuration files.
func Seed(ctx context.Context, b Backend, password string) (map[string]string, error) {
	ctx = domain.WithActor(ctx, domain.System)
	f, err := officefile.Parse("office.yaml", officeFile)
	if err != nil {
		return nil, err
	}
	if _, err := officefile.Apply(ctx, b, f, officefile.Options{InitialPassword: password}); err != nil {
		return nil, fmt.Errorf("create office: %w", err)
	}
	admin := domain.Account{Login: "admin", Role: domain.RoleAdmin, FullName: "Администратор системы"}
	if _, err := b.PutAccount(ctx, domain.AccountInput{Account: admin, Password: password}); err != nil {
		return nil, fmt.Errorf("create account %s: %w", admin.Login, err)
	}
	credentials := map[string]string{}
	for _, d := range f.Devices {
		code, err := b.CreatePairingCode(ctx, OfficeID, d.ID)
		if err != nil {
			return nil, fmt.Errorf("pairing code for device %s: %w", d.ID, err)
		}
		p, err := b.PairDevice(ctx, code.Code)
		if err != nil {
			return nil, fmt.Errorf("pair device %s: %w", d.ID, err)
		}
		credentials[d.ID] = p.Credential
	}
	return credentials, nil
}

// CardHolders are the demo accounts that get a staff card, so the operator
// panel's scanner login can be tried.
var CardHolders = []string{"operator1"}

// IssueCards gives each of CardHolders a staff card through b and returns
// the codes by login, for the badges the demo cannot print.
func IssueCards(ctx context.Context, b domain.Backend) (map[string]string, error) {
	ctx = domain.WithActor(ctx, domain.System)
	cards := map[string]string{}
	for _, login := range CardHolders {
		c, err := b.IssueStaffCard(ctx, login)
		if err != nil {
			return nil, fmt.Errorf("staff card for %s: %w", login, err)
		}
		cards[login] = c.Card
	}
	return cards, nil
}
