// Package frgu reads the files exported from the federal register of
// state services (ФРГУ) that an office imports into its service catalogue:
// JSON (authorities → services → procedures) and CSV (one procedure a row),
// UTF-8 with or without BOM or Windows-1251. docs/frgu-import.md is the
// format's description for people; this package is its definition.
//
// Parse never fails on one bad row: the row is skipped and reported by its
// line with a sentence for a person. Only a file that cannot be read as a
// whole (not JSON, no header, a required column missing, an unknown
// character set) is refused.
package frgu

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Limits of a field: ФРГУ ids are digits (11 for an authority, up to 19 for
// a service or procedure in practice), names are sentences.
const (
	maxIDDigits = 20
	maxNameLen  = 500
)

// Parse reads f's entries in file order and the rows it skipped.
func Parse(f domain.RegisterFile) ([]domain.RegisterEntry, []domain.RegisterSkip, error) {
	text, err := decode(f.Data, f.Charset)
	if err != nil {
		return nil, nil, err
	}
	switch strings.ToLower(f.Format) {
	case domain.RegisterJSON:
		return parseJSON(text)
	case domain.RegisterCSV:
		return parseCSV(text)
	}
	return nil, nil, domain.Errorf(domain.CodeInvalid, "формат файла реестра %q неизвестен: json или csv", f.Format)
}

var bom = []byte("\xEF\xBB\xBF")

// decode gives the file as UTF-8. Without a named charset a file that is
// valid UTF-8 (with or without BOM) is taken as it is, and any other as
// Windows-1251, the encoding Russian Excel saves CSV in: a Windows-1251 text
// with Cyrillic letters is almost never valid UTF-8.
func decode(data []byte, charset string) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "":
		if utf8.Valid(data) {
			return bytes.TrimPrefix(data, bom), nil
		}
		return fromWindows1251(data)
	case "utf-8", "utf8":
		data = bytes.TrimPrefix(data, bom)
		if !utf8.Valid(data) {
			return nil, domain.Errorf(domain.CodeInvalid, "файл назван UTF-8, но в нём есть байты не в этой кодировке: проверьте кодировку (Windows-1251 укажите как charset=windows-1251)")
		}
		return data, nil
	case "windows-1251", "cp1251", "cp-1251":
		return fromWindows1251(data)
	}
	return nil, domain.Errorf(domain.CodeInvalid, "кодировка %q не поддерживается: UTF-8 или Windows-1251", charset)
}

func fromWindows1251(data []byte) ([]byte, error) {
	out, err := charmap.Windows1251.NewDecoder().Bytes(data)
	if err != nil {
		return nil, domain.Errorf(domain.CodeInvalid, "файл не читается в кодировке Windows-1251")
	}
	return out, nil
}

// purposes are the words of a purpose of visit a file may use: the
// product's ids, their Russian words (domain.Purpose.Words) and the
// register's nouns for them.
var purposes = map[string]domain.Purpose{
	"подача документов":        domain.PurposeSubmit,
	"прием документов":         domain.PurposeSubmit,
	"приём документов":         domain.PurposeSubmit,
	"статус":                   domain.PurposeStatus,
	"получение результата":     domain.PurposeResult,
	"выдача результата":        domain.PurposeResult,
	"выдача документов":        domain.PurposeResult,
	"консультирование":         domain.PurposeConsultation,
	"получение консультации":   domain.PurposeConsultation,
	"информирование о статусе": domain.PurposeStatus,
}

func init() {
	for _, p := range []domain.Purpose{domain.PurposeSubmit, domain.PurposeStatus, domain.PurposeResult, domain.PurposeConsultation} {
		purposes[string(p)] = p
		purposes[p.Words()] = p
	}
}

func purposeOf(s string) (domain.Purpose, bool) {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	if s == "" {
		return "", true
	}
	p, ok := purposes[s]
	return p, ok
}

// check validates one entry and tidies its text; the error is the sentence
// of its skip.
func check(e *domain.RegisterEntry, purpose string) error {
	for _, s := range []*string{&e.AuthorityID, &e.AuthorityName, &e.ServiceID, &e.ServiceName, &e.ProcedureID, &e.ProcedureName, &e.PurposeID} {
		*s = strings.Join(strings.Fields(*s), " ")
	}
	ids := []struct {
		what, v  string
		required bool
	}{
		{"органа власти", e.AuthorityID, true}, {"услуги", e.ServiceID, true},
		{"процедуры", e.ProcedureID, false}, {"цели визита", e.PurposeID, false},
	}
	for _, id := range ids {
		switch {
		case id.v == "" && id.required:
			return fmt.Errorf("не указан идентификатор %s в ФРГУ", id.what)
		case len(id.v) > maxIDDigits || strings.Trim(id.v, "0123456789") != "":
			return fmt.Errorf("идентификатор %s %q — не число ФРГУ (до %d цифр)", id.what, id.v, maxIDDigits)
		}
	}
	names := []struct{ what, v string }{{"органа власти", e.AuthorityName}, {"услуги", e.ServiceName}}
	for _, n := range names {
		if n.v == "" {
			return fmt.Errorf("не указано наименование %s", n.what)
		}
	}
	for _, n := range []string{e.AuthorityName, e.ServiceName, e.ProcedureName} {
		if utf8.RuneCountInString(n) > maxNameLen {
			return fmt.Errorf("наименование длиннее %d символов", maxNameLen)
		}
	}
	p, ok := purposeOf(purpose)
	if !ok {
		return fmt.Errorf("цель визита %q неизвестна: подача документов (submit), статус (status), получение результата (result) или консультация (consultation)", purpose)
	}
	e.Purpose = p
	return nil
}
