package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSystemdUnits checks deploy/systemd's unit files with systemd's own
// parser: an unknown key or a wrong value is a warning systemd would only
// log on the office's server, so any output fails. ExecStart points at a
// binary that exists here; the installed paths are checked by name.
func TestSystemdUnits(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze is missing: install the systemd package")
		}
		t.Skip("systemd-analyze is missing; the units are checked where systemd is installed")
	}
	units, err := filepath.Glob("../deploy/systemd/*.service")
	if err != nil || len(units) != 5 {
		t.Fatalf("units %v (%v), want the server's and the four terminals'", units, err)
	}
	exe := regexp.MustCompile(`(?m)^ExecStart=/usr/local/bin/(queue-server|talon-kiosk|talon-display|talon-panel|talon-rating)\b`)
	dir := t.TempDir()
	for _, u := range units {
		body, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		if !exe.Match(body) {
			t.Errorf("%s: ExecStart is not one of Talon's programs in /usr/local/bin", u)
		}
		dst := filepath.Join(dir, filepath.Base(u))
		if err := os.WriteFile(dst, exe.ReplaceAll(body, []byte("ExecStart=/bin/true")), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(analyze, "verify", dst).CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("%s: systemd-analyze verify: %v\n%s", u, err, out)
		}
	}
	server, err := os.ReadFile("../deploy/systemd/talon-queue-server.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Type=notify", "User=talon", "ProtectSystem=strict", "ReadWritePaths=/var/lib/talon", "Restart=on-failure", "WatchdogSec=", "TimeoutStartSec="} {
		if !strings.Contains(string(server), "\n"+want) {
			t.Errorf("the server's unit lacks %s", want)
		}
	}
}
