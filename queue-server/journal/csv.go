package journal

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// bom makes Excel read the file as UTF-8 rather than the ANSI code page.
const bom = "\ufeff"

var csvHeader = []string{"Журнал", "№", "Время", "Кто", "Роль", "Устройство", "Адрес", "Действие",
	"Офис", "Талон", "Объект", "Результат", "Сообщение", "Хеш предыдущей", "Хеш"}

// WriteCSV writes records as CSV for a spreadsheet: UTF-8 with a BOM,
// semicolons (the list separator of Russian Excel), times in loc.
func WriteCSV(w io.Writer, records []domain.JournalRecord, loc *time.Location) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return fmt.Errorf("write journal csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write journal csv: %w", err)
	}
	for _, r := range records {
		row := []string{ChainName(r.Chain), strconv.FormatUint(r.Seq, 10), r.At.In(loc).Format(time.DateTime),
			r.Actor, string(r.Role), r.Device, r.Address, r.Action, r.OfficeID, r.TicketID, r.Object,
			r.Result, r.Message, r.PrevHash, r.Hash}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write journal csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write journal csv: %w", err)
	}
	return nil
}
