// Package terminal is the common ground of Talon's four terminals (kiosk,
// hall display, operator panel, rating terminal): the configuration a
// terminal starts from, the SDK client built from it, the on-screen
// connection state, the Russian and English strings, the theme and
// screenshots. It holds nothing one terminal alone needs.
package terminal

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is what a terminal needs to start. The first four fields are the
// file queue-server writes for each paired demo terminal
// (data/terminals/<device>.json); the rest are the terminal's own settings,
// all optional.
type Config struct {
	Server     string `json:"server"`
	OfficeID   string `json:"office_id"`
	DeviceID   string `json:"device_id"`
	Credential string `json:"credential"`
	// CertFingerprint pins the server's certificate (SHA-256, as
	// queue-server prints it at start) for an office server with a
	// self-signed certificate.
	CertFingerprint string `json:"cert_fingerprint,omitempty"`

	Language    Language `json:"language,omitempty"`
	LargeText   bool     `json:"large_text,omitempty"`
	IdleSeconds int      `json:"idle_timeout_seconds,omitempty"`
	// Windowed runs the app in a window instead of full screen, for a
	// developer's desktop.
	Windowed bool `json:"windowed,omitempty"`

	Printer PrinterConfig `json:"printer,omitzero"`
	Scanner ScannerConfig `json:"scanner,omitzero"`

	// Audio is where a hall board speaks its calls: "" or "default" (the
	// system's sound device), "none" for a silent board, or an ALSA sound
	// card by number or name as `aplay -l` lists it, such as "1" or "PCH".
	Audio string `json:"audio,omitempty"`
	// Boards is the RS-485 line of window LED boards a hall board drives.
	Boards BoardsConfig `json:"boards,omitzero"`
	// Pad is the call-button pad an operator panel drives.
	Pad PadConfig `json:"pad,omitzero"`
}

// PrinterConfig is a ticket printer on a serial line.
type PrinterConfig struct {
	Port    string `json:"port,omitempty"`    // e.g. /dev/ttyUSB0 or the virtual printer's link
	Profile string `json:"profile,omitempty"` // printer/escpos profile name, e.g. epson-80
	Baud    int    `json:"baud,omitempty"`
}

// ScannerConfig is a barcode scanner on a serial line, by path or by USB ids.
type ScannerConfig struct {
	Port   string `json:"port,omitempty"`
	USB    string `json:"usb,omitempty"`    // VID:PID in hex, e.g. 0c2e:0b61, when Port is empty
	Suffix string `json:"suffix,omitempty"` // CR, CRLF, LF or TAB
	Baud   int    `json:"baud,omitempty"`
}

// BoardsConfig is the RS-485 line of the window LED boards and which
// window's board sits at which address.
type BoardsConfig struct {
	Port    string        `json:"port,omitempty"` // e.g. /dev/ttyUSB1 or the emulator's data/devices/boards
	Baud    int           `json:"baud,omitempty"`
	Windows []WindowBoard `json:"windows,omitempty"`
}

// PadConfig is the RS-485 line of the operators' call-button pads and the
// address of this window's pad on it.
type PadConfig struct {
	Port    string `json:"port,omitempty"`
	Address int    `json:"address,omitempty"` // default DefaultPadAddress
	// Echo says the pads (or the line's adapter) send every frame back:
	// only then can a pad that died behind a working adapter be told from
	// a live one.
	Echo bool `json:"echo,omitempty"`
}

// WindowBoard is one window's LED board on the line.
type WindowBoard struct {
	WindowID string `json:"window_id"`
	Address  int    `json:"address"`
	Width    int    `json:"width,omitempty"` // characters; default DefaultBoardWidth
}

