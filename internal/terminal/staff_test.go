package terminal

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadStaff(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kiosk1.json")
	if err := os.WriteFile(file, []byte(`{"server":"http://10.0.0.5:8080","office_id":"demo","device_id":"kiosk1","credential":"secret"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	c, err := LoadStaff("p", []string{"-config", file}, env(nil), io.Discard)
	if err != nil || c.Server != "http://10.0.0.5:8080" || c.Credential != "" || c.DeviceID != "" || c.Language != Russian {
		t.Errorf("from the file: %+v, %v; want the server only, no credential", c, err)
	}
	c, err = LoadStaff("p", []string{"-config", file, "-server", "http://127.0.0.1:8080", "-lang", "en"}, env(map[string]string{EnvServer: "http://x:1"}), io.Discard)
	if err != nil || c.Server != "http://127.0.0.1:8080" || c.Language != English {
		t.Errorf("the flag wins: %+v, %v", c, err)
	}
	c, err = LoadStaff("p", nil, env(map[string]string{EnvServer: "http://x:1"}), io.Discard)
	if err != nil || c.Server != "http://x:1" {
		t.Errorf("from the environment: %+v, %v", c, err)
	}
	// The staff card scanner: from the file, its flags over it.
	panel := filepath.Join(dir, "panel.json")
	if err := os.WriteFile(panel, []byte(`{"server":"http://10.0.0.5:8080","scanner":{"port":"/dev/ttyACM0","suffix":"CRLF","baud":115200}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = LoadStaff("p", []string{"-config", panel}, env(nil), io.Discard)
	if err != nil || c.Scanner != (ScannerConfig{Port: "/dev/ttyACM0", Suffix: "CRLF", Baud: 115200}) {
		t.Errorf("scanner from the file: %+v, %v", c.Scanner, err)
	}
	c, err = LoadStaff("p", []string{"-config", panel, "-scanner", "data/devices/panel-scanner", "-scanner-suffix", "CR", "-scanner-baud", "9600"}, env(nil), io.Discard)
	if err != nil || c.Scanner != (ScannerConfig{Port: "data/devices/panel-scanner", Suffix: "CR", Baud: 9600}) {
		t.Errorf("scanner flags over the file: %+v, %v", c.Scanner, err)
	}
	c, err = LoadStaff("p", []string{"-server", "http://x", "-scanner-usb", "0c2e:0b61"}, env(nil), io.Discard)
	if err != nil || c.Scanner != (ScannerConfig{USB: "0c2e:0b61", Baud: DefaultScannerBaud}) {
		t.Errorf("scanner by USB: %+v, %v", c.Scanner, err)
	}
	for _, args := range [][]string{nil, {"-server", "ftp://x"}, {"-server", "http://x", "-cert-fingerprint", "ab"}, {"-server", "http://x", "-lang", "de"}, {"-server", "http://x", "extra"},
		{"-server", "http://x", "-scanner-usb", "zz"}, {"-server", "http://x", "-scanner", "/dev/x", "-scanner-baud", "-1"}} {
		if _, err := LoadStaff("p", args, env(nil), io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// The call-button pad: from the file, TALON_PAD and the flags over it.
func TestLoadStaffPad(t *testing.T) {
	panel := filepath.Join(t.TempDir(), "panel.json")
	if err := os.WriteFile(panel, []byte(`{"server":"http://10.0.0.5:8080","pad":{"port":"/dev/ttyUSB2","address":9,"echo":true}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := LoadStaff("p", []string{"-config", panel}, env(nil), io.Discard)
	if err != nil || c.Pad != (PadConfig{Port: "/dev/ttyUSB2", Address: 9, Echo: true}) {
		t.Errorf("pad from the file: %+v, %v", c.Pad, err)
	}
	c, err = LoadStaff("p", []string{"-config", panel, "-pad-address", "12", "-pad-echo=false"}, env(map[string]string{EnvPad: "data/devices/pads"}), io.Discard)
	if err != nil || c.Pad != (PadConfig{Port: "data/devices/pads", Address: 12}) {
		t.Errorf("pad from the environment and flags: %+v, %v", c.Pad, err)
	}
	c, err = LoadStaff("p", []string{"-server", "http://x:1", "-pad", "data/devices/pads"}, env(nil), io.Discard)
	if err != nil || c.Pad != (PadConfig{Port: "data/devices/pads", Address: DefaultPadAddress}) {
		t.Errorf("pad with the default address: %+v, %v", c.Pad, err)
	}
	if _, err := LoadStaff("p", []string{"-server", "http://x:1", "-pad-address", "300"}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "адрес пульта 300") {
		t.Errorf("address 300: %v", err)
	}
}
