package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/journal"
)

// journalRecords answers a chain's records as JSON or, with format=csv, as a
// file for a spreadsheet; a CSV export is itself journaled. officeParam is
// false for the region chain.
func journalRecords(j domain.Journal, offices domain.Admin, officeParam bool, reply func(http.ResponseWriter, *http.Request, int, any),
	fail func(http.ResponseWriter, *http.Request, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		officeID, loc, err := journalChain(r, offices, officeParam)
		if err != nil {
			fail(w, r, err)
			return
		}
		f, err := journal.Parse(r.URL.Query(), loc)
		if err != nil {
			fail(w, r, err)
			return
		}
		if f.Format == journal.FormatJSON {
			records, err := j.ListJournal(r.Context(), officeID, f.Query)
			if err != nil {
				fail(w, r, err)
				return
			}
			reply(w, r, http.StatusOK, records)
			return
		}
		records, err := j.ExportJournal(durable(r), officeID, f.Query)
		if err != nil {
			fail(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="talon-journal-%s.csv"`, journalFileName(officeID)))
		h.Set("Cache-Control", "no-store")
		// Once the first bytes are out an error can only be logged by the
		// server's access log; the records are already in memory, so only a
		// broken connection can fail here.
		_ = journal.WriteCSV(w, records, loc)
	}
}

func journalFileName(officeID string) string {
	if officeID == domain.RegionChain {
		return "region"
	}
	return officeID
}

// journalChain reads the office of the address, if any, and the time zone
// its dates are in: the office's, or UTC for the region chain.
func journalChain(r *http.Request, offices domain.Admin, officeParam bool) (string, *time.Location, error) {
	if !officeParam {
		return domain.RegionChain, time.UTC, nil
	}
	p, err := params(r, "office")
	if err != nil {
		return "", nil, err
	}
	o, err := offices.GetOffice(r.Context(), p[0])
	if err != nil {
		return "", nil, err
	}
	loc, err := o.Location(time.LoadLocation)
	if err != nil {
		return "", nil, err
	}
	return o.ID, loc, nil
}

func journalHeads(j domain.Journal, officeParam bool) endpoint {
	return func(r *http.Request) (any, error) {
		officeID := domain.RegionChain
		if officeParam {
			p, err := params(r, "office")
			if err != nil {
				return nil, err
			}
			officeID = p[0]
		}
		return result(j.JournalHeads(r.Context(), officeID))
	}
}

// record journals an action the API performs itself. A journal that cannot
// be written is an error of the action: nothing unrecorded may succeed.
func record(ctx context.Context, j domain.Journal, action, object string, outcome error) error {
	return j.Record(context.WithoutCancel(ctx), domain.JournalEntry{Action: action, Object: object, Err: outcome})
}
