package terminal

import (
	"flag"
	"io"
	"net/url"
	"strings"
)

// LoadStaff builds the configuration of a terminal a person logs in to
// (the operator panel): only where the server is, its certificate pin, the
// language, the barcode scanner staff cards are read with and the window's
// call-button pad, from a
// terminal's file (-config or TALON_CONFIG), the environment and the flags,
// in rising precedence. A device credential in the file is dropped: what a
// person does must be recorded as theirs.
func LoadStaff(name string, args []string, getenv func(string) string, out io.Writer) (Config, error) {
	fl := flag.NewFlagSet(name, flag.ContinueOnError)
	fl.SetOutput(out)
	file := fl.String("config", getenv(EnvConfig), "a terminal's configuration file to take the server's address from [$"+EnvConfig+"]")
	server := fl.String("server", "", "queue server address, e.g. http://127.0.0.1:8080 [$"+EnvServer+"]")
	pin := fl.String("cert-fingerprint", "", "SHA-256 fingerprint of the server's certificate to pin [$"+EnvCertPin+"]")
	lang := fl.String("lang", "", "language of the screens: ru or en [$"+EnvLanguage+"]")
	scannerFlags := defineScannerFlags(fl)
	padPort := fl.String("pad", "", "RS-485 line of the call-button pads, e.g. /dev/ttyUSB2 or data/devices/pads [$"+EnvPad+"]")
	padAddress := fl.Int("pad-address", 0, "this window's pad address on the line (default 5)")
	padEcho := fl.Bool("pad-echo", false, "the pads echo every frame, so a dead pad is noticed")
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
	c = Config{Server: c.Server, OfficeID: c.OfficeID, CertFingerprint: c.CertFingerprint, Language: c.Language, Scanner: c.Scanner, Pad: c.Pad}
	scannerFlags(&c.Scanner)
	fl.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "pad-address":
			c.Pad.Address = *padAddress
		case "pad-echo":
			c.Pad.Echo = *padEcho
		}
	})
	if v := getenv(EnvPad); v != "" {
		c.Pad.Port = v
	}
	if *padPort != "" {
		c.Pad.Port = *padPort
	}
	if c.Pad.Address == 0 {
		c.Pad.Address = DefaultPadAddress
	}
	if c.Pad.Address < 0 || c.Pad.Address > 255 {
		return Config{}, configErrorf(nil, "адрес пульта %d вне 0–255", c.Pad.Address)
	}
	if c.Scanner.Configured() && c.Scanner.Baud == 0 {
		c.Scanner.Baud = DefaultScannerBaud
	}
	for _, o := range []struct {
		dst      *string
		env, flg string
	}{{&c.Server, getenv(EnvServer), *server}, {&c.CertFingerprint, getenv(EnvCertPin), *pin}} {
		if o.env != "" {
			*o.dst = o.env
		}
		if o.flg != "" {
			*o.dst = o.flg
		}
	}
	if v := getenv(EnvLanguage); v != "" {
		c.Language = Language(v)
	}
	if *lang != "" {
		c.Language = Language(*lang)
	}
	if c.Language == "" {
		c.Language = Russian
	}
	if strings.TrimSpace(c.Server) == "" {
		return Config{}, configErrorf(nil, "не задан адрес сервера: флаг -server, переменная %s или файл -config", EnvServer)
	}
	u, err := url.Parse(c.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Config{}, configErrorf(err, "адрес сервера %q должен начинаться с http:// или https:// и содержать имя или адрес сервера", c.Server)
	}
	if c.CertFingerprint != "" && u.Scheme != "https" {
		return Config{}, configErrorf(nil, "отпечаток сертификата задан, а адрес сервера %q не https://", c.Server)
	}
	if _, err := ParseLanguage(string(c.Language)); err != nil {
		return Config{}, err
	}
	if err := c.Scanner.validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}
