package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/queue"
	"github.com/talonqueue/talon/queue-server/region"
	"github.com/talonqueue/talon/queue-server/store"
)

// natsDir is the office node's JetStream folder inside the data folder.
const natsDir = "nats"

// officeNodeFlags are --office-node and the region link's part of
// serveFlags (docs/region.md).
type officeNodeFlags struct {
	on                  bool
	regionURL           string
	maxMemory, maxStore memoryLimit
	alertAfter          time.Duration
}

// addOfficeNodeFlags registers --office-node and the --region-* flags with
// their TALON_* defaults.
func addOfficeNodeFlags(fs *flag.FlagSet, o *officeNodeFlags, getenv func(string) string) error {
	on, err := envBool(getenv, "TALON_OFFICE_NODE")
	if err != nil {
		return err
	}
	alertAfter, err := envDuration(getenv, "TALON_REGION_LINK_ALERT_AFTER", region.DefaultLinkAlertAfter)
	if err != nil {
		return err
	}
	o.maxMemory, o.maxStore = 16<<20, 1<<30
	for key, m := range map[string]*memoryLimit{"TALON_REGION_MAX_MEMORY": &o.maxMemory, "TALON_REGION_MAX_STORE": &o.maxStore} {
		if v := getenv(key); v != "" {
			if err := m.Set(v); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	fs.BoolVar(&o.on, "office-node", on, "узел офиса в регионе: встроенный сервер NATS с JetStream в домене офиса, "+
		"в чей поток отправляется каждое событие офиса, связанный с регионом по --region-url; в базе должен быть ровно один офис (TALON_OFFICE_NODE)")
	fs.StringVar(&o.regionURL, "region-url", getenv("TALON_REGION_URL"), "адрес узла-концентратора региона для связи узла офиса, например nats-leaf://region.example:7422; "+
		"несколько через запятую пробуются по очереди (TALON_REGION_URL)")
	fs.DurationVar(&o.alertAfter, "region-link-alert-after", alertAfter, "сколько связь узла офиса с регионом может отсутствовать, прежде чем страница офиса покажет тревогу: "+
		"короткий обрыв офис переживает сам, события ждут и уходят, когда связь вернётся (TALON_REGION_LINK_ALERT_AFTER)")
	fs.Var(&o.maxMemory, "region-max-memory", "предел памяти JetStream узла офиса (TALON_REGION_MAX_MEMORY)")
	fs.Var(&o.maxStore, "region-max-store", "предел диска JetStream узла офиса: поток событий офиса не растёт больше, а заполнившись, забывает самые старые события (TALON_REGION_MAX_STORE)")
	return nil
}

// check refuses a half-configured node: region flags without --office-node,
// or a node with nowhere to link to.
func (o officeNodeFlags) check() error {
	if !o.on {
		if o.regionURL != "" {
			return errors.New("--region-url действует только с --office-node")
		}
		return nil
	}
	if o.regionURL == "" {
		return errors.New("узлу офиса нужен адрес региона: --region-url nats-leaf://хост:7422")
	}
	if o.maxMemory <= 0 || o.maxStore <= 0 {
		return errors.New("--region-max-memory и --region-max-store должны быть больше нуля")
	}
	return nil
}

// officeNode is a running office node; the zero value is none.
type officeNode struct {
	node   *region.Node
	pub    *region.Publisher
	cfg    *region.ConfigFollower
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startOfficeNode starts the embedded NATS server, the publisher and the
// follower of the region's configuration when --office-node is on. The
// store must hold exactly one office.
func startOfficeNode(ctx context.Context, o officeNodeFlags, link region.Link, data string, st *store.Store, svc *queue.Service, log *slog.Logger) (*officeNode, error) {
	if !o.on {
		return &officeNode{}, nil
	}
	offices, err := svc.ListOffices(domain.WithActor(ctx, domain.System))
	if err != nil {
		return nil, err
	}
	if len(offices) != 1 {
		ids := make([]string, len(offices))
		for i, off := range offices {
			ids[i] = off.ID
		}
		return nil, fmt.Errorf("узел офиса ведёт ровно один офис, а в базе %s их %d %v: "+
			"создайте офис (import-office) или перенесите лишние офисы на другие серверы", filepath.Join(data, dbFile), len(offices), ids)
	}
	office := offices[0].ID
	node, err := region.StartNode(ctx, region.NodeConfig{
		OfficeID: office, Dir: filepath.Join(data, natsDir), RegionURL: o.regionURL, Link: link,
		MaxMemory: int64(o.maxMemory), MaxStore: int64(o.maxStore), LinkAlertAfter: o.alertAfter, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	cfg := node.FollowConfig(svc, st, log)
	n := &officeNode{node: node, pub: node.NewPublisher(st, log), cfg: cfg}
	runCtx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.wg.Add(2)
	go func() {
		defer n.wg.Done()
		if err := n.pub.Run(runCtx); err != nil {
			log.Error("region: publishing the office's events stopped", "office", office, "err", err)
		}
	}()
	go func() {
		defer n.wg.Done()
		if err := cfg.Run(runCtx); err != nil {
			log.Error("region: following the region's configuration stopped", "office", office, "err", err)
		}
	}()
	log.Info("office node started", "office", office, "domain", region.OfficeDomain(office), "stream", region.OfficeStream(office), "region", region.Redact(o.regionURL))
	return n, nil
}

// publisher is where the queue's commits go: the push hub and, on a node,
// the publisher's wake-up.
func (n *officeNode) publisher(hub queue.Publisher) queue.Publisher {
	if n.pub == nil {
		return hub
	}
	return publishers{hub, n.pub}
}

// backend is what the API serves: on a node, the office's staff cannot
// change what the region's configuration manages.
func (n *officeNode) backend(svc domain.Backend) domain.Backend {
	if n.cfg == nil {
		return svc
	}
	return n.cfg.Guard(svc)
}

// link is how the node's link to the region goes; a server that is not a
// node answers Enabled false.
func (n *officeNode) link(ctx context.Context) domain.RegionLink {
	if n.pub == nil {
		return domain.RegionLink{}
	}
	return n.pub.Status(ctx)
}

// greet says which office the node publishes and where it links.
func (n *officeNode) greet(w io.Writer, o officeNodeFlags) {
	if n.pub == nil {
		return
	}
	fmt.Fprintf(w, "Узел офиса: события отправляются в поток %s (домен JetStream %s), связь с регионом: %s\n",
		n.node.Stream(), n.node.Domain(), region.Redact(o.regionURL))
}

// stop stops the publisher, which saves its cursor, and the follower of
// the configuration, then the embedded server: in that order, before the
// queue and the store close.
func (n *officeNode) stop() {
	if n.pub == nil {
		return
	}
	n.cancel()
	n.wg.Wait()
	n.node.Close()
}

// publishers hands every commit's events to each of its members in turn.
type publishers []queue.Publisher

func (ps publishers) Publish(events []domain.Event) {
	for _, p := range ps {
		p.Publish(events)
	}
}
