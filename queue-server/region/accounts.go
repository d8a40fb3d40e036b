package region

import (
	"encoding/json"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The regional server's own accounts, who may open its pages, are kept in
// region.db beside what the events made; the bucket is created by the
// first account, so a file without it (no login) needs no migration:
//
//	region_accounts/
//	  <login> -> JSON regionAccount: bcrypt hash, version
//
// A new password raises the version: the tokens of the old one stop.
var bucketAccounts = []byte("region_accounts")

type regionAccount struct {
	Hash    string `json:"hash"`
	Version int    `json:"version"`
}

// SetAccount creates a regional account or gives it a new password; cost
// is bcrypt's (0: the library's default). It reports whether the account
// existed.
func (r *Regional) SetAccount(login, password string, cost int) (existed bool, err error) {
	if !domain.IsID(login) {
		return false, domain.Errorf(domain.CodeInvalid, "логин %q: только латинские буквы, цифры, точка, дефис и подчёркивание", login)
	}
	if n := len(password); n < 4 || n > 72 {
		return false, domain.Errorf(domain.CodeInvalid, "пароль должен быть от 4 до 72 символов")
	}
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return false, fmt.Errorf("region: hash password: %w", err)
	}
	err = r.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketAccounts)
		if err != nil {
			return fmt.Errorf("region: accounts: %w", err)
		}
		var acc regionAccount
		if v := b.Get([]byte(login)); v != nil {
			existed = true
			if err := json.Unmarshal(v, &acc); err != nil {
				return fmt.Errorf("region: account %q: %w", login, err)
			}
		}
		acc.Hash, acc.Version = string(h), acc.Version+1
		v, _ := json.Marshal(acc)
		return b.Put([]byte(login), v)
	})
	return existed, err
}

// account reads login's account; ok is false without one.
func (r *Regional) account(login string) (acc regionAccount, ok bool, err error) {
	err = r.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAccounts)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(login))
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &acc)
	})
	if err != nil {
		return regionAccount{}, false, fmt.Errorf("region: account %q: %w", login, err)
	}
	return acc, ok, nil
}

// HasAccounts reports whether the regional server has accounts: then its
// pages and data need a login.
func (r *Regional) HasAccounts() (bool, error) {
	var has bool
	err := r.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAccounts)
		has = b != nil && b.Stats().KeyN > 0
		return nil
	})
	return has, err
}

// decoyHash is compared against for a login that does not exist, so that
// a refusal takes as long either way and does not tell which logins exist.
var decoyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("no such login"), bcrypt.DefaultCost)
	return h
})

// Login checks a regional account's password and returns who it is: a
// manager of the whole region (no office), who watches, never changes.
func (r *Regional) Login(login, password string) (domain.Actor, error) {
	acc, ok, err := r.account(login)
	if err != nil {
		return domain.Actor{}, err
	}
	hash := []byte(acc.Hash)
	if !ok {
		hash = decoyHash()
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !ok {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "неверный логин или пароль")
	}
	return domain.Actor{Login: login, Role: domain.RoleManager, Version: acc.Version}, nil
}

// CheckActor reports whether a token's actor still holds: its account
// exists with the token's version (a new password ends old tokens).
func (r *Regional) CheckActor(a domain.Actor) error {
	acc, ok, err := r.account(a.Login)
	if err != nil {
		return err
	}
	if !ok || acc.Version != a.Version || a.Role != domain.RoleManager || a.OfficeID != "" {
		return domain.Errorf(domain.CodeUnauthorized, "вход больше не действует, войдите снова")
	}
	return nil
}
