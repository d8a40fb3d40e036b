package main

import (
	"io"
	"testing"
)

func TestMemoryLimitFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		want memoryLimit
		bad  bool
	}{
		{nil, "", 0, false},
		{[]string{"--memory-limit", "448MiB"}, "", 448 << 20, false},
		{[]string{"--memory-limit", "1GiB"}, "", 1 << 30, false},
		{[]string{"--memory-limit", "65536"}, "", 65536, false},
		{nil, "512MiB", 512 << 20, false},
		{[]string{"--memory-limit", "256MiB"}, "512MiB", 256 << 20, false}, // the flag over the environment
		{[]string{"--memory-limit", "lots"}, "", 0, true},
		{[]string{"--memory-limit", "-1MiB"}, "", 0, true},
		{[]string{"--memory-limit", "512MB"}, "", 0, true}, // GOMEMLIMIT's units only
		{nil, "9999999999GiB", 0, true},
	} {
		f, err := parseServe(tc.args, func(k string) string {
			if k == "TALON_MEMORY_LIMIT" {
				return tc.env
			}
			return ""
		}, io.Discard)
		if (err != nil) != tc.bad || (!tc.bad && f.memoryLimit != tc.want) {
			t.Errorf("%v with TALON_MEMORY_LIMIT=%q: %v, %v; want %v, refused %v", tc.args, tc.env, f.memoryLimit, err, tc.want, tc.bad)
		}
	}
	if s := memoryLimit(448 << 20); s.String() != "448MiB" {
		t.Errorf("448 MiB prints as %s", s.String())
	}
}
