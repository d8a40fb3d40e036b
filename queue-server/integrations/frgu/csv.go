package frgu

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/talonqueue/talon/queue-server/domain"
)

// columns are the CSV header names of each field, compared without case:
// the English name first, then the Russian ones.
var columns = []struct {
	field    string
	names    []string
	required bool
}{
	{"authority_id", []string{"authority_id", "код органа", "идентификатор органа"}, true},
	{"authority_name", []string{"authority_name", "орган", "наименование органа"}, true},
	{"service_id", []string{"service_id", "код услуги", "идентификатор услуги"}, true},
	{"service_name", []string{"service_name", "услуга", "наименование услуги"}, true},
	{"procedure_id", []string{"procedure_id", "код процедуры", "идентификатор процедуры"}, false},
	{"procedure_name", []string{"procedure_name", "процедура", "наименование процедуры"}, false},
	{"purpose", []string{"purpose", "цель визита"}, false},
	{"purpose_id", []string{"purpose_id", "код цели визита", "идентификатор цели визита"}, false},
}

func parseCSV(text []byte) ([]domain.RegisterEntry, []domain.RegisterSkip, error) {
	r := csv.NewReader(bytes.NewReader(text))
	r.Comma = separator(text)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, domain.Errorf(domain.CodeInvalid, "файл CSV пуст: нужна строка заголовка и строки услуг")
		}
		return nil, nil, domain.Errorf(domain.CodeInvalid, "строка заголовка CSV не читается: %s", csvReason(err))
	}
	at, err := columnsAt(header)
	if err != nil {
		return nil, nil, err
	}
	var entries []domain.RegisterEntry
	var skipped []domain.RegisterSkip
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, nil, domain.Errorf(domain.CodeInvalid, "файл CSV не читается: %v", err)
			}
			skipped = append(skipped, domain.RegisterSkip{Line: pe.StartLine, Message: sentence(errors.New(csvReason(err)))})
			continue
		}
		line, _ := r.FieldPos(0)
		if blank(rec) {
			continue // Excel ends a sheet with rows of empty cells
		}
		if len(rec) > len(header) {
			skipped = append(skipped, domain.RegisterSkip{Line: line, Message: sentence(fmt.Errorf("в строке %d полей, а в заголовке %d: проверьте разделитель и кавычки", len(rec), len(header)))})
			continue
		}
		get := func(field string) string {
			if i, ok := at[field]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		e := domain.RegisterEntry{Line: line, AuthorityID: get("authority_id"), AuthorityName: get("authority_name"),
			ServiceID: get("service_id"), ServiceName: get("service_name"), ProcedureID: get("procedure_id"),
			ProcedureName: get("procedure_name"), PurposeID: get("purpose_id")}
		if err := check(&e, get("purpose")); err != nil {
			skipped = append(skipped, domain.RegisterSkip{Line: line, Message: sentence(err)})
			continue
		}
		entries = append(entries, e)
	}
	return entries, skipped, nil
}

// separator is the one of ";" and "," the header line holds more of: Russian
// Excel saves with ";", most other tools with ",".
func separator(text []byte) rune {
	first, _, _ := bytes.Cut(text, []byte("\n"))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		return ';'
	}
	return ','
}

// columnsAt maps each known field to its column; unknown columns are left
// alone (the register's exports carry more than the catalogue needs).
func columnsAt(header []string) (map[string]int, error) {
	at := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.Join(strings.Fields(h), " "))
		for _, c := range columns {
			for _, n := range c.names {
				if h == n {
					if _, dup := at[c.field]; dup {
						return nil, domain.Errorf(domain.CodeInvalid, "в заголовке CSV столбец %s встречается дважды", c.field)
					}
					at[c.field] = i
				}
			}
		}
	}
	var missing []string
	for _, c := range columns {
		if _, ok := at[c.field]; c.required && !ok {
			missing = append(missing, c.field)
		}
	}
	if len(missing) > 0 {
		return nil, domain.Errorf(domain.CodeInvalid, "в заголовке CSV нет столбцов %s (разделитель — «;» или «,»; названия — в docs/frgu-import.md)", strings.Join(missing, ", "))
	}
	return at, nil
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// csvReason says in Russian what encoding/csv found wrong.
func csvReason(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return "кавычка внутри значения без кавычек: заключите значение в кавычки и удвойте кавычки внутри"
	case errors.Is(err, csv.ErrQuote):
		return "кавычка не закрыта или после закрывающей кавычки идёт текст"
	}
	return "строка не читается как CSV"
}

// sentence makes an error's text a sentence: a capital letter and a full stop.
func sentence(err error) string {
	s := err.Error()
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:]) + "."
}
