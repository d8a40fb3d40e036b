package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/talonqueue/talon/queue-server/region"
)

// officeKeys is --office ID=KEY, once per office.
type officeKeys map[string]string

func (o officeKeys) String() string { return "" }

func (o officeKeys) Set(v string) error {
	id, key, ok := strings.Cut(v, "=")
	if !ok || id == "" || key == "" {
		return fmt.Errorf("нужно ИД=КЛЮЧ, а указано %q", v)
	}
	if _, dup := o[id]; dup {
		return fmt.Errorf("офис %q указан дважды", id)
	}
	o[id] = key
	return nil
}

// regionAuthorization prints the accounts block of the region's
// nats-server configuration for the given users' public nkeys
// (docs/region.md, "Credentials and TLS").
func regionAuthorization(_ context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("region authorization")
	fs.SetOutput(stderr)
	u := region.AuthUsers{Offices: map[string]string{}}
	fs.StringVar(&u.Admin, "admin", "", "открытый ключ nkey администратора (U…): region join и region config")
	fs.StringVar(&u.Regional, "regional", "", "открытый ключ nkey регионального сервера (queue-server --region)")
	fs.Var(officeKeys(u.Offices), "office", "ИД=КЛЮЧ: офис и открытый ключ nkey связи его узла с регионом; по разу на офис")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("неизвестный аргумент %q", fs.Arg(0))
	}
	if u.Admin == "" && u.Regional == "" && len(u.Offices) == 0 {
		return errors.New("укажите ключи пользователей: --admin, --regional и --office ИД=КЛЮЧ для каждого офиса (ключи печатает nk -gen user -pubout)")
	}
	block, err := region.Authorization(u)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, block)
	return err
}
