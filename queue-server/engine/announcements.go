package engine

import "github.com/talonqueue/talon/queue-server/domain"

// ListAnnouncements returns the running line's texts of an office, enabled
// or not, in the order boards show them.
func (e *Engine) ListAnnouncements(a domain.Actor, officeID string) ([]domain.Announcement, error) {
	o, err := e.officeAs(a, officeID, permAnnounce)
	if err != nil {
		return nil, err
	}
	return o.announcementList(), nil
}

func (o *office) announcementList() []domain.Announcement {
	out := make([]domain.Announcement, 0, len(o.announcements))
	for _, x := range o.announcements {
		out = append(out, *x)
	}
	domain.SortAnnouncements(out)
	return out
}

// PutAnnouncement creates or replaces a text of the running line. Boards
// hear of it by the event, which carries the text itself.
func (e *Engine) PutAnnouncement(a domain.Actor, in domain.Announcement, ch *domain.Changes) (domain.Announcement, error) {
	o, err := e.officeAs(a, in.OfficeID, permAnnounce)
	if err != nil {
		return domain.Announcement{}, err
	}
	if err := in.Validate(); err != nil {
		return domain.Announcement{}, err
	}
	if o.announcements[in.ID] == nil && len(o.announcements) >= domain.MaxAnnouncements {
		return domain.Announcement{}, domain.Errorf(domain.CodeConflict,
			"в офисе уже %d объявлений — больше бегущая строка не вместит: удалите ненужные", domain.MaxAnnouncements)
	}
	in.UpdatedAt = e.cfg.Now()
	o.announcements[in.ID] = &in
	ch.Announcements = append(ch.Announcements, in)
	ev := in
	o.emit(ch, a, domain.Event{Type: domain.EventAnnouncementChanged, At: in.UpdatedAt, Announcement: &ev})
	return in, nil
}

// DeleteAnnouncement removes a text of the running line; the event carries
// the removed text, so a board knows which one to drop.
func (e *Engine) DeleteAnnouncement(a domain.Actor, officeID, id string, ch *domain.Changes) error {
	o, err := e.officeAs(a, officeID, permAnnounce)
	if err != nil {
		return err
	}
	old := o.announcements[id]
	if old == nil {
		return domain.Errorf(domain.CodeNotFound, "объявление %q не найдено", id)
	}
	delete(o.announcements, id)
	ch.Deletions = append(ch.Deletions, domain.Deletion{Kind: domain.KindAnnouncement, OfficeID: officeID, ID: id})
	ev := *old
	o.emit(ch, a, domain.Event{Type: domain.EventAnnouncementDeleted, At: e.cfg.Now(), Announcement: &ev})
	return nil
}
