package queue

import (
	"context"
	"fmt"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
	"github.com/talonqueue/talon/queue-server/integrations/frgu"
)

// ImportRegister reads the file outside the writer, then applies it in one
// transaction: every service it writes and one config event, with one
// journal record of the import whatever it changed. A dry run is a read:
// it neither waits for the writer nor leaves a trace.
func (s *Service) ImportRegister(ctx context.Context, officeID string, f domain.RegisterFile) (domain.RegisterReport, error) {
	entries, skipped, perr := frgu.Parse(f)
	// The caller's access is checked before the file's faults are told.
	apply := func(e *engine.Engine, ch *domain.Changes) (domain.RegisterReport, error) {
		if perr != nil {
			if err := e.AuthorizeCatalog(actor(ctx), officeID); err != nil {
				return domain.RegisterReport{}, err
			}
			return domain.RegisterReport{}, perr
		}
		return e.ImportRegister(actor(ctx), officeID, entries, skipped, f.DryRun, ch)
	}
	if f.DryRun {
		return read(s, func(e *engine.Engine) (domain.RegisterReport, error) { return apply(e, &domain.Changes{}) })
	}
	en := &entry{action: "importCatalog", officeID: officeID, object: "catalog/frgu"}
	return write(ctx, s, en, func(e *engine.Engine, ch *domain.Changes) (domain.RegisterReport, error) {
		rep, err := apply(e, ch)
		if err == nil {
			en.object = fmt.Sprintf("catalog/frgu/created/%d/updated/%d/unchanged/%d/skipped/%d", len(rep.Created), len(rep.Updated), len(rep.Unchanged), len(rep.Skipped))
		}
		return rep, err
	})
}
