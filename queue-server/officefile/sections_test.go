package officefile_test

import (
	"reflect"
	"testing"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/officefile"
)

// A section the file holds, even empty, is the file's; one it leaves out
// is taken from the office's own.
func TestKeepLocalTakesTheSectionsLeftOut(t *testing.T) {
	own, err := officefile.Parse("demo.yaml", demo.File())
	if err != nil {
		t.Fatal(err)
	}
	f, err := officefile.Parse("region.yaml", []byte(small+"announcements: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	services, windows := f.Services, f.Windows
	kept := f.KeepLocal(own)
	if want := []string{"operators", "accounts", "devices", "priority_categories"}; !reflect.DeepEqual(kept, want) {
		t.Errorf("kept %v, want %v", kept, want)
	}
	if !reflect.DeepEqual(f.Services, services) || !reflect.DeepEqual(f.Windows, windows) || len(f.Announcements) != 0 {
		t.Errorf("the file's own sections changed: %d services, %d windows, %d announcements", len(f.Services), len(f.Windows), len(f.Announcements))
	}
	if len(own.Operators) == 0 || len(own.Categories) == 0 || !reflect.DeepEqual(f.Operators, own.Operators) || !reflect.DeepEqual(f.Accounts, own.Accounts) ||
		!reflect.DeepEqual(f.Devices, own.Devices) || !reflect.DeepEqual(f.Categories, own.Categories) {
		t.Error("the sections left out are not the office's own")
	}
}