// Defaults for the settings a file may leave out.
const (
	DefaultIdleTimeout    = 30 * time.Second
	DefaultPrinterProfile = "epson-80"
	DefaultPrinterBaud    = 115200
	DefaultScannerBaud    = 9600
	AudioNone             = "none"
	DefaultBoardBaud      = 9600
	// DefaultBoardWidth fits a ticket with a two-letter series, "АБ123".
	DefaultBoardWidth = 5
	// DefaultPadAddress is the pad's factory address; 0x01 and 0x07 are
	// the line's framing bytes, which no pad has.
	DefaultPadAddress = 5
)

// IdleTimeout is how long a screen waits for a touch before it goes back to
// the start.
func (c Config) IdleTimeout() time.Duration {
	if c.IdleSeconds <= 0 {
		return DefaultIdleTimeout
	}
	return time.Duration(c.IdleSeconds) * time.Second
}

// ConfigError is a configuration a person must fix; its message is a
// Russian sentence that says what and where.
type ConfigError struct {
	Message string
	Err     error
}

func (e *ConfigError) Error() string { return e.Message }
func (e *ConfigError) Unwrap() error { return e.Err }

func configErrorf(err error, format string, args ...any) *ConfigError {
	return &ConfigError{Message: fmt.Sprintf(format, args...), Err: err}
}

// maxConfigSize bounds the file read: a configuration is a few hundred bytes.
const maxConfigSize = 1 << 20

// ParseConfig reads a configuration from JSON. Unknown fields are refused:
// a misspelt setting that silently does nothing costs a technician an
// afternoon at the kiosk.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	if len(bytes.TrimSpace(data)) == 0 {
		return c, configErrorf(nil, "файл настроек пуст")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, configErrorf(err, "файл настроек испорчен: %s", jsonProblem(data, err))
	}
	if dec.More() {
		return Config{}, configErrorf(nil, "файл настроек испорчен: после настроек идёт что-то ещё")
	}
	return c, nil
}

// jsonProblem says where and what is wrong in words.
func jsonProblem(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset)
		return fmt.Sprintf("ошибка синтаксиса JSON в строке %d, столбце %d", line, col)
	case errors.As(err, &typ):
		return fmt.Sprintf("у поля %q неверный тип значения (нужно %s)", typ.Field, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "файл обрывается на середине"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "неизвестное поле " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "это не JSON-объект настроек"
}

