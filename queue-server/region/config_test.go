package region_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/officefile"
	"github.com/talonqueue/talon/queue-server/region"
	"github.com/talonqueue/talon/queue-server/region/regiontest"
)

// follow runs the node's configuration follower until the test ends.
func (o *office) follow() *region.ConfigFollower {
	o.t.Helper()
	f := o.node.FollowConfig(o.svc, o.st, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	o.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			o.t.Error(err)
		}
	})
	return f
}

// applied is the revision the office's store says it applied last.
func (o *office) applied() uint64 {
	o.t.Helper()
	rev, err := o.st.RegionConfigRevision(context.Background(), demo.OfficeID)
	if err != nil {
		o.t.Fatal(err)
	}
	return rev
}

func ids[T any](t testing.TB, list func(context.Context, string) ([]T, error), id func(T) string) []string {
	t.Helper()
	items, err := list(domain.WithActor(context.Background(), domain.System), demo.OfficeID)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(items))
	for i, x := range items {
		out[i] = id(x)
	}
	return out
}

// setConfig makes f, encoded, the office's configuration at the region.
func setConfig(t testing.TB, h *regiontest.Hub, f *officefile.File) uint64 {
	t.Helper()
	body, err := f.Encode(false)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := region.SetConfig(context.Background(), h.JS, demo.OfficeID, "office.yaml", body)
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

func status(t *testing.T, h *regiontest.Hub) region.ConfigStatus {
	t.Helper()
	c, err := region.GetConfig(context.Background(), h.JS, demo.OfficeID)
	if err != nil || c.Status == nil {
		return region.ConfigStatus{}
	}
	return *c.Status
}

// The region's configuration of an office reaches its node and is applied:
// the sections the region's file holds become the region's, those it
// leaves out stay the office's own. A revision the office cannot apply yet
// (it would delete a service with a ticket waiting) is refused whole,
// journaled and reported, and applied by itself once the reason is gone.
func TestConfigFlowsDownToTheOffice(t *testing.T) {
	h := regiontest.Start(t)
	o := newOffice(t, h)
	o.startNode()
	h.WaitOffice(demo.OfficeID)
	follower := o.follow()
	ctx := domain.WithActor(context.Background(), domain.System)
	if _, err := o.svc.PutAnnouncement(ctx, domain.Announcement{OfficeID: demo.OfficeID, ID: "local", Text: "Своё объявление офиса", Enabled: true}); err != nil {
		t.Fatal(err)
	}

	f, err := officefile.Parse("demo.yaml", demo.File())
	if err != nil {
		t.Fatal(err)
	}
	f.Announcements = nil // the office's own
	f.Services = append(f.Services, officefile.Service{ID: "extra", Name: "Справка", Letter: "Я"})
	f.Categories = append(f.Categories, officefile.Category{ID: "pensioner", Name: "Пенсионеры", Level: 1})
	rev1 := setConfig(t, h, f)
	regiontest.WaitFor(t, "the office applies the region's configuration", func() bool { return o.applied() == rev1 })
	if got := ids(t, o.svc.ListServices, func(s domain.Service) string { return s.ID }); !slices.Contains(got, "extra") {
		t.Errorf("services %v: the region's extra is missing", got)
	}
	if got := ids(t, o.svc.ListPriorityCategories, func(c domain.PriorityCategory) string { return c.ID }); !slices.Contains(got, "pensioner") {
		t.Errorf("categories %v: the region's pensioner is missing", got)
	}
	if got := ids(t, o.svc.ListAnnouncements, func(a domain.Announcement) string { return a.ID }); !slices.Contains(got, "local") {
		t.Errorf("announcements %v: the office's own was deleted", got)
	}
	regiontest.WaitFor(t, "the office reports it", func() bool { return status(t, h).Applied == rev1 })
	if st := status(t, h); !slices.Equal(st.Local, []string{"announcements"}) || st.Refused != 0 {
		t.Errorf("status %+v, want the announcements local and nothing refused", st)
	}

	// Through the office's API, the staff change the sections the office
	// keeps, and a login's password; the region's sections are refused.
	api := follower.Guard(o.svc)
	admin := domain.WithActor(context.Background(), domain.Actor{Login: "admin", Role: domain.RoleAdmin, OfficeID: demo.OfficeID})
	if _, err := api.PutAnnouncement(admin, domain.Announcement{OfficeID: demo.OfficeID, ID: "local-2", Text: "Ещё одно", Enabled: true}); err != nil {
		t.Errorf("the office's own announcements: %v", err)
	}
	if _, err := api.PutPriorityCategory(admin, domain.PriorityCategory{OfficeID: demo.OfficeID, ID: "mine", Name: "Своя", Level: 1}); domain.ErrorCode(err) != domain.CodeForbidden ||
		!strings.Contains(err.Error(), "Льготные категории этого офиса задаёт регион") || !strings.Contains(err.Error(), "ревизия "+strconv.FormatUint(rev1, 10)) {
		t.Errorf("a category of the region's section: %v", err)
	}
	if err := api.DeleteService(admin, demo.OfficeID, "extra"); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("a service of the region's section deleted: %v", err)
	}
	accounts, err := o.svc.ListAccounts(ctx, demo.OfficeID)
	if err != nil || len(accounts) == 0 {
		t.Fatal(accounts, err)
	}
	reset := domain.AccountInput{Account: accounts[0], Password: "new-secret"}
	if _, err := api.PutAccount(admin, reset); err != nil {
		t.Errorf("a password reset at the office: %v", err)
	}
	reset.FullName += " (переименован)"
	if _, err := api.PutAccount(admin, reset); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("a login of the region's section renamed: %v", err)
	}

	// A ticket waits for extra; the region removes extra.
	ticket, err := o.svc.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "extra"})
	if err != nil {
		t.Fatal(err)
	}
	f.Services = f.Services[:len(f.Services)-1]
	rev2 := setConfig(t, h, f)
	regiontest.WaitFor(t, "the office refuses the revision and says why", func() bool { return status(t, h).Refused == rev2 })
	if st := status(t, h); st.Applied != rev1 || !strings.Contains(st.Reason, "extra") {
		t.Errorf("status %+v, want %d applied and a reason naming extra", st, rev1)
	}
	if o.applied() != rev1 || !slices.Contains(ids(t, o.svc.ListServices, func(s domain.Service) string { return s.ID }), "extra") {
		t.Fatal("a refused revision changed the office")
	}
	records, err := o.svc.ListJournal(ctx, demo.OfficeID, domain.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var refused, byRegion int
	for _, r := range records {
		if r.Action == "applyRegionConfig" && r.Object == "config/"+strconv.FormatUint(rev2, 10) && r.Result != domain.JournalOK && strings.Contains(r.Message, "extra") {
			refused++
		}
		if r.Action != "applyRegionConfig" && r.Actor == "system" && r.Address == "регион, ревизия "+strconv.FormatUint(rev1, 10) {
			byRegion++
		}
	}
	// Revision 1 creates extra and pensioner, nothing else.
	if refused != 1 || byRegion != 2 {
		t.Errorf("the journal holds %d refusals of revision %d (want 1) and %d changes from revision %d (want 2)", refused, rev2, byRegion, rev1)
	}

	if _, err := o.svc.CancelTicket(ctx, demo.OfficeID, ticket.ID); err != nil {
		t.Fatal(err)
	}
	regiontest.WaitFor(t, "the refused revision applied once its reason is gone", func() bool { return o.applied() == rev2 })
	if slices.Contains(ids(t, o.svc.ListServices, func(s domain.Service) string { return s.ID }), "extra") {
		t.Error("the region removed extra, the office still has it")
	}
	regiontest.WaitFor(t, "the office reports it", func() bool { st := status(t, h); return st.Applied == rev2 && st.Refused == 0 })
}
