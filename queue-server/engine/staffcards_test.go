package engine

import (
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

// cardHash stands for a card's code the caller hashed.
func cardHash(n int) string { return domain.HashSecret(domain.StaffCardFrom([16]byte{byte(n)})) }

func TestStaffCardsFollowAccountRights(t *testing.T) {
	f := newFixture(t)
	sys := domain.System
	f.must(f.e.PutOffice(sys, domain.Office{ID: "o2", Name: "Другой офис", TimeZone: "Europe/Moscow"}, &f.log))
	region := domain.Actor{Login: "root", Role: domain.RoleAdmin}
	admin1 := domain.Actor{Login: "admin1", Role: domain.RoleAdmin, OfficeID: "o1"}
	admin2 := domain.Actor{Login: "admin2", Role: domain.RoleAdmin, OfficeID: "o2"}
	for _, acc := range []domain.Account{
		{Login: "root", Role: domain.RoleAdmin, PasswordHash: "h"},
		{Login: "admin1", Role: domain.RoleAdmin, OfficeID: "o1", PasswordHash: "h"},
		{Login: "op1", Role: domain.RoleOperator, OfficeID: "o1", OperatorID: "op1", PasswordHash: "h"},
	} {
		f.must(f.e.PutAccount(sys, acc, &f.log))
	}
	tests := []struct {
		name  string
		actor domain.Actor
		login string
		code  domain.Code
	}{
		{"office admin, own office's operator", admin1, "op1", ""},
		{"office admin, another office's operator", admin2, "op1", domain.CodeForbidden},
		{"office admin, a region admin", admin1, "root", domain.CodeForbidden},
		{"operator, own card", f.op1, "op1", domain.CodeForbidden},
		{"hall administrator", f.hall, "op1", domain.CodeForbidden},
		{"kiosk", f.kiosk, "op1", domain.CodeForbidden},
		{"nobody", domain.Actor{}, "op1", domain.CodeUnauthorized},
		{"region admin, a region admin", region, "root", ""},
		{"region admin, no such login", region, "ghost", domain.CodeNotFound},
		{"operator, no such login", f.op1, "ghost", domain.CodeForbidden},
	}
	for _, tc := range tests {
		before, _ := f.e.Account(tc.login)
		var ch domain.Changes
		_, err := f.e.IssueStaffCard(tc.actor, tc.login, cardHash(1), &ch)
		if domain.ErrorCode(err) != tc.code {
			t.Errorf("issue, %s: error %v, want code %q", tc.name, err, tc.code)
		}
		if after, _ := f.e.Account(tc.login); err != nil && (after.CardHash != before.CardHash || !ch.Empty()) {
			t.Errorf("issue, %s: a refused card touched the account or wrote %+v", tc.name, ch)
		}
		if tc.code == "" {
			continue
		}
		_, err = f.e.RevokeStaffCard(tc.actor, tc.login, &ch)
		if domain.ErrorCode(err) != tc.code {
			t.Errorf("revoke, %s: error %v, want code %q", tc.name, err, tc.code)
		}
	}
}

func TestStaffCardReplacedAndRevoked(t *testing.T) {
	f := newFixture(t)
	admin1 := domain.Actor{Login: "admin1", Role: domain.RoleAdmin, OfficeID: "o1"}
	f.must(f.e.PutAccount(domain.System, domain.Account{Login: "op1", Role: domain.RoleOperator, OfficeID: "o1", OperatorID: "op1", PasswordHash: "h"}, &f.log))

	acc := must(f.e.IssueStaffCard(admin1, "op1", cardHash(1), &f.log))
	if acc.CardHash != "" || acc.PasswordHash != "" || acc.CardIssuedAt == nil || !acc.CardIssuedAt.Equal(f.now) {
		t.Fatalf("issued: %+v; want the time, and no hash shown", acc)
	}
	if got, ok := f.e.AccountByCard(cardHash(1)); !ok || got.Login != "op1" {
		t.Fatalf("the card finds %+v, %v", got, ok)
	}
	version := acc.Version

	// A PUT of the account (new name, or card_issued_at sent back) keeps the card.
	f.must(f.e.PutAccount(admin1, domain.Account{Login: "op1", Role: domain.RoleOperator, OfficeID: "o1", OperatorID: "op1", FullName: "Иванова"}, &f.log))
	if _, ok := f.e.AccountByCard(cardHash(1)); !ok {
		t.Fatal("a change of the account dropped its card")
	}

	f.must(f.e.IssueStaffCard(admin1, "op1", cardHash(2), &f.log))
	if _, ok := f.e.AccountByCard(cardHash(1)); ok {
		t.Fatal("the replaced card still finds the account")
	}
	if _, ok := f.e.AccountByCard(cardHash(2)); !ok {
		t.Fatal("the new card finds no one")
	}

	acc = must(f.e.RevokeStaffCard(admin1, "op1", &f.log))
	if acc.CardIssuedAt != nil || acc.Version != version+1 {
		t.Fatalf("revoked: %+v; want no card and version %d", acc, version+1)
	}
	if _, ok := f.e.AccountByCard(cardHash(2)); ok {
		t.Fatal("the revoked card still finds the account")
	}
	if _, ok := f.e.Actors()["op1"]; !ok || f.e.Actors()["op1"].Version != version+1 {
		t.Fatal("the token table does not have the new version")
	}
	_, err := f.e.RevokeStaffCard(admin1, "op1", &f.log)
	wantCode(t, err, domain.CodeConflict)

	// The card survives a reload from what was committed.
	f.must(f.e.IssueStaffCard(admin1, "op1", cardHash(3), &f.log))
	e2, err := Load(f.config(), fold(f.log))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := e2.AccountByCard(cardHash(3)); !ok || got.CardIssuedAt == nil {
		t.Fatalf("after reload the card finds %+v, %v", got, ok)
	}
}
