package api

import (
	"net/http"

	"github.com/talonqueue/talon/queue-server/domain"
)

// backupStatus answers the staff who watch an office (administrators,
// managers, hall administrators): the backups are the whole server's, and
// a failing one is raised on their office page. Like backup, the engine
// does not see this route, so the rule is here.
func backupStatus(status func() domain.BackupStatus) endpoint {
	return func(r *http.Request) (any, error) {
		a, _ := domain.ActorFrom(r.Context())
		switch a.Role {
		case domain.RoleAdmin, domain.RoleManager, domain.RoleHall:
			return status(), nil
		}
		return nil, domain.Errorf(domain.CodeForbidden, "состояние резервных копий видят администраторы, руководители и администраторы зала")
	}
}
