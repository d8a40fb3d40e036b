package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/store"
)

// The real server keeps its rollups as it commits; `stats rebuild` on its
// stopped file recomputes them from the log and gets the same report.
func TestStatsRebuildGivesTheSameReport(t *testing.T) {
	dir := t.TempDir()
	url, stop := startServer(t, dir, "--demo")
	ctx := context.Background()
	kiosk, op := login(t, url, "kiosk1"), login(t, url, "operator1")
	for range 3 {
		must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	}
	must[domain.WindowState](t)(op.OpenWindowSession(ctx, demo.OfficeID, "w1"))
	called := must[domain.Ticket](t)(op.CallNext(ctx, demo.OfficeID, "w1", false))
	must[domain.Ticket](t)(op.FinishTicket(ctx, demo.OfficeID, called.ID))
	must[domain.WindowState](t)(op.CloseWindowSession(ctx, demo.OfficeID, "w1"))
	stop()

	// The server's clock is the real one: the report spans yesterday to
	// tomorrow, whatever the office's zone makes of today.
	now := time.Now()
	q := domain.StatsQuery{OfficeIDs: []string{demo.OfficeID}, From: now.AddDate(0, 0, -1).Format(time.DateOnly), To: now.AddDate(0, 0, 1).Format(time.DateOnly), By: domain.StatsByService}
	before := statsReport(t, dir, q)
	if m := before.Total; m.Issued != 3 || m.Served != 1 || m.Waited != 1 || m.OpenSeconds < m.ServingSeconds {
		t.Fatalf("report of the day as committed: %+v", m)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"stats", "rebuild", "--data", dir}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Статистика пересчитана") {
		t.Errorf("rebuild said %q", out.String())
	}
	if after := statsReport(t, dir, q); !reflect.DeepEqual(after, before) {
		t.Errorf("after the rebuild:\n%+v\nbefore:\n%+v", after, before)
	}
}

func statsReport(t *testing.T, dir string, q domain.StatsQuery) domain.StatsReport {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, dbFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep, err := st.Stats(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}
