package api

import (
	"net/http"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

const importPath = "/api/v1/offices/o1/catalog/import"

// The file reaches the backend as it was sent, its format from ?format=
// or the Content-Type and its charset from the Content-Type; the import
// itself does not depend on the client staying.
func TestImportCatalogTakesTheFile(t *testing.T) {
	for _, tc := range []struct {
		query, contentType string
		want               domain.RegisterFile
	}{
		{"", "text/csv; charset=windows-1251", domain.RegisterFile{Format: "csv", Charset: "windows-1251"}},
		{"?dry_run=true", "application/json", domain.RegisterFile{Format: "json", DryRun: true}},
		{"?format=csv&dry_run=0", "text/plain; charset=utf-8", domain.RegisterFile{Format: "csv", Charset: "utf-8"}},
		{"?format=JSON", "", domain.RegisterFile{Format: "json"}},
	} {
		h := newHarness(t)
		w := h.do(t, "POST", importPath+tc.query, "файл;реестра\n", "Content-Type", tc.contentType)
		if w.Code != http.StatusOK {
			t.Fatalf("%s %q: %d %s", tc.query, tc.contentType, w.Code, w.Body)
		}
		c, _ := h.fake.last()
		got := c.args[1].(domain.RegisterFile)
		if c.name != "ImportRegister" || c.args[0] != "o1" || string(got.Data) != "файл;реестра\n" {
			t.Fatalf("call %s %v", c.name, c.args)
		}
		got.Data = nil
		if got.Format != tc.want.Format || got.Charset != tc.want.Charset || got.DryRun != tc.want.DryRun {
			t.Errorf("%s %q: %+v, want %+v", tc.query, tc.contentType, got, tc.want)
		}
		if c.ctx.Done() != nil {
			t.Errorf("an import runs on a context the client can cancel")
		}
	}
}

func TestImportCatalogRefusals(t *testing.T) {
	for _, tc := range []struct {
		query, contentType, body, msg string
	}{
		{"", "text/plain", "a;b", "укажите формат файла реестра: Content-Type application/json или text/csv, или параметр format=json или csv"},
		{"?format=xml", "text/csv", "a;b", `формат файла реестра "xml" неизвестен: json или csv`},
		{"?dry_run=maybe", "text/csv", "a;b", `dry_run — true или false, а не "maybe"`},
		{"", "text/csv", " \n", "тело запроса пустое: пришлите файл, выгруженный из ФРГУ"},
	} {
		h := newHarness(t)
		w := h.do(t, "POST", importPath+tc.query, tc.body, "Content-Type", tc.contentType)
		wantError(t, w, http.StatusBadRequest, domain.CodeInvalid, tc.msg)
		if n := h.fake.count(); n != 0 {
			t.Errorf("%s: the backend was called", tc.msg)
		}
	}
}
