package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/talonqueue/talon/queue-server/demo"
)

// Region mode refuses what it cannot honour before it connects anywhere:
// an address others can reach (its pages have no login), the demo office,
// a join that does not say which office or whose office file cannot be
// read, an office node told to feed ИС МДМ itself (the region does), and
// an office's configuration that is not one (at its line) or is another
// office's.
func TestRegionModeRefusals(t *testing.T) {
	none := func(string) string { return "" }
	data := t.TempDir()
	bad, other := filepath.Join(data, "bad.yaml"), filepath.Join(data, "other.yaml")
	if err := os.WriteFile(bad, []byte("format: talon-office/1\noffice:\n  id: demo\n  colour: red\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, demo.File(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--region", "nats://127.0.0.1:1", "--addr", "0.0.0.0:8090", "--insecure-http", "--data", data}, "только локальный адрес"},
		{[]string{"--region", "nats://127.0.0.1:1", "--addr", "127.0.0.1:0", "--tls-self-signed", "--data", data}, "только локальный адрес"},
		{[]string{"--region", "nats://127.0.0.1:1", "--addr", "127.0.0.1:0", "--demo", "--data", data}, "--demo"},
		{[]string{"region", "join", "--region", "nats://127.0.0.1:1"}, "--office"},
		{[]string{"region", "leave"}, "region join"},
		{[]string{"region", "join", "--region", "nats://127.0.0.1:1", "--office", "a", "--office-file", data + "/none.yaml"}, "файл офиса"},
		{[]string{"--office-node", "--region-url", "nats-leaf://127.0.0.1:1", "--mdm-url", "http://127.0.0.1:1/mdm", "--data", data}, "региональный сервер"},
		{[]string{"region", "config"}, "region config set"},
		{[]string{"region", "config", "set", "--region", "nats://127.0.0.1:1", "--office", "demo"}, "один файл"},
		{[]string{"region", "config", "set", "--region", "nats://127.0.0.1:1", "--office", "demo", bad}, "bad.yaml:4: неизвестный ключ «colour»"},
		{[]string{"region", "config", "set", "--region", "nats://127.0.0.1:1", "--office", "mfc-2", other}, "описывает офис \"demo\", а не \"mfc-2\""},
		{[]string{"region", "config", "show", "--region", "nats://127.0.0.1:1", "--out", other}, "--office"},
		{[]string{"region", "config", "set", "--region", "nats://127.0.0.1:1", other}, "--office"},
		{[]string{"region", "config", "show", "--office", "demo"}, "--region"},
	} {
		err := run(context.Background(), c.args, none, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error mentioning %q", c.args, err, c.want)
		}
	}
}

// TestRegionHelpFollowsItsActions: help region lists every action's flags,
// help region config only those of config set and config show, and the
// command list names each action's first word once, so a new action shows
// up in all three without being written three times.
func TestRegionHelpFollowsItsActions(t *testing.T) {
	none := func(string) string { return "" }
	helpOf := func(args ...string) string {
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"help"}, args...), none, &out, io.Discard); err != nil {
			t.Fatalf("help %v: %v", args, err)
		}
		return out.String()
	}
	all, config := helpOf("region"), helpOf("region", "config")
	listed, actions := map[string]bool{}, map[string]bool{}
	for _, c := range commands {
		if c.name == "region" {
			listed[c.action] = true
		}
	}
	for _, a := range regionActions {
		head := "queue-server region " + a.name + "\n"
		if !strings.Contains(all, head) {
			t.Errorf("help region lacks %q", a.name)
		}
		if strings.HasPrefix(a.name, "config ") != strings.Contains(config, head) {
			t.Errorf("help region config and %q disagree:\n%s", a.name, config)
		}
		first := strings.Fields(a.name)[0]
		if !listed[first] {
			t.Errorf("the command list has no row for region %s", first)
		}
		actions[first] = true
	}
	if !strings.Contains(all, "\n  -") {
		t.Errorf("help region lists no flags:\n%s", all)
	}
	for action := range listed {
		if !actions[action] {
			t.Errorf("the command list names region %s, which is no action", action)
		}
	}
}
