package client

import (
	"context"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The register file goes to the server byte for byte, its format and dry
// run in the query and its charset in the Content-Type.
func TestImportRegisterSendsTheFileAsItIs(t *testing.T) {
	file := []byte("authority_id;authority_name;service_id;service_name\n\xcc\xc2\xc4;1;2;3\n") // Windows-1251 bytes
	answer := domain.RegisterReport{OfficeID: "o1", DryRun: true, Rows: 1, Created: []domain.RegisterItem{}, Updated: []domain.RegisterItem{},
		Unchanged: []domain.RegisterItem{}, Skipped: []domain.RegisterSkip{{Line: 2, Message: "Идентификатор органа власти — не число ФРГУ."}}}
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || r.URL.Path != "/api/v1/offices/o1/catalog/import" || r.URL.RawQuery != "dry_run=true&format=csv" {
			t.Errorf("request %s %s?%s", r.Method, r.URL.Path, r.URL.RawQuery)
		}
		if ct := r.Header.Get("Content-Type"); ct != "text/plain; charset=windows-1251" {
			t.Errorf("Content-Type %q", ct)
		}
		if string(body) != string(file) {
			t.Errorf("body %q, want the file %q", body, file)
		}
		writeJSON(t, w, http.StatusOK, answer)
	}), WithToken("tok"))
	got, err := c.ImportRegister(context.Background(), "o1", domain.RegisterFile{Format: "csv", Charset: "windows-1251", Data: file, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, answer) {
		t.Errorf("report\n%+v\nwant\n%+v", got, answer)
	}
}
