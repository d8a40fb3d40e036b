package region

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Link is how a connection to the region's cluster proves who it is and
// checks whom it talks to: the regional server's, `region join`'s and
// `region config`'s client connections and an office node's leaf link
// alike (docs/region.md, "Credentials and TLS"). The zero value is a plain
// connection without credentials; a user and password may also be given in
// the URL (nats://user:password@host:4222), which nats.go and the leaf
// link take as they are.
type Link struct {
	// Credentials is a NATS credentials file: a .creds file (user JWT and
	// seed, for a cluster in operator mode) or an nkey seed file (a user
	// the cluster's configuration lists by its public key).
	Credentials string
	// CA is a PEM file of the certificates that sign the cluster's: set,
	// the connection requires TLS and checks the server's certificate
	// against it (and the name in the URL) rather than the system's roots.
	CA string
	// Cert and Key are the connection's own certificate and key (PEM), for
	// a cluster that verifies its clients' certificates.
	Cert, Key string
}

// credentials reads l.Credentials: jwt is false for an nkey seed file.
func (l Link) credentials() (seed []byte, jwt bool, err error) {
	data, err := os.ReadFile(l.Credentials)
	if err != nil {
		return nil, false, fmt.Errorf("файл учётных данных региона %s не читается: %w", l.Credentials, err)
	}
	if strings.Contains(string(data), "BEGIN NATS USER JWT") {
		return nil, true, nil
	}
	kp, err := nkeys.ParseDecoratedUserNKey(data)
	if err != nil {
		return nil, false, fmt.Errorf("в файле учётных данных региона %s нет ни JWT пользователя NATS (.creds), ни ключа пользователя nkey (строка SU…)", l.Credentials)
	}
	defer kp.Wipe()
	seed, err = kp.Seed()
	// Wipe zeroes the pair's own copy.
	return bytes.Clone(seed), false, err
}

// tlsConfig is the TLS of the link, nil without CA and certificate.
func (l Link) tlsConfig() (*tls.Config, error) {
	if l.CA == "" && l.Cert == "" && l.Key == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if l.CA != "" {
		pem, err := os.ReadFile(l.CA)
		if err != nil {
			return nil, fmt.Errorf("файл сертификатов кластера региона %s не читается: %w", l.CA, err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("в файле %s нет сертификатов PEM, которым можно доверять", l.CA)
		}
	}
	if (l.Cert == "") != (l.Key == "") {
		return nil, errors.New("сертификат клиента для связи с регионом нужен вместе с ключом: --region-tls-cert и --region-tls-key")
	}
	if l.Cert != "" {
		cert, err := tls.LoadX509KeyPair(l.Cert, l.Key)
		if err != nil {
			return nil, fmt.Errorf("сертификат клиента %s с ключом %s не загружен: %w", l.Cert, l.Key, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// Check reads the link's files, so a mistake in them stops the server at
// start with a sentence rather than at the first connection.
func (l Link) Check() error {
	if l.Credentials != "" {
		if _, _, err := l.credentials(); err != nil {
			return err
		}
	}
	_, err := l.tlsConfig()
	return err
}

// Options are the nats.go options of a client connection to the region.
func (l Link) Options() ([]nats.Option, error) {
	var opts []nats.Option
	if l.Credentials != "" {
		_, jwt, err := l.credentials()
		if err != nil {
			return nil, err
		}
		if jwt {
			opts = append(opts, nats.UserCredentials(l.Credentials))
		} else {
			opt, err := nats.NkeyOptionFromSeed(l.Credentials)
			if err != nil {
				return nil, fmt.Errorf("ключ nkey в %s: %w", l.Credentials, err)
			}
			opts = append(opts, opt)
		}
	}
	cfg, err := l.tlsConfig()
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		opts = append(opts, nats.Secure(cfg))
	}
	return opts, nil
}

// leaf sets the link's credentials and TLS on an office node's leaf remote.
func (l Link) leaf(r *server.RemoteLeafOpts) error {
	if l.Credentials != "" {
		seed, jwt, err := l.credentials()
		if err != nil {
			return err
		}
		if jwt {
			r.Credentials = l.Credentials
		} else {
			r.Nkey = string(seed)
		}
	}
	cfg, err := l.tlsConfig()
	if err != nil {
		return err
	}
	if cfg != nil {
		r.TLS, r.TLSConfig = true, cfg
	}
	return nil
}

// Connect is region.Connect with the link's options.
func (l Link) Connect(urls, name string) (*nats.Conn, error) {
	opts, err := l.Options()
	if err != nil {
		return nil, err
	}
	return Connect(urls, name, opts...)
}

// ConnectRegional is the regional server's connection: its replies come
// to inboxes of its own (RegionalInbox), so that the cluster lets it
// receive those only, not the replies to the administrator's requests.
func (l Link) ConnectRegional(urls string) (*nats.Conn, error) {
	opts, err := l.Options()
	if err != nil {
		return nil, err
	}
	return Connect(urls, "talon-regional-server", append(opts, nats.CustomInboxPrefix(RegionalInbox))...)
}

// LogRefusals logs what the cluster refuses the regional server for want
// of permission: such a request only times out, and the refusal comes
// apart, on the connection.
func LogRefusals(nc *nats.Conn, log *slog.Logger) {
	nc.SetErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) {
			log.Error("region: the cluster refuses the regional server a subject: is --region-creds the regional server's own key, with its permissions (docs/region.md, Credentials and TLS)?", "err", err)
		}
	})
}

// refusal turns a connection's authentication failure into what the
// engineer installing the region has to do.
func refusal(urls string, err error) error {
	urls = Redact(urls)
	switch {
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired), errors.Is(err, nats.ErrAuthRevoked):
		return fmt.Errorf("кластер NATS региона %s отказал во входе: проверьте учётные данные (--region-creds или имя и пароль в адресе): %w", urls, err)
	case strings.Contains(err.Error(), "x509:") || strings.Contains(err.Error(), "tls:"):
		return fmt.Errorf("кластер NATS региона %s не прошёл проверку TLS: проверьте --region-tls-ca (сертификаты, которыми подписан кластер), адрес в URL и, если кластер проверяет сертификаты клиентов, --region-tls-cert и --region-tls-key: %w", urls, err)
	case errors.Is(err, nats.ErrSecureConnRequired):
		return fmt.Errorf("кластер NATS региона %s требует TLS: укажите --region-tls-ca: %w", urls, err)
	}
	return fmt.Errorf("не удалось подключиться к кластеру NATS региона %s: %w", urls, err)
}

// Redact hides the passwords of URLs given with user:password@, so that
// an error or a log line does not show them.
func Redact(urls string) string {
	list := strings.Split(urls, ",")
	for i, s := range list {
		if u, err := url.Parse(strings.TrimSpace(s)); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), "xxx")
				list[i] = u.String()
			}
		}
	}
	return strings.Join(list, ",")
}