func position(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset-1 && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// ReadConfigFile reads a configuration file. A file that holds a
// credential and that other users can read is refused: anyone logged in to
// the terminal could take the device's key.
func ReadConfigFile(path string) (Config, error) {
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Config{}, configErrorf(err, "файл настроек %s не найден: укажите путь флагом -config или переменной TALON_CONFIG", path)
	case errors.Is(err, fs.ErrPermission):
		return Config{}, configErrorf(err, "нет прав на чтение файла настроек %s", path)
	case err != nil:
		return Config{}, configErrorf(err, "не удаётся открыть файл настроек %s: %v", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Config{}, configErrorf(err, "не удаётся прочитать файл настроек %s: %v", path, err)
	}
	if info.IsDir() {
		return Config{}, configErrorf(nil, "%s — папка, а не файл настроек", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return Config{}, configErrorf(err, "не удаётся прочитать файл настроек %s: %v", path, err)
	}
	if len(data) > maxConfigSize {
		return Config{}, configErrorf(nil, "файл настроек %s слишком большой", path)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, configErrorf(err, "%s (%s)", err, path)
	}
	if c.Credential != "" && info.Mode().Perm()&0o077 != 0 {
		return Config{}, configErrorf(nil, "файл настроек %s с ключом устройства доступен другим пользователям (права %04o): выполните chmod 600 %s", path, info.Mode().Perm(), path)
	}
	return c, nil
}

// Environment variables, each the twin of a flag; TALON_CREDENTIAL has no
// flag because a command line is visible to every user of the machine.
const (
	EnvConfig     = "TALON_CONFIG"
	EnvPad        = "TALON_PAD"
	EnvServer     = "TALON_SERVER"
	EnvOffice     = "TALON_OFFICE"
	EnvDevice     = "TALON_DEVICE"
	EnvCredential = "TALON_CREDENTIAL"
	EnvCertPin    = "TALON_CERT_FINGERPRINT"
	EnvLanguage   = "TALON_LANGUAGE"
)

// Load builds a terminal's configuration from, in rising precedence, the
// defaults, the file (-config or TALON_CONFIG, optional when everything is
// given otherwise), the environment and the flags in args. name is the
// program's name for the usage text; usage goes to out.
func Load(name string, args []string, getenv func(string) string, out io.Writer) (Config, error) {
	fl := flag.NewFlagSet(name, flag.ContinueOnError)
	fl.SetOutput(out)
	var f Config
	var idle time.Duration
	var lang string
	file := fl.String("config", getenv(EnvConfig), "configuration file (JSON, mode 0600), e.g. data/terminals/kiosk1.json [$"+EnvConfig+"]")
	fl.StringVar(&f.Server, "server", "", "queue server address, e.g. https://10.0.0.5:8443 [$"+EnvServer+"]")
	fl.StringVar(&f.OfficeID, "office", "", "office id [$"+EnvOffice+"]")
	fl.StringVar(&f.DeviceID, "device", "", "device id [$"+EnvDevice+"]; the credential comes from the file or $"+EnvCredential)
	fl.StringVar(&f.CertFingerprint, "cert-fingerprint", "", "SHA-256 fingerprint of the server's certificate to pin [$"+EnvCertPin+"]")
	fl.StringVar(&lang, "lang", "", "language of the screens at start: ru or en [$"+EnvLanguage+"]")
	fl.BoolVar(&f.LargeText, "large-text", false, "start in large-text high-contrast mode")
	fl.DurationVar(&idle, "idle", 0, "go back to the start screen after this long without a touch (default 30s)")
	fl.BoolVar(&f.Windowed, "windowed", false, "run in a window instead of full screen")
	fl.StringVar(&f.Printer.Port, "printer", "", "ticket printer's serial port, e.g. /dev/ttyUSB0 or data/devices/printer")
	fl.StringVar(&f.Printer.Profile, "printer-profile", "", "printer profile: epson-80, epson-58, epson-80-cp1251, star-80, raster-80, raster-58 (default epson-80)")
	fl.IntVar(&f.Printer.Baud, "printer-baud", 0, "printer's baud rate (default 115200)")
	scannerFlags := defineScannerFlags(fl)
	fl.StringVar(&f.Audio, "audio", "", "hall board's sound: default, none (a silent board) or an ALSA sound card by number or name from aplay -l, e.g. 1 or PCH")
	fl.StringVar(&f.Boards.Port, "boards", "", "serial port of the window LED boards' RS-485 line, e.g. /dev/ttyUSB1 or data/devices/boards")
	fl.IntVar(&f.Boards.Baud, "boards-baud", 0, "baud rate of the LED boards' line (default 9600)")
	var boardList string
	fl.StringVar(&boardList, "board", "", "window LED boards as WINDOW=ADDRESS[:WIDTH], comma-separated, e.g. w1=2,w2=3:6")
	if err := fl.Parse(args); err != nil {
		return Config{}, err
	}
	if fl.NArg() > 0 {
		return Config{}, configErrorf(nil, "лишние аргументы: %s", strings.Join(fl.Args(), " "))
	}

	var c Config
	if *file != "" {
		var err error
		if c, err = ReadConfigFile(*file); err != nil {
			return Config{}, err
		}
	}
	overlay := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	overlay(&c.Server, getenv(EnvServer))
	overlay(&c.OfficeID, getenv(EnvOffice))
	overlay(&c.DeviceID, getenv(EnvDevice))
	overlay(&c.Credential, getenv(EnvCredential))
	overlay(&c.CertFingerprint, getenv(EnvCertPin))
	if v := getenv(EnvLanguage); v != "" {
		c.Language = Language(v)
	}
	// Only flags given on the command line override: a flag's zero default
	// must not wipe what the file says.
	fl.Visit(func(fv *flag.Flag) {
		switch fv.Name {
		case "server":
			c.Server = f.Server
		case "office":
			c.OfficeID = f.OfficeID
		case "device":
			c.DeviceID = f.DeviceID
		case "cert-fingerprint":
			c.CertFingerprint = f.CertFingerprint
		case "lang":
			c.Language = Language(lang)
		case "large-text":
			c.LargeText = f.LargeText
		case "idle":
			c.IdleSeconds = int(idle / time.Second)
		case "windowed":
			c.Windowed = f.Windowed
		case "printer":
			c.Printer.Port = f.Printer.Port
		case "printer-profile":
			c.Printer.Profile = f.Printer.Profile
		case "printer-baud":
			c.Printer.Baud = f.Printer.Baud
		case "audio":
			c.Audio = f.Audio
		case "boards":
			c.Boards.Port = f.Boards.Port
		case "boards-baud":
			c.Boards.Baud = f.Boards.Baud
		}
	})
	scannerFlags(&c.Scanner)
	if boardList != "" {
		list, err := ParseBoardList(boardList)
		if err != nil {
			return Config{}, err
		}
		c.Boards.Windows = list
	}
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c Config) withDefaults() Config {
	if c.Language == "" {
		c.Language = Russian
	}
	if c.Printer.Port != "" {
		if c.Printer.Profile == "" {
			c.Printer.Profile = DefaultPrinterProfile
		}
		if c.Printer.Baud == 0 {
			c.Printer.Baud = DefaultPrinterBaud
		}
	}
	if c.Scanner.Configured() && c.Scanner.Baud == 0 {
		c.Scanner.Baud = DefaultScannerBaud
	}
	if c.Boards.Port != "" && c.Boards.Baud == 0 {
		c.Boards.Baud = DefaultBoardBaud
	}
	if len(c.Boards.Windows) > 0 {
		// A copy: the file's list must not change under its reader.
		ws := make([]WindowBoard, len(c.Boards.Windows))
		for i, w := range c.Boards.Windows {
			if w.Width == 0 {
				w.Width = DefaultBoardWidth
			}
			ws[i] = w
		}
		c.Boards.Windows = ws
	}
	return c
}

// ParseBoardList reads the -board flag: WINDOW=ADDRESS[:WIDTH], separated
// by commas.
func ParseBoardList(s string) ([]WindowBoard, error) {
	var out []WindowBoard
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		id, rest, ok := strings.Cut(item, "=")
		addr, width, hasWidth := strings.Cut(rest, ":")
		w := WindowBoard{WindowID: strings.TrimSpace(id)}
		var err error
		if ok {
			w.Address, err = strconv.Atoi(addr)
		}
		if err == nil && hasWidth {
			w.Width, err = strconv.Atoi(width)
		}
		if !ok || err != nil || w.WindowID == "" {
			return nil, configErrorf(err, "табло окна %q задано неверно: нужно ОКНО=АДРЕС или ОКНО=АДРЕС:ШИРИНА, например w1=2", item)
		}
		out = append(out, w)
	}
	return out, nil
}

// validate checks the LED boards' line: every address fits the
// protocol and belongs to one window.
func (b BoardsConfig) validate() error {
	if b.Baud < 0 {
		return configErrorf(nil, "скорость порта не может быть отрицательной")
	}
	if len(b.Windows) > 0 && b.Port == "" {
		return configErrorf(nil, "табло окон заданы, а порт их линии нет (boards.port, -boards)")
	}
	addrs, windows := map[int]bool{}, map[string]bool{}
	for _, w := range b.Windows {
		switch {
		case w.Address < 0 || w.Address > 255 || w.Address == 1 || w.Address == 7:
			return configErrorf(nil, "адрес табло окна %s — %d: нужен от 0 до 255, кроме 1 и 7 (это байты начала и конца кадра)", w.WindowID, w.Address)
		case w.Width < 1 || w.Width > 64:
			return configErrorf(nil, "ширина табло окна %s — %d знаков: нужна от 1 до 64", w.WindowID, w.Width)
		case addrs[w.Address]:
			return configErrorf(nil, "адрес табло %d указан дважды", w.Address)
		case windows[w.WindowID]:
			return configErrorf(nil, "табло окна %s указано дважды", w.WindowID)
		}
		addrs[w.Address], windows[w.WindowID] = true, true
	}
	return nil
}

// Validate checks that the terminal can reach its server as its device.
func (c Config) Validate() error {
	var missing []string
	for _, f := range []struct{ v, what string }{
		{c.Server, "адрес сервера (server, -server)"},
		{c.OfficeID, "офис (office_id, -office)"},
		{c.DeviceID, "устройство (device_id, -device)"},
		{c.Credential, "ключ устройства (credential или " + EnvCredential + ")"},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.what)
		}
	}
	if len(missing) > 0 {
		return configErrorf(nil, "в настройках не хватает: %s", strings.Join(missing, "; "))
	}
	u, err := url.Parse(c.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return configErrorf(err, "адрес сервера %q должен начинаться с http:// или https:// и содержать имя или адрес сервера", c.Server)
	}
	if c.CertFingerprint != "" && u.Scheme != "https" {
		return configErrorf(nil, "отпечаток сертификата задан, а адрес сервера %q не https://", c.Server)
	}
	if _, err := ParseLanguage(string(c.Language)); err != nil {
		return err
	}
	if c.IdleSeconds < 0 {
		return configErrorf(nil, "время бездействия не может быть отрицательным")
	}
	if c.Printer.Baud < 0 {
		return configErrorf(nil, "скорость порта не может быть отрицательной")
	}
	if err := c.Boards.validate(); err != nil {
		return err
	}
	return c.Scanner.validate()
}

