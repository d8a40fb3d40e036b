package journal

import (
	"net/url"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// FuzzParse feeds raw query strings to the filter parser: it must answer
// with a filter or an invalid error in Russian, never panic, and a filter it
// accepts must be within bounds.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "from=2026-11-23&to=2026-11-24", "from=2026-11-23T09:00:00Z&format=csv", "actor=hall&ticket=t1&limit=10",
		"limit=-1", "to=2026-02-30", "format=json&format=csv", "from=%ff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		got, err := Parse(q, time.UTC)
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeInvalid || !isRussian(domain.ErrorMessage(err)) {
				t.Fatalf("Parse(%q) = %v, want an invalid error in Russian", raw, err)
			}
			return
		}
		if got.Query.Limit < 1 || got.Query.Limit > MaxLimit || (got.Format != FormatJSON && got.Format != FormatCSV) {
			t.Fatalf("Parse(%q) = %+v: out of bounds", raw, got)
		}
		if !got.Query.From.IsZero() && !got.Query.To.IsZero() && !got.Query.From.Before(got.Query.To) {
			t.Fatalf("Parse(%q) = %+v: empty period accepted", raw, got)
		}
	})
}
