package terminal

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// serverFile is the file queue-server writes for a demo terminal.
const serverFile = `{
  "server": "http://127.0.0.1:8080",
  "office_id": "demo",
  "device_id": "kiosk1",
  "credential": "dev_kiosk1.secret"
}
`

func writeFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kiosk1.json")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask must not decide the test
		t.Fatal(err)
	}
	return path
}

func noEnv(string) string { return "" }

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestReadServerWrittenFile(t *testing.T) {
	c, err := Load("talon-kiosk", []string{"-config", writeFile(t, serverFile, 0o600)}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Server: "http://127.0.0.1:8080", OfficeID: "demo", DeviceID: "kiosk1", Credential: "dev_kiosk1.secret", Language: Russian}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
	if c.IdleTimeout() != 30*time.Second {
		t.Errorf("idle timeout %v, want the default 30s", c.IdleTimeout())
	}
}

func TestKioskSettingsAndDefaults(t *testing.T) {
	file := strings.Replace(serverFile, `"credential"`, `"language": "en", "large_text": true, "idle_timeout_seconds": 45,
  "printer": {"port": "/dev/ttyUSB0"}, "scanner": {"usb": "0c2e:0b61", "suffix": "CRLF"},
  "credential"`, 1)
	c, err := Load("talon-kiosk", []string{"-config", writeFile(t, file, 0o600)}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Language != English || !c.LargeText || c.IdleTimeout() != 45*time.Second {
		t.Errorf("language %q, large %v, idle %v", c.Language, c.LargeText, c.IdleTimeout())
	}
	if c.Printer != (PrinterConfig{Port: "/dev/ttyUSB0", Profile: DefaultPrinterProfile, Baud: DefaultPrinterBaud}) {
		t.Errorf("printer %+v: want the default profile and baud filled in", c.Printer)
	}
	if vid, pid, ok := c.Scanner.VIDPID(); !ok || vid != "0c2e" || pid != "0b61" || c.Scanner.Baud != DefaultScannerBaud {
		t.Errorf("scanner %+v", c.Scanner)
	}
}

// A hall board's sound and LED boards come from the file; -board replaces
// the file's list of boards.
func TestBoardSettings(t *testing.T) {
	file := strings.Replace(serverFile, `"credential"`, `"audio": "none",
  "boards": {"port": "/dev/ttyUSB1", "windows": [{"window_id": "w1", "address": 2}, {"window_id": "w2", "address": 3, "width": 6}]},
  "credential"`, 1)
	path := writeFile(t, file, 0o600)
	c, err := Load("talon-display", []string{"-config", path}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := BoardsConfig{Port: "/dev/ttyUSB1", Baud: DefaultBoardBaud, Windows: []WindowBoard{
		{WindowID: "w1", Address: 2, Width: DefaultBoardWidth}, {WindowID: "w2", Address: 3, Width: 6}}}
	if c.Audio != AudioNone || !reflect.DeepEqual(c.Boards, want) {
		t.Errorf("audio %q boards %+v", c.Audio, c.Boards)
	}
	c, err = Load("talon-display", []string{"-config", path, "-audio", "PCH", "-boards", "data/devices/boards", "-board", "w3=4, w4=5:8"}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want = BoardsConfig{Port: "data/devices/boards", Baud: DefaultBoardBaud, Windows: []WindowBoard{
		{WindowID: "w3", Address: 4, Width: DefaultBoardWidth}, {WindowID: "w4", Address: 5, Width: 8}}}
	if c.Audio != "PCH" || !reflect.DeepEqual(c.Boards, want) {
		t.Errorf("audio %q boards %+v", c.Audio, c.Boards)
	}
	plain := writeFile(t, serverFile, 0o600)
	for _, tc := range []struct{ args, want string }{
		{"-board w1", "ОКНО=АДРЕС"},
		{"-board w1=x", "ОКНО=АДРЕС"},
		{"-board w1=7 -boards p", "кроме 1 и 7"},
		{"-board w1=2,w2=2 -boards p", "адрес табло 2 указан дважды"},
		{"-board w1=2,w1=3 -boards p", "окна w1 указано дважды"},
		{"-board w1=2:99 -boards p", "ширина табло"},
		{"-board w1=2", "порт их линии нет"},
	} {
		_, err := Load("talon-display", append([]string{"-config", plain}, strings.Fields(tc.args)...), noEnv, io.Discard)
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want it to say %q", tc.args, err, tc.want)
		}
	}
}

// Flags beat the environment, which beats the file; a flag not given
// leaves the file's value alone.
func TestPrecedence(t *testing.T) {
	path := writeFile(t, strings.Replace(serverFile, `"credential"`, `"large_text": true, "credential"`, 1), 0o600)
	c, err := Load("talon-kiosk",
		[]string{"-server", "https://flag:8443", "-lang", "en", "-printer", "data/devices/printer", "-idle", "1m"},
		env(map[string]string{EnvConfig: path, EnvServer: "http://env:1", EnvOffice: "office-env", EnvCredential: "from-env"}),
		io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server != "https://flag:8443" || c.OfficeID != "office-env" || c.Credential != "from-env" || c.DeviceID != "kiosk1" {
		t.Errorf("server %q office %q credential %q device %q", c.Server, c.OfficeID, c.Credential, c.DeviceID)
	}
	if !c.LargeText || c.Language != English || c.Printer.Port != "data/devices/printer" || c.IdleTimeout() != time.Minute {
		t.Errorf("large %v language %q printer %q idle %v", c.LargeText, c.Language, c.Printer.Port, c.IdleTimeout())
	}
}

// Without a file, everything can come from flags and the environment.
func TestNoFile(t *testing.T) {
	_, err := Load("talon-kiosk", []string{"-server", "http://127.0.0.1:8080", "-office", "demo", "-device", "kiosk1"},
		env(map[string]string{EnvCredential: "secret"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrorsAreSentences(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args func(t *testing.T) []string
		want string
	}{
		{"missing file", func(*testing.T) []string { return []string{"-config", filepath.Join(dir, "nope.json")} },
			"не найден"},
		{"a directory", func(*testing.T) []string { return []string{"-config", dir} }, "папка"},
		{"readable by others", func(t *testing.T) []string { return []string{"-config", writeFile(t, serverFile, 0o644)} },
			"доступен другим пользователям (права 0644): выполните chmod 600"},
		{"broken JSON", func(t *testing.T) []string { return []string{"-config", writeFile(t, "{\n  \"server\": ,\n}", 0o600)} },
			"строке 2"},
		{"cut short", func(t *testing.T) []string { return []string{"-config", writeFile(t, `{"server": "http://x"`, 0o600)} },
			"обрывается"},
		{"wrong type", func(t *testing.T) []string {
			return []string{"-config", writeFile(t, `{"idle_timeout_seconds": "30s"}`, 0o600)}
		},
			`"idle_timeout_seconds"`},
		{"typo", func(t *testing.T) []string {
			return []string{"-config", writeFile(t, `{"idle_timout_seconds": 30}`, 0o600)}
		},
			`неизвестное поле "idle_timout_seconds"`},
		{"empty", func(t *testing.T) []string { return []string{"-config", writeFile(t, "  \n", 0o600)} }, "пуст"},
		{"nothing given", func(*testing.T) []string { return nil }, "не хватает: адрес сервера"},
		{"no credential", func(t *testing.T) []string {
			return []string{"-config", writeFile(t, `{"server": "http://x:1", "office_id": "o", "device_id": "d"}`, 0o644)}
		}, "ключ устройства"},
		{"bad server", func(t *testing.T) []string {
			return []string{"-config", writeFile(t, serverFile, 0o600), "-server", "10.0.0.5:8080"}
		}, "http:// или https://"},
		{"pin without TLS", func(t *testing.T) []string {
			return []string{"-config", writeFile(t, serverFile, 0o600), "-cert-fingerprint", "AB:CD"}
		}, "не https://"},
		{"language", func(t *testing.T) []string {
			return []string{"-config", writeFile(t, serverFile, 0o600), "-lang", "de"}
		},
			`язык "de"`},
		{"scanner USB", func(t *testing.T) []string {
			return []string{"-config", writeFile(t, serverFile, 0o600), "-scanner-usb", "0c2e"}
		}, "VID:PID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("talon-kiosk", tt.args(t), noEnv, io.Discard)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *ConfigError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	_, err := ReadConfigFile(writeFile(t, serverFile, 0o000))
	if err == nil || !strings.Contains(err.Error(), "нет прав на чтение") {
		t.Errorf("got %v", err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(serverFile))
	f.Add([]byte(`{"printer": {"port": "/dev/ttyUSB0", "baud": -1}, "scanner": {"usb": "zz:zz"}}`))
	f.Add([]byte(`{"language": "en"} {}`))
	f.Add([]byte("{\n\"server\": [1,2,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Message == "" {
				t.Fatalf("error %v is not a sentence for a person", err)
			}
			return
		}
		// Whatever parsed, validating it must not panic and must say why.
		if err := c.withDefaults().Validate(); err != nil && err.Error() == "" {
			t.Fatal("empty validation error")
		}
	})
}

// Device is Load and the device's SDK client in one.
func TestDevice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "display1.json")
	if err := os.WriteFile(path, []byte(`{"server":"http://127.0.0.1:8080","office_id":"demo","device_id":"display1","credential":"tdc1:demo:display1:x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, log, cl, err := Device("talon-display", []string{"-config", path}, noEnv, io.Discard)
	if err != nil || cfg.DeviceID != "display1" || log == nil || cl == nil {
		t.Fatalf("Device = %+v, %v, %v, %v", cfg, log, cl, err)
	}
	if _, _, _, err := Device("talon-display", []string{"-config", filepath.Join(t.TempDir(), "none.json")}, noEnv, io.Discard); err == nil {
		t.Error("a missing file gave a device")
	}
}
