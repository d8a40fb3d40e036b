package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/internal/natstest"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/officefile"
	"github.com/talonqueue/talon/queue-server/region"
	"github.com/talonqueue/talon/queue-server/region/regiontest"
)

// regionConfigCmd runs `queue-server region config ARGS` and returns what
// it printed.
func regionConfigCmd(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), append([]string{"region", "config"}, args...), func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatalf("region config %v: %v", args, err)
	}
	return out.String()
}

var revisionRe = regexp.MustCompile(`ревизия (\d+)`)

// setOfficeConfig writes f and sets it as the office's configuration with
// `region config set`, returning its revision; extra are more flags of
// the command (its credentials).
func setOfficeConfig(t *testing.T, urls string, f *officefile.File, extra ...string) uint64 {
	t.Helper()
	body, err := f.Encode(false)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "office.yaml")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	out := regionConfigCmd(t, append(append([]string{"set", "--region", urls, "--office", f.Office.ID}, extra...), file)...)
	m := revisionRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("region config set says no revision: %s", out)
	}
	rev, _ := strconv.ParseUint(m[1], 10, 64)
	return rev
}

func categoryIDs(t *testing.T, c *client.Client, office string) []string {
	t.Helper()
	list, err := c.ListPriorityCategories(context.Background(), office)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, x := range list {
		ids = append(ids, x.ID)
	}
	return ids
}

