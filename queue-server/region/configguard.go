package region

import (
	"context"
	"slices"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Manages reports whether the region's configuration manages a section of
// the office (one of officefile.Sections, or "office", which a region's
// file always holds), with the revision that does. Nothing is managed
// before the first revision, nor while the node does not know which
// sections its revision holds (restarted with the link down, until it
// reads the revision again).
func (c *ConfigFollower) Manages(section string) (uint64, bool) {
	st := c.Status()
	if st.Applied == 0 || st.Local == nil {
		return 0, false
	}
	return st.Applied, section == "office" || !slices.Contains(st.Local, section)
}

// Guard is b as the office node's API serves it: the changes the office's
// staff would make to a section the region manages are refused with a
// sentence saying where to make them, as they would last only until the
// region's next revision. The follower applies the region's revisions
// through the queue itself, not through the guard; the office's own
// sections, and everything that is not configuration (tickets, sessions,
// pairing a device), pass.
func (c *ConfigFollower) Guard(b domain.Backend) domain.Backend { return guarded{b, c} }

type guarded struct {
	domain.Backend
	c *ConfigFollower
}

// refuse is nil when the office keeps section; what names it for people.
func (g guarded) refuse(section, what string) error {
	rev, ok := g.c.Manages(section)
	if !ok {
		return nil
	}
	return domain.Errorf(domain.CodeForbidden, "%s этого офиса задаёт регион (его конфигурация, ревизия %d): изменение здесь продержалось бы до следующей ревизии; "+
		"измените файл офиса в регионе (queue-server region config set)", what, rev)
}

func (g guarded) PutOffice(ctx context.Context, o domain.Office) (domain.Office, error) {
	if err := g.refuse("office", "Настройки"); err != nil {
		return domain.Office{}, err
	}
	return g.Backend.PutOffice(ctx, o)
}

func (g guarded) PutService(ctx context.Context, s domain.Service) (domain.Service, error) {
	if err := g.refuse("services", "Услуги"); err != nil {
		return domain.Service{}, err
	}
	return g.Backend.PutService(ctx, s)
}

func (g guarded) DeleteService(ctx context.Context, officeID, serviceID string) error {
	if err := g.refuse("services", "Услуги"); err != nil {
		return err
	}
	return g.Backend.DeleteService(ctx, officeID, serviceID)
}

func (g guarded) PutWindow(ctx context.Context, w domain.Window) (domain.Window, error) {
	if err := g.refuse("windows", "Окна"); err != nil {
		return domain.Window{}, err
	}
	return g.Backend.PutWindow(ctx, w)
}

func (g guarded) DeleteWindow(ctx context.Context, officeID, windowID string) error {
	if err := g.refuse("windows", "Окна"); err != nil {
		return err
	}
	return g.Backend.DeleteWindow(ctx, officeID, windowID)
}

func (g guarded) PutOperator(ctx context.Context, o domain.Operator) (domain.Operator, error) {
	if err := g.refuse("operators", "Операторов"); err != nil {
		return domain.Operator{}, err
	}
	return g.Backend.PutOperator(ctx, o)
}

func (g guarded) DeleteOperator(ctx context.Context, officeID, operatorID string) error {
	if err := g.refuse("operators", "Операторов"); err != nil {
		return err
	}
	return g.Backend.DeleteOperator(ctx, officeID, operatorID)
}

func (g guarded) PutDevice(ctx context.Context, d domain.Device) (domain.Device, error) {
	if err := g.refuse("devices", "Устройства"); err != nil {
		return domain.Device{}, err
	}
	return g.Backend.PutDevice(ctx, d)
}

func (g guarded) DeleteDevice(ctx context.Context, officeID, deviceID string) error {
	if err := g.refuse("devices", "Устройства"); err != nil {
		return err
	}
	return g.Backend.DeleteDevice(ctx, officeID, deviceID)
}

func (g guarded) PutPriorityCategory(ctx context.Context, c domain.PriorityCategory) (domain.PriorityCategory, error) {
	if err := g.refuse("priority_categories", "Льготные категории"); err != nil {
		return domain.PriorityCategory{}, err
	}
	return g.Backend.PutPriorityCategory(ctx, c)
}

func (g guarded) DeletePriorityCategory(ctx context.Context, officeID, categoryID string) error {
	if err := g.refuse("priority_categories", "Льготные категории"); err != nil {
		return err
	}
	return g.Backend.DeletePriorityCategory(ctx, officeID, categoryID)
}

func (g guarded) PutAnnouncement(ctx context.Context, a domain.Announcement) (domain.Announcement, error) {
	if err := g.refuse("announcements", "Объявления бегущей строки"); err != nil {
		return domain.Announcement{}, err
	}
	return g.Backend.PutAnnouncement(ctx, a)
}

func (g guarded) DeleteAnnouncement(ctx context.Context, officeID, announcementID string) error {
	if err := g.refuse("announcements", "Объявления бегущей строки"); err != nil {
		return err
	}
	return g.Backend.DeleteAnnouncement(ctx, officeID, announcementID)
}

// PutAccount lets a new password through even where the region manages
// the logins: a person who forgot theirs is helped at the office. The
// region's file names such logins with an initial password, which it
// gives only to a new login (docs/region.md, "Configuration").
func (g guarded) PutAccount(ctx context.Context, a domain.AccountInput) (domain.Account, error) {
	if !g.passwordOnly(ctx, a) {
		if err := g.refuse("accounts", "Учётные записи"); err != nil {
			return domain.Account{}, err
		}
	}
	return g.Backend.PutAccount(ctx, a)
}

// passwordOnly reports whether a changes an existing login's password and
// nothing else of it.
func (g guarded) passwordOnly(ctx context.Context, a domain.AccountInput) bool {
	if a.Password == "" {
		return false
	}
	accounts, err := g.Backend.ListAccounts(ctx, a.OfficeID)
	if err != nil {
		return false
	}
	for _, old := range accounts {
		if old.Login == a.Login {
			return old.Role == a.Role && old.OfficeID == a.OfficeID && old.OperatorID == a.OperatorID &&
				old.FullName == a.FullName && old.Disabled == a.Disabled
		}
	}
	return false
}
