package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"strings"
	"testing"
)

// TestHelpListsEveryCommandAndFlag: help, --help and -h succeed and list
// every command and every flag of the server; help COMMAND lists that
// command's flags; --version names the program.
func TestHelpListsEveryCommandAndFlag(t *testing.T) {
	none := func(string) string { return "" }
	for _, arg := range []string{"help", "--help", "-h"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{arg}, none, &out, io.Discard); err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		for _, c := range commands {
			if !strings.Contains(out.String(), "  "+c.name) {
				t.Errorf("%s does not list the command %s", arg, c.name)
			}
		}
		fs, _, err := serveFlagSet(none)
		if err != nil {
			t.Fatal(err)
		}
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(out.String(), "-"+f.Name+" ") && !strings.Contains(out.String(), "-"+f.Name+"\n") {
				t.Errorf("%s does not list the flag --%s", arg, f.Name)
			}
		})
	}
	for _, c := range commands {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"help", c.name}, none, &out, io.Discard); err != nil {
			t.Errorf("help %s: %v", c.name, err)
		}
		// backup verify reads a file, region join the region's cluster;
		// every other command works on a data folder.
		if !strings.Contains(out.String(), "-data") && c.name != "backup" && c.name != "region" {
			t.Errorf("help %s lists no --data:\n%s", c.name, out.String())
		}
	}
	if err := run(context.Background(), []string{"help", "no-such"}, none, io.Discard, io.Discard); err == nil {
		t.Error("help of an unknown command succeeded")
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, none, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "queue-server ") {
		t.Errorf("--version: %q, %v", out.String(), err)
	}
}
