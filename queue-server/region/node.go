package region

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NodeConfig configures an office node's embedded NATS server.
type NodeConfig struct {
	// OfficeID is the one office the node runs.
	OfficeID string
	// Dir is the JetStream store folder, inside the data folder.
	Dir string
	// RegionURL is the region's leaf-node listener (nats-leaf://host:7422,
	// several separated by commas are tried in turn); Link is the link's
	// credentials and TLS.
	RegionURL string
	Link      Link
	// MaxMemory and MaxStore bound what JetStream may use; the office
	// stream is on disk and takes at most MaxStore, dropping its oldest
	// events when full.
	MaxMemory, MaxStore int64
	// LinkAlertAfter is how long the link may be down before Status says
	// alert; DefaultLinkAlertAfter when 0.
	LinkAlertAfter time.Duration
	Logger         *slog.Logger
}

// DefaultLinkAlertAfter is how long an office's link may be down before the
// office page raises it.
const DefaultLinkAlertAfter = 2 * time.Minute

// Node is an office node's embedded NATS server with its JetStream domain
// and the office's stream, linked to the region as a leaf node.
type Node struct {
	office string
	ns     *server.Server
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	log    *slog.Logger
	// alertAfter is NodeConfig.LinkAlertAfter.
	alertAfter time.Duration

	// The link's state as watchLink last saw it, and since when.
	mu              sync.Mutex
	linked          bool
	since           time.Time
	stop, watchDone chan struct{}
}

// startWait bounds how long the embedded server may take to accept
// connections: it reads its stream's files first.
const startWait = 30 * time.Second

// StartNode starts the embedded server and creates or updates the office's
// stream. The server does not listen for clients: the node reaches it in
// process, and the region through the leaf link the node opens itself.
func StartNode(ctx context.Context, cfg NodeConfig) (*Node, error) {
	if cfg.MaxMemory <= 0 || cfg.MaxStore <= 0 {
		return nil, errors.New("пределы памяти и диска JetStream офиса должны быть больше нуля")
	}
	urls, err := leafURLs(cfg.RegionURL)
	if err != nil {
		return nil, err
	}
	remote := &server.RemoteLeafOpts{
		URLs: urls,
		// Only the node writes the office's events: a message on the
		// office's subject from the region would land in its stream
		// under a seq that belongs to an event.
		DenyImports: []string{OfficeSubject(cfg.OfficeID)},
	}
	if err := cfg.Link.leaf(remote); err != nil {
		return nil, err
	}
	opts := &server.Options{
		ServerName: OfficeDomain(cfg.OfficeID),
		DontListen: true,
		// Without it the library catches SIGTERM itself and exits the
		// process before the queue has shut down.
		NoSigs:             true,
		JetStream:          true,
		JetStreamDomain:    OfficeDomain(cfg.OfficeID),
		JetStreamMaxMemory: cfg.MaxMemory,
		JetStreamMaxStore:  cfg.MaxStore,
		StoreDir:           cfg.Dir,
		LeafNode:           server.LeafNodeOpts{Remotes: []*server.RemoteLeafOpts{remote}},
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("встроенный сервер NATS офиса не создан: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ns.SetLoggerV2(natsLog{log.With("part", "nats")}, false, false, false)
	ns.Start()
	if !ns.ReadyForConnections(startWait) {
		ns.Shutdown()
		return nil, fmt.Errorf("встроенный сервер NATS офиса не запустился за %v (папка %s)", startWait, cfg.Dir)
	}
	if cfg.LinkAlertAfter <= 0 {
		cfg.LinkAlertAfter = DefaultLinkAlertAfter
	}
	n := &Node{office: cfg.OfficeID, ns: ns, log: log, alertAfter: cfg.LinkAlertAfter, since: time.Now(), stop: make(chan struct{}), watchDone: make(chan struct{})}
	go n.watchLink()
	if err := n.open(ctx, cfg); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

func (n *Node) open(ctx context.Context, cfg NodeConfig) error {
	var err error
	// Replies to the node's requests across the link come to inboxes of
	// the office's own: the region lets an office's link receive only those
	// (AuthLayout), not every client's replies.
	n.nc, err = nats.Connect("", nats.InProcessServer(n.ns), nats.Name("talon office node"), nats.MaxReconnects(-1), nats.CustomInboxPrefix(Inbox(cfg.OfficeID)))
	if err != nil {
		return fmt.Errorf("connect to the embedded NATS server: %w", err)
	}
	if n.js, err = jetstream.New(n.nc); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	n.stream, err = n.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        OfficeStream(cfg.OfficeID),
		Description: "события офиса " + cfg.OfficeID + " для региона",
		Subjects:    []string{OfficeSubject(cfg.OfficeID)},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxBytes:    cfg.MaxStore,
		Discard:     jetstream.DiscardOld,
		Replicas:    1,
	})
	if err != nil {
		return fmt.Errorf("поток событий офиса %s не создан: %w", cfg.OfficeID, err)
	}
	return nil
}

// leafURLs parses the region's addresses; a missing scheme means
// nats-leaf://.
func leafURLs(list string) ([]*url.URL, error) {
	var urls []*url.URL
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !strings.Contains(s, "://") {
			s = "nats-leaf://" + s
		}
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("адрес региона %q: нужен адрес вида nats-leaf://хост:7422", s)
		}
		urls = append(urls, u)
	}
	if len(urls) == 0 {
		return nil, errors.New("не указан адрес региона: нужен адрес вида nats-leaf://хост:7422")
	}
	return urls, nil
}

// Stream and Domain name the node's office stream and JetStream domain.
func (n *Node) Stream() string { return OfficeStream(n.office) }
func (n *Node) Domain() string { return OfficeDomain(n.office) }

// Linked reports whether the leaf link to the region is up.
func (n *Node) Linked() bool { return n.ns.NumLeafNodes() > 0 }

// Close closes the node's connection and shuts the embedded server down,
// waiting until its stream's files are closed. Stop the publisher first.
func (n *Node) Close() {
	close(n.stop)
	<-n.watchDone
	if n.nc != nil {
		n.nc.Close()
	}
	n.ns.Shutdown()
	n.ns.WaitForShutdown()
}

// natsLog sends the embedded server's log to the server's: its notices
// (start-up banner, link up and down) at debug, its warnings and errors as
// such. Fatalf only logs: the library never exits the process through it.
type natsLog struct{ log *slog.Logger }

func (l natsLog) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l natsLog) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l natsLog) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l natsLog) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l natsLog) Debugf(string, ...any)           {}
func (l natsLog) Tracef(string, ...any)           {}
