package engine

import "github.com/talonqueue/talon/queue-server/domain"

// AuthorizeOutbox checks that the actor may see the office's deliveries to
// other systems and send a dead one again.
func (e *Engine) AuthorizeOutbox(a domain.Actor, officeID string) error {
	_, err := e.officeAs(a, officeID, permOutbox)
	return err
}