// TestRegionConfig: an office's configuration set at the region reaches the
// office node (a real queue-server process) over JetStream; a change made
// while the office's link is cut waits, the office working on what it has,
// through a SIGKILL and a restart still cut off; when the link returns the
// change arrives by itself. A restart with the link up applies nothing
// again. `region config show` tells what the office reported.
func TestRegionConfig(t *testing.T) {
	ctx := context.Background()
	c := natstest.Start(t, region.RegionDomain)
	const id = "mfc-2"
	o := startNodeProcess(t, c, id, importedOffice(t, id), false)
	nc, err := region.Connect(c.URLs(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	status := func() region.ConfigStatus {
		cfg, err := region.GetConfig(ctx, js, id)
		if err != nil || cfg.Status == nil {
			return region.ConfigStatus{}
		}
		return *cfg.Status
	}

	f, err := officefile.Parse("demo.yaml", demo.File())
	if err != nil {
		t.Fatal(err)
	}
	f.Office.ID = id
	f.Announcements = nil // the office's own
	f.Categories = append(f.Categories, officefile.Category{ID: "pensioner", Name: "Пенсионеры", Level: 1})
	rev1 := setOfficeConfig(t, c.URLs(), f)
	kiosk := o.kiosk(t)
	regiontest.WaitFor(t, "the office takes the region's category", func() bool { return slices.Contains(categoryIDs(t, kiosk, id), "pensioner") })
	regiontest.WaitFor(t, "the office reports the revision", func() bool { return status().Applied == rev1 })

	// Cut off, the office misses a change and works on what it has, also
	// after a SIGKILL and a restart.
	o.proxy.Stop()
	if _, ok := natstest.StreamLast(nc, region.OfficeDomain(id), region.OfficeStream(id)); ok {
		t.Fatal("the office answers through a cut link")
	}
	f.Categories[len(f.Categories)-1] = officefile.Category{ID: "student", Name: "Студенты", Level: 1}
	rev2 := setOfficeConfig(t, c.URLs(), f)
	if err := o.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = o.cmd.Wait()
	if err := run(ctx, []string{"create-admin", "--data", o.dir, "--login", "admin", "--password", "demo"}, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	o.start(t)
	kiosk = o.kiosk(t)
	if got := categoryIDs(t, kiosk, id); !slices.Contains(got, "pensioner") || slices.Contains(got, "student") {
		t.Fatalf("the office restarted cut off has categories %v, want its last configuration's (pensioner, no student)", got)
	}
	if _, err := kiosk.IssueTicket(ctx, id, domain.IssueRequest{ServiceID: "passport"}); err != nil {
		t.Fatalf("the office cut off does not issue: %v", err)
	}
	if st := status(); st.Applied != rev1 {
		t.Fatalf("the region has a report of revision %d from an office cut off", st.Applied)
	}
	behind := fmt.Sprintf("%s: ревизия %d; офис на ревизии %d (", id, rev2, rev1)
	if all := regionConfigCmd(t, "show", "--region", c.URLs()); !strings.HasPrefix(all, behind) {
		t.Errorf("region config show of every office says\n%s\nwant it to start with\n%s", all, behind)
	}

	if err := o.proxy.Start(); err != nil {
		t.Fatal(err)
	}
	regiontest.WaitFor(t, "the change reaches the office once its link returns", func() bool {
		got := categoryIDs(t, kiosk, id)
		return slices.Contains(got, "student") && !slices.Contains(got, "pensioner")
	})
	// The region's sections are not changed through the office's API: it
	// answers where to change them. The office's own (announcements) are.
	admin := login(t, o.url, "admin")
	_, err = admin.PutPriorityCategory(ctx, domain.PriorityCategory{OfficeID: id, ID: "mine", Name: "Своя", Level: 1})
	if domain.ErrorCode(err) != domain.CodeForbidden || !strings.Contains(err.Error(), "Льготные категории этого офиса задаёт регион") {
		t.Errorf("the office's admin adding a category the region manages: %v", err)
	}
	if _, err := admin.PutAnnouncement(ctx, domain.Announcement{OfficeID: id, ID: "own", Text: "Своё объявление", Enabled: true}); err != nil {
		t.Errorf("the office's admin adding its own announcement: %v", err)
	}
	regiontest.WaitFor(t, "the office reports the new revision", func() bool { return status().Applied == rev2 })
	show := regionConfigCmd(t, "show", "--region", c.URLs(), "--office", id)
	for _, want := range []string{"ревизия " + strconv.FormatUint(rev2, 10), "работает на ревизии " + strconv.FormatUint(rev2, 10), "свои разделы: announcements"} {
		if !strings.Contains(show, want) {
			t.Errorf("region config show does not say %q:\n%s", want, show)
		}
	}
	if all, want := regionConfigCmd(t, "show", "--region", c.URLs()), id+": ревизия "+strconv.FormatUint(rev2, 10)+"; офис на ней\n"; all != want {
		t.Errorf("region config show of every office says\n%s\nwant\n%s", all, want)
	}

	// Restarted with its link up, the office reports again and applies
	// nothing again: each revision is journaled once.
	o.stop(t)
	restarted := time.Now()
	o.start(t)
	regiontest.WaitFor(t, "the restarted office reports", func() bool { return status().At.After(restarted) })
	if st := status(); st.Applied != rev2 || !slices.Equal(st.Local, []string{"announcements"}) {
		t.Errorf("the restarted office reports %+v, want revision %d with the announcements its own", st, rev2)
	}
	records := officeJournal(t, o.url, login(t, o.url, "manager"), id, "")
	applied := map[string]int{}
	fromRegion := 0
	for _, r := range records {
		if r.Action == "applyRegionConfig" && r.Result == domain.JournalOK {
			applied[r.Object]++
		}
		if r.Action != "applyRegionConfig" && r.Address == "регион, ревизия "+strconv.FormatUint(rev2, 10) {
			fromRegion++
		}
	}
	want := map[string]int{"config/" + strconv.FormatUint(rev1, 10): 1, "config/" + strconv.FormatUint(rev2, 10): 1}
	// Revision 2 deletes pensioner and creates student, nothing else.
	if !maps.Equal(applied, want) || fromRegion != 2 {
		t.Errorf("journal: revisions applied %v, want %v; %d changes of revision %d, want 2", applied, want, fromRegion, rev2)
	}
}
