// Package export writes report tables as files a manager opens in a
// spreadsheet: CSV as Russian Excel reads it and XLSX.
package export

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Table is a report as a person reads it: named columns and rows of values.
// A value is a string, an int, an int64 or a float64.
type Table struct {
	// Title names the sheet of an XLSX file.
	Title   string
	Columns []string
	Rows    [][]any
}

// Check refuses a row whose width differs from the columns' or a value of
// another type, so a report never writes a misaligned file.
func (t Table) Check() error {
	for i, r := range t.Rows {
		if len(r) != len(t.Columns) {
			return fmt.Errorf("export %q: row %d has %d values for %d columns", t.Title, i+1, len(r), len(t.Columns))
		}
		for j, v := range r {
			switch v.(type) {
			case string, int, int64, float64:
			default:
				return fmt.Errorf("export %q: row %d, column %q: unsupported value %T", t.Title, i+1, t.Columns[j], v)
			}
		}
	}
	return nil
}

// CSV writes the table the way Excel with Russian settings opens it by a
// double click: UTF-8 with a byte order mark, semicolons between values and
// a decimal comma.
func (t Table) CSV(w io.Writer) error {
	if err := t.Check(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("\uFEFF"); err != nil {
		return fmt.Errorf("export %q: %w", t.Title, err)
	}
	cw := csv.NewWriter(bw)
	cw.Comma = ';'
	cw.UseCRLF = true
	if err := cw.Write(t.Columns); err != nil {
		return fmt.Errorf("export %q: %w", t.Title, err)
	}
	line := make([]string, len(t.Columns))
	for _, r := range t.Rows {
		for j, v := range r {
			line[j] = text(v)
		}
		if err := cw.Write(line); err != nil {
			return fmt.Errorf("export %q: %w", t.Title, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export %q: %w", t.Title, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export %q: %w", t.Title, err)
	}
	return nil
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strings.Replace(strconv.FormatFloat(round(x), 'f', -1, 64), ".", ",", 1)
	}
	return ""
}

// round keeps two decimals: a report's shares and means mean nothing finer.
func round(x float64) float64 { return math.Round(x*100) / 100 }

// XLSX writes the table as one sheet with a bold, frozen header row and
// numbers as numbers, so the manager can sum and chart them.
func (t Table) XLSX(w io.Writer) error {
	if err := t.Check(); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := sheetName(t.Title)
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return fmt.Errorf("export %q: %w", t.Title, err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("export %q: %w", t.Title, err)
	}
	header := make([]any, len(t.Columns))
	widths := make([]int, len(t.Columns))
	for j, c := range t.Columns {
		header[j] = c
		widths[j] = utf8.RuneCountInString(c)
	}
	if err := f.SetSheetRow(sheet, "A1", &header); err != nil {
		return fmt.Errorf("export %q: %w", t.Title, err)
	}
	for i, r := range t.Rows {
		row := make([]any, len(r))
		for j, v := range r {
			if x, ok := v.(float64); ok {
				v = round(x)
			}
			row[j] = v
			widths[j] = max(widths[j], utf8.RuneCountInString(text(v)))
		}
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return fmt.Errorf("export %q: %w", t.Title, err)
		}
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return fmt.Errorf("export %q: %w", t.Title, err)
		}
	}
	if len(t.Columns) > 0 {
		last, err := excelize.CoordinatesToCellName(len(t.Columns), 1)
		if err != nil {
			return fmt.Errorf("export %q: %w", t.Title, err)
		}
		if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
			return fmt.Errorf("export %q: %w", t.Title, err)
		}
	}
	for j, wd := range widths {
		col, err := excelize.ColumnNumberToName(j + 1)
		if err != nil {
			return fmt.Errorf("export %q: %w", t.Title, err)
		}
		if err := f.SetColWidth(sheet, col, col, float64(min(wd, 60)+2)); err != nil {
			return fmt.Errorf("export %q: %w", t.Title, err)
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("export %q: %w", t.Title, err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("export %q: %w", t.Title, err)
	}
	return nil
}

// sheetName fits a title to what Excel allows a sheet: at most 31
// characters, none of : \ / ? * [ ].
func sheetName(title string) string {
	s := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '-'
		}
		return r
	}, strings.TrimSpace(title))
	if s == "" {
		return "Отчёт"
	}
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	return s
}
