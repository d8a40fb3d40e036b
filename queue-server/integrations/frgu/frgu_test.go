package frgu

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/talonqueue/talon/queue-server/domain"
)

func parseFile(t *testing.T, path, format string) ([]domain.RegisterEntry, []domain.RegisterSkip) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	entries, skipped, err := Parse(domain.RegisterFile{Format: format, Data: data})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return entries, skipped
}

func lines[T any](xs []T, line func(T) int) []int {
	out := []int{}
	for _, x := range xs {
		out = append(out, line(x))
	}
	return out
}

func entryLine(e domain.RegisterEntry) int { return e.Line }
func skipLine(s domain.RegisterSkip) int   { return s.Line }

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// skipAt returns the message of the skip on line, failing when there is none.
func skipAt(t *testing.T, skipped []domain.RegisterSkip, line int) string {
	t.Helper()
	for _, s := range skipped {
		if s.Line == line {
			return s.Message
		}
	}
	t.Fatalf("no skip on line %d in %+v", line, skipped)
	return ""
}

func TestCSVWithMalformedRows(t *testing.T) {
	entries, skipped := parseFile(t, "testdata/malformed.csv", "csv")
	// Line 7 is a row of empty cells and line 10 an empty line: neither is
	// a row. Line 11 repeats line 9, which only the catalogue can judge.
	if got, want := lines(entries, entryLine), []int{2, 9, 11}; !sameInts(got, want) {
		t.Errorf("entries on lines %v, want %v", got, want)
	}
	if got, want := lines(skipped, skipLine), []int{3, 4, 5, 6, 8, 12}; !sameInts(got, want) {
		t.Errorf("skipped lines %v, want %v: %+v", got, want, skipped)
	}
	for line, words := range map[int]string{
		3: "Не указан идентификатор услуги", 4: `органа власти "МВД" — не число`, 5: `Цель визита "подать жалобу" неизвестна`,
		6: "В строке 9 полей, а в заголовке 8", 8: "Кавычка внутри значения", 12: "Не указано наименование органа власти",
	} {
		if msg := skipAt(t, skipped, line); !strings.Contains(msg, words) || !strings.HasSuffix(msg, ".") {
			t.Errorf("line %d: %q, want a sentence with %q", line, msg, words)
		}
	}
	want := domain.RegisterEntry{Line: 2, AuthorityID: "10000001045", AuthorityName: "Министерство внутренних дел Российской Федерации",
		ServiceID: "10000101388", ServiceName: "Выдача, замена паспортов гражданина Российской Федерации",
		ProcedureID: "7700000000100000001", ProcedureName: "Выдача паспорта гражданина РФ", Purpose: domain.PurposeSubmit}
	if entries[0] != want {
		t.Errorf("first entry\n got %+v\nwant %+v", entries[0], want)
	}
	if entries[1].Purpose != domain.PurposeResult {
		t.Errorf("«получение результата» read as %q", entries[1].Purpose)
	}
}

func TestCSVSeparatorsBOMAndQuotes(t *testing.T) {
	const rows = "authority_id,authority_name,service_id,service_name,purpose\n" +
		"10000001045,\"МВД России\",10000101388,\"Выдача, замена паспортов\",result\n"
	for name, data := range map[string]string{
		"comma":         rows,
		"comma and BOM": "\uFEFF" + rows,
		"semicolon":     "authority_id;authority_name;service_id;service_name;purpose\r\n10000001045;МВД России;10000101388;Выдача, замена паспортов;result\r\n",
	} {
		entries, skipped, err := Parse(domain.RegisterFile{Format: "csv", Data: []byte(data)})
		if err != nil || len(skipped) != 0 || len(entries) != 1 {
			t.Fatalf("%s: %v, skipped %+v, entries %+v", name, err, skipped, entries)
		}
		e := entries[0]
		if e.AuthorityID != "10000001045" || e.ServiceName != "Выдача, замена паспортов" || e.Purpose != domain.PurposeResult || e.Line != 2 {
			t.Errorf("%s: %+v", name, e)
		}
	}
}

