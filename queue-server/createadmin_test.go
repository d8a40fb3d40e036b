package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/talonqueue/talon/queue-server/client"
)

// create-admin on a login that exists changes nothing unless asked with
// --reset-password, which then replaces the password and says so.
func TestCreateAdminRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	noEnv := func(string) string { return "" }
	createAdmin := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"create-admin", "--data", dir, "--login", "chief"}, args...), noEnv, &out, io.Discard)
		return out.String(), err
	}
	if _, err := createAdmin("--password", "first"); err != nil {
		t.Fatal(err)
	}
	_, err := createAdmin("--password", "second")
	if err == nil || !strings.Contains(err.Error(), "уже есть") || !strings.Contains(err.Error(), "--reset-password") {
		t.Fatalf("create-admin over an existing login = %v, want a refusal naming --reset-password", err)
	}
	if err := run(ctx, []string{"create-admin", "--data", dir, "--login", "nobody", "--password", "x1234", "--reset-password"}, noEnv, io.Discard, io.Discard); err == nil {
		t.Error("--reset-password of a login that does not exist was accepted")
	}
	url, stop := startServer(t, dir)
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, "chief", "first"); err != nil {
		t.Fatalf("the refused create-admin changed the password: %v", err)
	}
	stop()

	said, err := createAdmin("--password", "second", "--reset-password")
	if err != nil || !strings.Contains(said, "заменён") {
		t.Fatalf("create-admin --reset-password said %q, %v", said, err)
	}
	url, _ = startServer(t, dir)
	if c, err = client.New(url); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, "chief", "first"); err == nil {
		t.Error("the old password still works after --reset-password")
	}
	if a, err := c.Login(ctx, "chief", "second"); err != nil || a.Login != "chief" {
		t.Errorf("the new password: %+v, %v", a, err)
	}
}
