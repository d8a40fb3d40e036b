package api

import (
	"context"
	"net/http"

	"github.com/talonqueue/talon/queue-server/domain"
)

// backupStatus answers the staff who watch an office (watchers): the
// backups are the whole server's, and a failing one is raised on their
// office page. Like backup, the engine does not see this route, so the
// rule is here.
func backupStatus(status func() domain.BackupStatus) endpoint {
	return watchers("состояние резервных копий", func(*http.Request) any { return status() })
}

// regionLink answers the same staff how the office node's link to the
// region goes: a link down for long is raised on their office page.
func regionLink(status func(context.Context) domain.RegionLink) endpoint {
	return watchers("связь с регионом", func(r *http.Request) any { return status(r.Context()) })
}

// watchers serves what the staff who watch an office see of the whole
// server: administrators, managers and hall administrators; what names it
// for the refusal.
func watchers(what string, answer func(*http.Request) any) endpoint {
	return func(r *http.Request) (any, error) {
		a, _ := domain.ActorFrom(r.Context())
		switch a.Role {
		case domain.RoleAdmin, domain.RoleManager, domain.RoleHall:
			return answer(r), nil
		}
		return nil, domain.Errorf(domain.CodeForbidden, "%s видят администраторы, руководители и администраторы зала", what)
	}
}
