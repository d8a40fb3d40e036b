package officefile_test

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/officefile"
)

const small = `format: talon-office/1
office:
  id: mfc-7
  name: МФЦ №7
  time_zone: Europe/Samara
  hours:
    mon: 08:00-20:00
    sat: 10:00-16:00
services:
  - id: docs
    group: true
    name: Документы
    services:
      - id: passport
        name: Паспорт
        letter: А
windows:
  - id: w1
    number: 1
    services: [passport]
`

// Each mistake is reported at the line of the value it concerns, all of
// them at once, in the order of the file.
func TestParseReportsEveryMistakeAtItsLine(t *testing.T) {
	for _, tc := range []struct {
		name, from, to string
		want           []string
	}{
		{"unknown service", "services: [passport]", "services: [passport, pasport]",
			[]string{"office.yaml:20: окно w1: услуга pasport не найдена"}},
		{"group called", "services: [passport]", "services: [docs]",
			[]string{"office.yaml:20: окно w1: docs — группа, а не услуга"}},
		{"hours and letter", "mon: 08:00-20:00", "mon: 8-20",
			[]string{"office.yaml:7: часы работы «8-20»"}},
		{"letter", "letter: А", "letter: A",
			[]string{"office.yaml:14: услуга passport: буква талона услуги «Паспорт» — одна или две заглавные русские буквы"}},
		{"two at once", "    number: 1\n", "    number: 0\n    colour: red\n",
			[]string{"office.yaml:18: окно w1: номер окна должен быть положительным", "office.yaml:20: неизвестный ключ «colour» в windows[0]"}},
		{"wrong type", "number: 1", "number: один",
			[]string{"office.yaml:19: значение «один» не подходит: нужно целое число"}},
		{"not yaml", "    mon:", "\tmon:",
			[]string{"office.yaml:7: файл не читается как YAML или JSON"}},
		{"format", "talon-office/1", "talon-office/9",
			[]string{"office.yaml:1: ожидается format: talon-office/1"}},
		{"duplicate", "      - id: passport", "      - id: docs",
			[]string{"office.yaml:14: услуга docs: такой идентификатор в файле уже есть", "office.yaml:20: окно w1: услуга passport не найдена"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(small, tc.from, tc.to, 1)
			if body == small {
				t.Fatalf("%q is not in the file", tc.from)
			}
			_, err := officefile.Parse("office.yaml", []byte(body))
			var fe *officefile.Error
			if !errors.As(err, &fe) {
				t.Fatalf("Parse = %v, want a refusal", err)
			}
			if len(fe.Problems) != len(tc.want) {
				t.Errorf("%d problems, want %d:\n%v", len(fe.Problems), len(tc.want), err)
			}
			for i, want := range tc.want {
				if i < len(fe.Problems) && !strings.HasPrefix(fe.Problems[i], want) {
					t.Errorf("problem %d = %q, want it to start %q", i, fe.Problems[i], want)
				}
			}
		})
	}
}

// The demo office is a valid file, and encoding it as YAML or JSON and
// reading it back gives the same file.
func TestEncodeParseRoundTrip(t *testing.T) {
	f, err := officefile.Parse("office.yaml", demo.File())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"office.yaml", "office.json"} {
		body, err := f.Encode(officefile.IsJSON(name))
		if err != nil {
			t.Fatal(err)
		}
		g, err := officefile.Parse(name, body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(exportedFields(g), exportedFields(f)) {
			t.Errorf("%s read back differs:\n%s", name, body)
		}
	}
	if f.Office.ID != demo.OfficeID || len(f.Windows) != demo.Windows || len(f.Operators) != demo.Windows {
		t.Errorf("the demo file holds office %q, %d windows, %d operators", f.Office.ID, len(f.Windows), len(f.Operators))
	}
}

// exportedFields drops where the file came from, which differs by name.
func exportedFields(f *officefile.File) officefile.File {
	return officefile.File{Format: f.Format, Office: f.Office, Services: f.Services, Windows: f.Windows, Operators: f.Operators,
		Accounts: f.Accounts, Devices: f.Devices, Categories: f.Categories, Announcements: f.Announcements}
}

// FuzzParse: whatever the file holds, Parse answers with a file or a
// refusal, never a panic, and a refusal names the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte(small))
	f.Add(demo.File())
	f.Add([]byte(`{"format":"talon-office/1","office":{"id":"x"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		file, err := officefile.Parse("f.yaml", body)
		if err == nil && file == nil {
			t.Fatal("no file and no error")
		}
		if err != nil && !strings.Contains(err.Error(), "f.yaml") {
			t.Fatalf("a refusal that does not name the file: %v", err)
		}
	})
}

// The example of docs/office-file.md is a valid file.
func TestTheDocumentedExampleParses(t *testing.T) {
	doc, err := os.ReadFile("../../docs/office-file.md")
	if err != nil {
		t.Fatal(err)
	}
	_, example, ok := strings.Cut(string(doc), "## A short example\n\n```yaml\n")
	example, _, closed := strings.Cut(example, "```")
	if !ok || !closed {
		t.Fatal("docs/office-file.md has no example")
	}
	f, err := officefile.Parse("example.yaml", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Services) != 2 || len(f.Services[0].Services) != 1 || len(f.Devices) != 3 || f.Office.Hours.Sat != "10:00-16:00" {
		t.Errorf("the example read as %+v", f)
	}
}
