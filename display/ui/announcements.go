package ui

import (
	"slices"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// announcements are the office's running-line texts with their schedules,
// in the order the administrator gave them.
type announcements struct {
	all []domain.Announcement
}

// replace takes the full list, as a snapshot has it.
func (a *announcements) replace(list []domain.Announcement) {
	a.all = append(a.all[:0], list...)
	domain.SortAnnouncements(a.all)
}

// apply takes one changed or deleted announcement; it reports whether the
// event was about announcements at all.
func (a *announcements) apply(e domain.Event) bool {
	if e.Type != domain.EventAnnouncementChanged && e.Type != domain.EventAnnouncementDeleted {
		return false
	}
	an := e.Announcement
	if an == nil {
		return true
	}
	a.all = slices.DeleteFunc(a.all, func(x domain.Announcement) bool { return x.ID == an.ID })
	if e.Type == domain.EventAnnouncementChanged {
		a.all = append(a.all, *an)
		domain.SortAnnouncements(a.all)
	}
	return true
}

// activeAt is the texts that run at t in the office's zone, in order;
// dst is reused.
func (a *announcements) activeAt(dst []string, t time.Time, loc *time.Location) []string {
	dst = dst[:0]
	for _, an := range a.all {
		if an.ActiveAt(t, loc) && an.Text != "" {
			dst = append(dst, an.Text)
		}
	}
	return dst
}
