package ui

import (
	"cmp"
	"slices"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The stream's announcement events.
const (
	eventAnnouncementChanged domain.EventType = "announcement.changed"
	eventAnnouncementDeleted domain.EventType = "announcement.deleted"
)

// snapshotAnnouncements and eventAnnouncement are where the board reads
// the announcements the stream carries: the snapshot's full list and the
// one an event changes or deletes.
func snapshotAnnouncements(domain.OfficeSnapshot) []domain.Announcement { return nil }

func eventAnnouncement(domain.Event) *domain.Announcement { return nil }

// announcements are the office's running-line texts with their schedules,
// in the order the administrator gave them.
type announcements struct {
	all []domain.Announcement
}

// replace takes the full list, as a snapshot has it.
func (a *announcements) replace(list []domain.Announcement) {
	a.all = append(a.all[:0], list...)
	a.sort()
}

// apply takes one changed or deleted announcement; it reports whether the
// event was about announcements at all.
func (a *announcements) apply(e domain.Event) bool {
	if e.Type != eventAnnouncementChanged && e.Type != eventAnnouncementDeleted {
		return false
	}
	an := eventAnnouncement(e)
	if an == nil {
		return true
	}
	a.all = slices.DeleteFunc(a.all, func(x domain.Announcement) bool { return x.ID == an.ID })
	if e.Type == eventAnnouncementChanged {
		a.all = append(a.all, *an)
		a.sort()
	}
	return true
}

func (a *announcements) sort() {
	slices.SortFunc(a.all, func(x, y domain.Announcement) int {
		return cmp.Or(cmp.Compare(x.Order, y.Order), cmp.Compare(x.ID, y.ID))
	})
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
