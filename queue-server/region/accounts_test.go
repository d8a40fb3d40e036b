package region

import (
	"errors"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

// A regional account signs in with its password only; a new password
// raises its version, which ends the tokens of the old one; a file without
// accounts has no login.
func TestRegionalAccounts(t *testing.T) {
	r := openTestRegional(t)
	if has, err := r.HasAccounts(); err != nil || has {
		t.Fatalf("a new file has accounts: %v %v", has, err)
	}
	for _, c := range []struct{ login, password string }{{"bad login", "secret"}, {"region", "abc"}, {"", "secret"}} {
		var de *domain.Error
		if _, err := r.SetAccount(c.login, c.password, 4); !errors.As(err, &de) || de.Code != domain.CodeInvalid {
			t.Errorf("account %q with password %q: %v", c.login, c.password, err)
		}
	}
	if existed, err := r.SetAccount("region", "secret1", 4); err != nil || existed {
		t.Fatalf("first account: existed %v, %v", existed, err)
	}
	if has, _ := r.HasAccounts(); !has {
		t.Fatal("no accounts after one was made")
	}
	first, err := r.Login("region", "secret1")
	if err != nil || first.Role != domain.RoleManager || first.OfficeID != "" {
		t.Fatalf("login: %+v %v", first, err)
	}
	if err := r.CheckActor(first); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ login, password string }{{"region", "wrong"}, {"nobody", "secret1"}} {
		if _, err := r.Login(c.login, c.password); domain.ErrorMessage(err) != "неверный логин или пароль" {
			t.Errorf("login %s/%s: %v", c.login, c.password, err)
		}
	}
	if existed, err := r.SetAccount("region", "secret2", 4); err != nil || !existed {
		t.Fatalf("new password: existed %v, %v", existed, err)
	}
	if err := r.CheckActor(first); err == nil {
		t.Error("the old password's sign-in still holds")
	}
	second, err := r.Login("region", "secret2")
	if err != nil || second.Version != first.Version+1 || r.CheckActor(second) != nil {
		t.Fatalf("login with the new password: %+v %v", second, err)
	}
	if err := r.CheckActor(domain.Actor{Login: "region", Role: domain.RoleAdmin, Version: second.Version}); err == nil {
		t.Error("a token of another role holds")
	}
}
