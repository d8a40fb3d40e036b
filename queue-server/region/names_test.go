package region

import "testing"

// Office ids that differ give names that differ, and every name is one NATS
// token: no '.', '*', '>' or space.
func TestNamesAreTokens(t *testing.T) {
	ids := []string{"mfc-1", "mfc_1", "mfc.1", "mfc_2E1", "MFC-1", "a", "a.b.c"}
	seen := map[string]string{}
	for _, id := range ids {
		for _, name := range []string{OfficeDomain(id), OfficeStream(id)} {
			if other, ok := seen[name]; ok {
				t.Fatalf("%q and %q both give %q", other, id, name)
			}
			seen[name] = id
			for _, c := range name {
				if c == '.' || c == '*' || c == '>' || c == ' ' {
					t.Fatalf("%q gives %q, not one token", id, name)
				}
			}
		}
		if got, want := OfficeSubject(id), "talon.office."+token(id)+".events"; got != want {
			t.Fatalf("subject of %q: %q", id, got)
		}
	}
}
