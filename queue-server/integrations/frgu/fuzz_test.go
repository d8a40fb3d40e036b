package frgu

import (
	"os"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

// FuzzParse: any bytes in either format are refused or split into valid
// entries and skips with a line, never a panic.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/malformed.csv", "testdata/malformed.json", "../../../docs/frgu/sample.csv", "../../../docs/frgu/sample.json"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, p[len(p)-4:] == "json")
	}
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		format := domain.RegisterCSV
		if isJSON {
			format = domain.RegisterJSON
		}
		entries, skipped, err := Parse(domain.RegisterFile{Format: format, Data: data})
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("refusal %v is not invalid", err)
			}
			return
		}
		for _, e := range entries {
			if e.Line < 1 || e.AuthorityID == "" || e.ServiceID == "" || e.ServiceName == "" || e.AuthorityName == "" {
				t.Fatalf("entry %+v", e)
			}
		}
		for _, s := range skipped {
			if s.Line < 1 || s.Message == "" {
				t.Fatalf("skip %+v", s)
			}
		}
	})
}
