package terminal

import (
	"log/slog"

	"github.com/talonqueue/talon/queue-server/client"
)

// NewClient is the SDK client of the terminal's device: its credential,
// the pinned certificate when one is set, and a user agent that names the
// device in the server's logs. app is the program, e.g. "talon-kiosk";
// log, when not nil, gets the client's reconnects and retries.
func (c Config) NewClient(app string, log *slog.Logger, opts ...client.Option) (*client.Client, error) {
	all := []client.Option{
		client.WithDeviceCredential(c.Credential),
		client.WithUserAgent(app + " " + c.DeviceID),
	}
	if log != nil {
		all = append(all, client.WithLogger(log))
	}
	if c.CertFingerprint != "" {
		all = append(all, client.WithPinnedCertificate(c.CertFingerprint))
	}
	cl, err := client.New(c.Server, append(all, opts...)...)
	if err != nil {
		return nil, configErrorf(err, "не удаётся настроить связь с сервером %s: %v", c.Server, err)
	}
	return cl, nil
}
