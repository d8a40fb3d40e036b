package officefile

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Error is a file refused: every mistake found, each as "file:line: what".
type Error struct {
	File     string
	Problems []string
}

func (e *Error) Error() string {
	return fmt.Sprintf("файл %s не принят, ошибок: %d\n%s", e.File, len(e.Problems), strings.Join(e.Problems, "\n"))
}

// problems collects mistakes with the line of the value they concern.
type problems struct {
	f    *File
	list []problem
}

type problem struct {
	line int // 0: the file as a whole
	text string
}

func (p *problems) add(line int, text string) {
	p.list = append(p.list, problem{line, text})
}

// at records a mistake at a path of the file (windows[2].services[0]); a
// path the file does not hold, such as a key left out, takes the line of
// the nearest thing around it that it does.
func (p *problems) at(path, format string, args ...any) {
	where, line := p.f.where(path)
	p.add(line, where+": "+fmt.Sprintf(format, args...))
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	sort.SliceStable(p.list, func(i, j int) bool { return p.list[i].line < p.list[j].line })
	out := make([]string, len(p.list))
	for i, x := range p.list {
		out[i] = x.text
	}
	return &Error{File: p.f.name, Problems: out}
}

// where is "name:line" for a path and its line, or the name alone and 0
// when nothing of it is in the file.
func (f *File) where(path string) (string, int) {
	for p := path; p != ""; p = parentPath(p) {
		if line, ok := f.lines[p]; ok {
			return f.name + ":" + strconv.Itoa(line), line
		}
	}
	return f.name, 0
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// Parse reads an office file, YAML or JSON (JSON is read as the YAML it
// also is, which gives its lines too), and checks it on its own: every
// mistake is reported at once, with its line. name is how errors call the
// file, usually its base name.
func Parse(name string, data []byte) (*File, error) {
	f := &File{name: name, lines: map[string]int{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: name, Problems: []string{syntaxProblem(name, err)}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &Error{File: name, Problems: []string{name + ": файл пуст или это не описание офиса: ожидаются ключи format, office, services…"}}
	}
	root := doc.Content[0]
	index(root, "", f.lines)
	p := &problems{f: f}
	unknownKeys(root, reflect.TypeOf(File{}), "", p)
	if err := root.Decode(f); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, &Error{File: name, Problems: []string{name + ": " + err.Error()}}
		}
		for _, m := range te.Errors {
			p.add(0, typeProblem(name, m))
		}
		// A value of the wrong type is left out of f: checking the rest
		// would report mistakes that are not there.
		return nil, p.err()
	}
	f.check(p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return f, nil
}

var (
	lineRe     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	mismatchRe = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (.+)$")
)

func syntaxProblem(name string, err error) string {
	if m := lineRe.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Sprintf("%s:%s: файл не читается как YAML или JSON: %s", name, m[1], m[2])
	}
	return fmt.Sprintf("%s: файл не читается как YAML или JSON: %v", name, err)
}

// typeProblem turns the decoder's "line 5: cannot unmarshal !!str `abc`
// into int" into a sentence.
func typeProblem(name, msg string) string {
	m := lineRe.FindStringSubmatch(msg)
	if m == nil {
		return name + ": " + msg
	}
	what := m[2]
	if t := mismatchRe.FindStringSubmatch(what); t != nil {
		want := map[string]string{"int": "целое число", "bool": "true или false", "string": "строка", "time.Time": "время вида 2026-01-31T09:00:00+03:00"}[t[3]]
		switch {
		case want != "":
			what = fmt.Sprintf("значение «%s» не подходит: нужно %s", t[2], want)
		case strings.HasPrefix(t[3], "[]"):
			what = fmt.Sprintf("значение «%s» не подходит: нужен список", t[2])
		default:
			what = fmt.Sprintf("значение «%s» не подходит: нужен набор ключей", t[2])
		}
	}
	return fmt.Sprintf("%s:%s: %s", name, m[1], what)
}

// index records the line of every path of the document.
func index(n *yaml.Node, path string, lines map[string]int) {
	if path != "" {
		lines[path] = n.Line
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if path != "" {
				key = path + "." + key
			}
			index(n.Content[i+1], key, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			index(c, fmt.Sprintf("%s[%d]", path, i), lines)
		}
	}
}

var timeType = reflect.TypeOf(time.Time{})

// unknownKeys reports keys the file's types do not have: a misspelt key
// would otherwise be dropped without a word and its value lost.
func unknownKeys(n *yaml.Node, t reflect.Type, path string, p *problems) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			sub := key.Value
			if path != "" {
				sub = path + "." + key.Value
			}
			field, ok := yamlField(t, key.Value)
			if !ok {
				p.add(key.Line, fmt.Sprintf("%s:%d: неизвестный ключ «%s»%s", p.f.name, key.Line, key.Value, inPath(path)))
				continue
			}
			unknownKeys(val, field.Type, sub, p)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			unknownKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), p)
		}
	}
}

func inPath(path string) string {
	if path == "" {
		return ""
	}
	return " в " + path
}

func yamlField(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name == key && f.IsExported() {
			return f, true
		}
	}
	return reflect.StructField{}, false
}
