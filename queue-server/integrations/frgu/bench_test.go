package frgu

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
)

// BenchmarkRegisterImport measures a large office's register file: 1,000
// rows of 30 authorities (the largest МФЦ offer a few hundred services),
// 300 of them the office's own services renamed, the rest new. It reports the time to read the file (outside the writer)
// and to apply it (what the writer holds its lock for, before the fsync),
// for the first import and for a re-import that changes nothing.
func BenchmarkRegisterImport(b *testing.B) {
	const rows, own, authorities = 1000, 300, 30
	var file bytes.Buffer
	file.WriteString("authority_id;authority_name;service_id;service_name;procedure_id;procedure_name;purpose\n")
	for i := range rows {
		fmt.Fprintf(&file, "%d;Орган власти №%d;%d;Услуга №%d;%d;Процедура №%d из реестра;подача документов\n",
			10000000000+i%authorities, i%authorities, 20000000000+i/2, i/2, 30000000000+i, i)
	}
	f := domain.RegisterFile{Format: domain.RegisterCSV, Data: file.Bytes()}
	var parse, first, again time.Duration
	for range b.N {
		e := engine.New(engine.Config{Now: time.Now, TZ: time.LoadLocation})
		var ch domain.Changes
		if _, err := e.PutOffice(domain.System, domain.Office{ID: "o1", Name: "Офис", TimeZone: "Europe/Moscow"}, &ch); err != nil {
			b.Fatal(err)
		}
		for i := range own {
			s := domain.Service{ID: fmt.Sprintf("s%d", i), OfficeID: "o1", Name: fmt.Sprintf("Наша услуга %d", i), Prefix: "А",
				FRGU: domain.FRGU{AuthorityID: fmt.Sprint(10000000000 + i%authorities), ServiceID: fmt.Sprint(20000000000 + i/2), ProcedureID: fmt.Sprint(30000000000 + i)}}
			if _, err := e.PutService(domain.System, s, &ch); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		entries, skipped, err := Parse(f)
		parse += time.Since(start)
		if err != nil || len(entries) != rows {
			b.Fatalf("%d entries, %v", len(entries), err)
		}
		start = time.Now()
		rep, err := e.ImportRegister(domain.System, "o1", entries, skipped, false, &ch)
		first += time.Since(start)
		if err != nil || len(rep.Updated) != own || len(rep.Created) != rows-own+authorities {
			b.Fatalf("first import: %d updated, %d created, %v", len(rep.Updated), len(rep.Created), err)
		}
		start = time.Now()
		rep, err = e.ImportRegister(domain.System, "o1", entries, skipped, false, &ch)
		again += time.Since(start)
		if err != nil || len(rep.Unchanged) != rows {
			b.Fatalf("re-import: %d unchanged, %v", len(rep.Unchanged), err)
		}
	}
	n := float64(b.N)
	b.ReportMetric(rows, "rows")
	b.ReportMetric(parse.Seconds()*1000/n, "parse_ms")
	b.ReportMetric(first.Seconds()*1000/n, "apply_ms")
	b.ReportMetric(again.Seconds()*1000/n, "reimport_ms")
	b.ReportMetric(0, "ns/op")
}