func TestCSVWindows1251(t *testing.T) {
	utf := "Код органа;Орган;Код услуги;Услуга;Цель визита\n10000001045;МВД России;10000101388;Выдача паспорта;консультация\n"
	cp, err := charmap.Windows1251.NewEncoder().String(utf)
	if err != nil {
		t.Fatal(err)
	}
	for _, charset := range []string{"", "windows-1251", "CP1251"} {
		entries, skipped, err := Parse(domain.RegisterFile{Format: "csv", Charset: charset, Data: []byte(cp)})
		if err != nil || len(skipped) != 0 || len(entries) != 1 {
			t.Fatalf("charset %q: %v, skipped %+v", charset, err, skipped)
		}
		if e := entries[0]; e.AuthorityName != "МВД России" || e.ServiceName != "Выдача паспорта" || e.Purpose != domain.PurposeConsultation {
			t.Errorf("charset %q: %+v", charset, e)
		}
	}
	if _, _, err := Parse(domain.RegisterFile{Format: "csv", Charset: "utf-8", Data: []byte(cp)}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("Windows-1251 bytes named UTF-8: %v, want invalid", err)
	}
	if _, _, err := Parse(domain.RegisterFile{Format: "csv", Charset: "koi8-r", Data: []byte(cp)}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("KOI8-R: %v, want invalid", err)
	}
}

func TestFilesRefusedWhole(t *testing.T) {
	for name, f := range map[string]domain.RegisterFile{
		"no format":          {Format: "xml", Data: []byte("<a/>")},
		"empty CSV":          {Format: "csv", Data: []byte("")},
		"CSV without ids":    {Format: "csv", Data: []byte("authority_name;service_name\nМВД;Паспорт\n")},
		"CSV twice a column": {Format: "csv", Data: []byte("service_id;Код услуги;authority_id;authority_name;service_name\n")},
		"JSON syntax":        {Format: "json", Data: []byte("{\n\"authorities\": [\n{\"id\": 1,}\n]}")},
		"JSON array":         {Format: "json", Data: []byte(`[{"id": 1}]`)},
		"JSON without list":  {Format: "json", Data: []byte(`{"services": []}`)},
		"JSON list a string": {Format: "json", Data: []byte(`{"authorities": "МВД"}`)},
	} {
		_, _, err := Parse(f)
		if domain.ErrorCode(err) != domain.CodeInvalid || domain.ErrorMessage(err) == "" {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
	_, _, err := Parse(domain.RegisterFile{Format: "json", Data: []byte("{\n\"authorities\": [\n{\"id\": 1,}\n]}")})
	if !strings.Contains(domain.ErrorMessage(err), "строке 3") {
		t.Errorf("a JSON syntax error says %q, want its line 3", domain.ErrorMessage(err))
	}
}

func TestJSONWithMalformedElements(t *testing.T) {
	entries, skipped := parseFile(t, "testdata/malformed.json", "json")
	if got, want := lines(entries, entryLine), []int{13, 30}; !sameInts(got, want) {
		t.Errorf("entries on lines %v, want %v", got, want)
	}
	if got, want := lines(skipped, skipLine), []int{14, 15, 18, 19, 24}; !sameInts(got, want) {
		t.Errorf("skipped lines %v, want %v: %+v", got, want, skipped)
	}
	for line, words := range map[int]string{
		14: "идентификатор процедуры", 15: "подать жалобу", 18: "строкой или числом", 19: "Услуга не читается", 24: "органа власти",
	} {
		if msg := skipAt(t, skipped, line); !strings.Contains(msg, words) {
			t.Errorf("line %d: %q, want %q in it", line, msg, words)
		}
	}
	if e := entries[0]; e.ProcedureID != "7700000000100000001" || e.Purpose != domain.PurposeSubmit || e.Name() != "Выдача паспорта гражданина РФ" {
		t.Errorf("a procedure inherits its service's purpose and names the item: %+v", e)
	}
	if e := entries[1]; e.ServiceID != "10000000367" || e.ProcedureID != "" || e.Name() != "Распоряжение средствами материнского (семейного) капитала" {
		t.Errorf("a numeric id and a service without procedures: %+v", e)
	}
}

// The two samples of docs/frgu describe the same catalogue.
func TestSamplesAgree(t *testing.T) {
	csvEntries, csvSkipped := parseFile(t, "../../../docs/frgu/sample.csv", "csv")
	jsonEntries, jsonSkipped := parseFile(t, "../../../docs/frgu/sample.json", "json")
	if len(csvSkipped) != 0 || len(jsonSkipped) != 0 {
		t.Fatalf("clean samples skip rows: %+v %+v", csvSkipped, jsonSkipped)
	}
	if len(csvEntries) != 5 || len(jsonEntries) != len(csvEntries) {
		t.Fatalf("%d CSV entries, %d JSON entries, want 5 each", len(csvEntries), len(jsonEntries))
	}
	for i := range csvEntries {
		c, j := csvEntries[i], jsonEntries[i]
		c.Line, j.Line = 0, 0
		if c != j {
			t.Errorf("entry %d\n CSV %+v\nJSON %+v", i, c, j)
		}
	}
}
