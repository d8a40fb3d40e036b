package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func table() Table {
	return Table{
		Title:   "Услуги: 01.12/02.12 [отчёт] с очень длинным названием",
		Columns: []string{"Услуга", "Выдано талонов", "Среднее ожидание, мин", "Доля сверх нормы, %"},
		Rows: [][]any{
			{"Паспорт РФ; замена", 120, 4.256, 12.5},
			{"Справка \"о несудимости\"", int64(7), 0.0, 100.0 / 3},
		},
	}
}

func TestCSVOpensInRussianExcel(t *testing.T) {
	var buf bytes.Buffer
	if err := table().CSV(&buf); err != nil {
		t.Fatal(err)
	}
	body, ok := strings.CutPrefix(buf.String(), "\uFEFF")
	if !ok {
		t.Fatal("no byte order mark: Excel would read the Cyrillic as cp1251")
	}
	r := csv.NewReader(strings.NewReader(body))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Услуга", "Выдано талонов", "Среднее ожидание, мин", "Доля сверх нормы, %"},
		{"Паспорт РФ; замена", "120", "4,26", "12,5"},
		{"Справка \"о несудимости\"", "7", "0", "33,33"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %q", len(rows), len(want), rows)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: %q, want %q", i, rows[i], want[i])
		}
	}
}

func TestXLSXKeepsNumbersAsNumbers(t *testing.T) {
	var buf bytes.Buffer
	if err := table().XLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 1 || sheets[0] != "Услуги- 01.12-02.12 -отчёт- с о" {
		t.Fatalf("sheets %q, want the title cut to 31 characters without : / [ ]", sheets)
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1][0] != "Паспорт РФ; замена" || rows[0][3] != "Доля сверх нормы, %" {
		t.Fatalf("rows %q", rows)
	}
	for _, c := range []struct {
		cell string
		want string
	}{{"B2", "120"}, {"C2", "4.26"}, {"D3", "33.33"}, {"B3", "7"}} {
		typ, err := f.GetCellType(sheets[0], c.cell)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := f.GetCellValue(sheets[0], c.cell, excelize.Options{RawCellValue: true})
		if typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString || v != c.want {
			t.Errorf("%s: %q of type %v, want the number %s", c.cell, v, typ, c.want)
		}
	}
	panes, err := f.GetPanes(sheets[0])
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("header row not frozen: %+v, %v", panes, err)
	}
}

func TestAMisalignedTableWritesNothing(t *testing.T) {
	for _, tb := range []Table{
		{Title: "т", Columns: []string{"а", "б"}, Rows: [][]any{{"x"}}},
		{Title: "т", Columns: []string{"а"}, Rows: [][]any{{struct{}{}}}},
	} {
		var c, x bytes.Buffer
		if err := tb.CSV(&c); err == nil || c.Len() != 0 {
			t.Errorf("CSV of %v: %v, %d bytes written", tb.Rows, err, c.Len())
		}
		if err := tb.XLSX(&x); err == nil || x.Len() != 0 {
			t.Errorf("XLSX of %v: %v, %d bytes written", tb.Rows, err, x.Len())
		}
	}
}
