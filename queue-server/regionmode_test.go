package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// Region mode refuses what it cannot honour before it connects anywhere:
// an address others can reach (its pages have no login), the demo office,
// a join that does not say which office or whose office file cannot be
// read, and an office node told to feed ИС МДМ itself (the region does).
func TestRegionModeRefusals(t *testing.T) {
	none := func(string) string { return "" }
	data := t.TempDir()
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
	} {
		err := run(context.Background(), c.args, none, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error mentioning %q", c.args, err, c.want)
		}
	}
}