func (s ScannerConfig) validate() error {
	if s.Baud < 0 {
		return configErrorf(nil, "скорость порта не может быть отрицательной")
	}
	if s.USB != "" {
		if _, _, ok := s.VIDPID(); !ok {
			return configErrorf(nil, "USB-код сканера %q должен быть в виде VID:PID, например 0c2e:0b61", s.USB)
		}
	}
	return nil
}

// defineScannerFlags defines the scanner's flags, which the kiosk and the
// operator panel share; the function returned overlays the ones given on
// the command line, after the file and the environment.
func defineScannerFlags(fl *flag.FlagSet) func(*ScannerConfig) {
	var f ScannerConfig
	fl.StringVar(&f.Port, "scanner", "", "barcode scanner's serial port, e.g. data/devices/scanner")
	fl.StringVar(&f.USB, "scanner-usb", "", "barcode scanner's USB VID:PID in hex, when it has no fixed port")
	fl.StringVar(&f.Suffix, "scanner-suffix", "", "what the scanner sends after a code: CR, CRLF, LF or TAB (default CR)")
	fl.IntVar(&f.Baud, "scanner-baud", 0, "barcode scanner's baud rate (default 9600)")
	return func(c *ScannerConfig) {
		fl.Visit(func(fv *flag.Flag) {
			switch fv.Name {
			case "scanner":
				c.Port = f.Port
			case "scanner-usb":
				c.USB = f.USB
			case "scanner-suffix":
				c.Suffix = f.Suffix
			case "scanner-baud":
				c.Baud = f.Baud
			}
		})
	}
}

// Configured reports whether the terminal has a scanner.
func (s ScannerConfig) Configured() bool { return s.Port != "" || s.USB != "" }

// VIDPID splits the USB setting into vendor and product ids.
func (s ScannerConfig) VIDPID() (vid, pid string, ok bool) {
	vid, pid, ok = strings.Cut(s.USB, ":")
	return vid, pid, ok && isHex4(vid) && isHex4(pid)
}

func isHex4(s string) bool {
	if len(s) != 4 {
		return false
	}
	return strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}
