package engine

import "github.com/talonqueue/talon/queue-server/domain"

// AuthorizeJournal checks that the actor may read an office's audit journal,
// or the region's when officeID is "" (a region-wide admin only).
func (e *Engine) AuthorizeJournal(a domain.Actor, officeID string) error {
	if officeID == domain.RegionChain {
		return authorize(a, officeID, permJournal)
	}
	_, err := e.officeAs(a, officeID, permJournal)
	return err
}
