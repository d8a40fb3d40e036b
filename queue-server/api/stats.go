package api

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/export"
)

// statsParams are the query of GET /stats: office may repeat.
var statsParams = []string{"office", "from", "to", "by", "format"}

// statsFormats are the files a report downloads as, beside JSON.
var statsFormats = map[string]struct {
	contentType string
	write       func(export.Table, *bytes.Buffer) error
}{
	"csv":  {"text/csv; charset=utf-8", func(t export.Table, b *bytes.Buffer) error { return t.CSV(b) }},
	"xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", func(t export.Table, b *bytes.Buffer) error { return t.XLSX(b) }},
}

// statsReport answers a report as JSON or, with format=csv or xlsx, as a
// file with Russian column names.
func statsReport(b domain.Statistics, reply func(http.ResponseWriter, *http.Request, int, any),
	fail func(http.ResponseWriter, *http.Request, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		sq := domain.StatsQuery{From: q.Get("from"), To: q.Get("to"), By: domain.StatsDim(q.Get("by"))}
		for _, v := range q["office"] {
			for _, id := range strings.Split(v, ",") {
				if err := checkField("office", id, true); err != nil {
					fail(w, r, err)
					return
				}
				sq.OfficeIDs = append(sq.OfficeIDs, id)
			}
		}
		format := q.Get("format")
		f, file := statsFormats[format]
		if format != "" && format != "json" && !file {
			fail(w, r, invalid("формат %q неизвестен: json, csv или xlsx", format))
			return
		}
		rep, err := b.GetStats(r.Context(), sq)
		if err != nil {
			fail(w, r, err)
			return
		}
		if !file {
			reply(w, r, http.StatusOK, rep)
			return
		}
		// The whole file is made before the answer starts, so a failure
		// still gets an error the page can show.
		var buf bytes.Buffer
		if err := f.write(export.Stats(rep), &buf); err != nil {
			fail(w, r, domain.Internal(err, "export"))
			return
		}
		h := w.Header()
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="talon-stats-%s-%s-%s.%s"`, rep.Query.By, rep.Query.From, rep.Query.To, format))
		h.Set("Cache-Control", "no-store")
		writeBody(w, http.StatusOK, f.contentType, buf.Bytes())
	}
}
