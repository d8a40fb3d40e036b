package frgu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The JSON file is one object:
//
//	{"authorities": [{"id", "name", "services": [{"id", "name", "purpose",
//	  "purpose_id", "procedures": [{"id", "name", "purpose", "purpose_id"}]}]}]}
//
// Ids may be strings or numbers; other fields are ignored. A service with
// procedures gives one entry per procedure, which inherits the service's
// purpose unless it names its own; a service without them gives one entry.

// id is a ФРГУ id written as a string or as a number.
type id string

func (v *id) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = id(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("идентификатор должен быть строкой или числом")
	}
	*v = id(n.String())
	return nil
}

type jsonNode struct {
	ID        id     `json:"id"`
	Name      string `json:"name"`
	Purpose   string `json:"purpose"`
	PurposeID id     `json:"purpose_id"`
}

// element is the bytes of one array element, where it starts in the file
// and on which line.
type element struct {
	raw          []byte
	offset, line int
}

type jsonFile struct {
	text  []byte
	lines []int // offsets where lines start
}

func parseJSON(text []byte) ([]domain.RegisterEntry, []domain.RegisterSkip, error) {
	f := jsonFile{text: text, lines: []int{0}}
	for i, c := range text {
		if c == '\n' {
			f.lines = append(f.lines, i+1)
		}
	}
	var doc any
	if err := json.Unmarshal(text, &doc); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, nil, domain.Errorf(domain.CodeInvalid, "файл не читается как JSON: ошибка в строке %d", f.line(int(syn.Offset)))
		}
		return nil, nil, domain.Errorf(domain.CodeInvalid, "файл не читается как JSON: он оборван или пуст")
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, nil, domain.Errorf(domain.CodeInvalid, `файл JSON должен быть объектом {"authorities": […]}`)
	}
	authorities, err := f.children(element{raw: text}, "authorities")
	if err != nil {
		return nil, nil, domain.Errorf(domain.CodeInvalid, "в файле JSON %s", err)
	}
	if authorities == nil {
		return nil, nil, domain.Errorf(domain.CodeInvalid, `в файле JSON нет списка органов власти "authorities"`)
	}
	var entries []domain.RegisterEntry
	var skipped []domain.RegisterSkip
	skip := func(line int, err error) {
		skipped = append(skipped, domain.RegisterSkip{Line: line, Message: sentence(err)})
	}
	for _, a := range authorities {
		var auth jsonNode
		if err := json.Unmarshal(a.raw, &auth); err != nil {
			skip(a.line, fmt.Errorf("орган власти не читается (%s), его услуги пропущены", reason(err)))
			continue
		}
		services, err := f.children(a, "services")
		if err != nil {
			skip(a.line, fmt.Errorf("у органа власти %s", err))
			continue
		}
		for _, s := range services {
			var svc jsonNode
			if err := json.Unmarshal(s.raw, &svc); err != nil {
				skip(s.line, fmt.Errorf("услуга не читается (%s)", reason(err)))
				continue
			}
			base := domain.RegisterEntry{Line: s.line, AuthorityID: string(auth.ID), AuthorityName: auth.Name,
				ServiceID: string(svc.ID), ServiceName: svc.Name, PurposeID: string(svc.PurposeID)}
			procedures, err := f.children(s, "procedures")
			if err != nil {
				skip(s.line, fmt.Errorf("у услуги %s", err))
				continue
			}
			if len(procedures) == 0 {
				if err := check(&base, svc.Purpose); err != nil {
					skip(s.line, err)
					continue
				}
				entries = append(entries, base)
			}
			for _, p := range procedures {
				var proc jsonNode
				if err := json.Unmarshal(p.raw, &proc); err != nil {
					skip(p.line, fmt.Errorf("процедура не читается (%s)", reason(err)))
					continue
				}
				e := base
				e.Line, e.ProcedureID, e.ProcedureName = p.line, string(proc.ID), proc.Name
				if proc.PurposeID != "" {
					e.PurposeID = string(proc.PurposeID)
				}
				purpose := svc.Purpose
				if strings.TrimSpace(proc.Purpose) != "" {
					purpose = proc.Purpose
				}
				if e.ProcedureID == "" {
					skip(p.line, errors.New("не указан идентификатор процедуры в ФРГУ"))
					continue
				}
				if err := check(&e, purpose); err != nil {
					skip(p.line, err)
					continue
				}
				entries = append(entries, e)
			}
		}
	}
	return entries, skipped, nil
}

// children returns the elements of the array under key in the object obj;
// nil when there is no such key.
func (f jsonFile) children(obj element, key string) ([]element, error) {
	dec := json.NewDecoder(bytes.NewReader(obj.raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("элемент должен быть объектом {…}")
	}
	var out []element
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, errors.New("объект не читается")
		}
		if t != key {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, errors.New("объект не читается")
			}
			continue
		}
		open, err := dec.Token()
		if err != nil {
			return nil, errors.New("объект не читается")
		}
		if open == nil {
			continue
		}
		if open != json.Delim('[') {
			return nil, fmt.Errorf("%q должен быть списком […]", key)
		}
		out = []element{}
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, errors.New("список не читается")
			}
			start := obj.offset + int(dec.InputOffset()) - len(raw)
			out = append(out, element{raw: raw, offset: start, line: f.line(start)})
		}
		if _, err := dec.Token(); err != nil && !errors.Is(err, io.EOF) {
			return nil, errors.New("список не читается")
		}
	}
	return out, nil
}

// line is the line number (from 1) of a byte offset.
func (f jsonFile) line(offset int) int {
	return sort.SearchInts(f.lines, offset+1)
}

// reason says in Russian why an element did not decode.
func reason(err error) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) && typ.Field != "" {
		return fmt.Sprintf("поле %s неверного типа", typ.Field)
	}
	if strings.HasPrefix(err.Error(), "идентификатор") {
		return err.Error()
	}
	return "неверный тип значения"
}
