package region

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/officefile"
)

// ConfigBackend is what applying the region's configuration needs of the
// office: reading and writing it as an office file, and the journal
// (queue.Service).
type ConfigBackend interface {
	officefile.Backend
	Record(ctx context.Context, e domain.JournalEntry) error
}

// ConfigStore keeps the revision applied last beside the office (package
// store), so that a restart neither applies it again nor skips a newer one.
type ConfigStore interface {
	RegionConfigRevision(ctx context.Context, officeID string) (uint64, error)
	SetRegionConfigRevision(ctx context.Context, officeID string, rev uint64) error
}

// Tuning of the follower. A change at the region wakes a linked node at
// once: SetConfig announces it on ConfigSubject, which the node listens to
// across its link. The announcement is lost when the link is down or drops
// at that moment, or when another tool puts the key, so the node also reads
// the key whenever its link comes up and every ConfigPoll: one small direct
// read, ~9 a second for a region of 130 offices. A revision the office
// refused is tried again every refusedRetry. configWait bounds one request
// to the region; configTick is how often the link's state is looked at,
// and when a request that failed is tried again: a link may drop and
// return while a request waits, unseen, and its failure is then the only
// sign that the key has to be read again.
const (
	ConfigPoll   = 15 * time.Second
	refusedRetry = 5 * time.Second
	configWait   = 2 * time.Second
	configTick   = 250 * time.Millisecond
)

// ConfigSubject is where SetConfig announces a new revision of an
// office's configuration to its node. The bucket's own subjects ($KV.>)
// do not cross a leaf link between JetStream domains.
func ConfigSubject(officeID string) string { return "talon.region.config." + token(officeID) }

// journalAction is the journal's action of applying a revision (or of its
// refusal); the changes it makes are journaled one by one as the system's,
// from the origin "регион".
const journalAction = "applyRegionConfig"

// ConfigFollower applies the region's configuration of the node's office:
// the newest revision newer than the one applied, checked whole against
// the office and written only where it differs (officefile.Apply). While
// the link is down the office works on what it applied last.
type ConfigFollower struct {
	node *Node
	b    ConfigBackend
	st   ConfigStore
	log  *slog.Logger

	cfg, status jetstream.KeyValue

	mu sync.Mutex
	// now is what the office did last; reported, whether the region has it.
	now      ConfigStatus
	reported bool
}

// FollowConfig makes the node's follower of its office's configuration;
// Run starts it.
func (n *Node) FollowConfig(b ConfigBackend, st ConfigStore, logger *slog.Logger) *ConfigFollower {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &ConfigFollower{node: n, b: b, st: st, log: logger, now: ConfigStatus{OfficeID: n.office}}
}

// Status is what the follower did last.
func (c *ConfigFollower) Status() ConfigStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Run follows the configuration until ctx ends. It returns an error only
// when the applied revision cannot be read from the store.
func (c *ConfigFollower) Run(ctx context.Context) error {
	office := c.node.office
	applied, err := c.st.RegionConfigRevision(ctx, office)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.now.Applied = applied
	c.mu.Unlock()
	wake := make(chan struct{}, 1)
	sub, err := c.node.nc.Subscribe(ConfigSubject(office), func(*nats.Msg) {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return fmt.Errorf("subscribe to the configuration of office %s: %w", office, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	tick := time.NewTicker(configTick)
	defer tick.Stop()
	var next time.Time // when the key is to be read; zero: at once
	woken := false
	for {
		switch {
		case !c.node.Linked():
			next = time.Time{}
		case woken || !time.Now().Before(next):
			before := c.Status()
			next = time.Now().Add(configTick)
			if c.step(ctx) {
				now := c.Status()
				switch {
				case now.Refused != 0:
					next = time.Now().Add(refusedRetry)
				case woken && now.Applied == before.Applied:
					// Woken by a put, a replica that has not stored it
					// yet may have answered: once more shortly.
				default:
					next = time.Now().Add(ConfigPoll)
				}
			}
		}
		woken = false
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
			woken = true
		case <-tick.C:
		}
	}
}

// step reads the office's configuration at the region, applies it when it
// is newer, and reports what the office works on. It says whether the
// region answered every request.
func (c *ConfigFollower) step(ctx context.Context) bool {
	rctx, cancel := context.WithTimeout(ctx, configWait)
	defer cancel()
	switch err := c.open(rctx); {
	case errors.Is(err, jetstream.ErrBucketNotFound):
		return true // no office of the region has a configuration yet
	case err != nil:
		c.log.Debug("region: the configuration buckets cannot be reached yet", "err", err)
		return false
	}
	e, err := c.cfg.Get(rctx, c.node.office)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		// The region holds none for the office: it keeps what it has.
	case err != nil:
		c.log.Debug("region: the office's configuration cannot be read", "err", err)
		return false
	case e.Revision() > c.Status().Applied:
		c.apply(ctx, e.Revision(), e.Value())
	case e.Revision() == c.Status().Applied && c.Status().Local == nil:
		// After a restart: which sections the office keeps, for the report.
		if f, err := officefile.Parse(ConfigBucket, e.Value()); err == nil {
			c.mu.Lock()
			c.now.Local = f.Left()
			c.mu.Unlock()
		}
	}
	return c.report(rctx)
}

// open finds the region's buckets, across the link, once.
func (c *ConfigFollower) open(ctx context.Context) error {
	if c.status != nil {
		return nil
	}
	js, err := jetstream.NewWithDomain(c.node.nc, RegionDomain)
	if err != nil {
		return err
	}
	cfg, err := js.KeyValue(ctx, ConfigBucket)
	if err != nil {
		return err
	}
	status, err := js.KeyValue(ctx, ConfigStatusBucket)
	if err != nil {
		return err
	}
	c.cfg, c.status = cfg, status
	return nil
}

// apply makes the office what revision rev says. A refusal is logged and
// journaled once per revision and reason, and tried again every
// refusedRetry: a reason such as tickets waiting for a service the region
// removed goes away by itself.
func (c *ConfigFollower) apply(ctx context.Context, rev uint64, file []byte) {
	office := c.node.office
	ctx = domain.WithOrigin(domain.WithActor(ctx, domain.System), fmt.Sprintf("регион, ревизия %d", rev))
	local, rep, err := c.applyFile(ctx, rev, file)
	if err == nil {
		// A crash before this is saved applies rev again at the next start,
		// which writes nothing.
		err = c.st.SetRegionConfigRevision(ctx, office, rev)
	}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		reason := sentence(err)
		c.mu.Lock()
		again := c.now.Refused == rev && c.now.Reason == reason
		c.now.Refused, c.now.Reason, c.reported = rev, reason, c.reported && again
		c.mu.Unlock()
		if !again {
			c.log.Warn("region: the office's configuration is refused; the office works on the one it has", "revision", rev, "err", reason)
			c.journal(ctx, rev, domain.Errorf(domain.CodeConflict, "%s", reason))
		}
		return
	}
	c.mu.Lock()
	c.now.Applied, c.now.Local, c.now.Refused, c.now.Reason, c.reported = rev, local, 0, "", false
	c.mu.Unlock()
	c.log.Info("region: the office's configuration applied", "revision", rev, "created", len(rep.Created), "updated", len(rep.Updated),
		"deleted", len(rep.Deleted), "unchanged", rep.Unchanged, "local", local, "unpaired", rep.Unpaired)
	c.journal(ctx, rev, nil)
}

// applyFile applies the region's file with the sections it leaves out
// taken from the office as it is.
func (c *ConfigFollower) applyFile(ctx context.Context, rev uint64, file []byte) ([]string, officefile.Report, error) {
	office := c.node.office
	f, err := officefile.Parse(fmt.Sprintf("%s/%s@%d", ConfigBucket, office, rev), file)
	if err != nil {
		return nil, officefile.Report{}, err
	}
	if f.Office.ID != office {
		return nil, officefile.Report{}, fmt.Errorf("конфигурация региона описывает офис %q, а этот узел ведёт офис %q", f.Office.ID, office)
	}
	own, err := officefile.Export(ctx, c.b, office)
	if err != nil {
		return nil, officefile.Report{}, fmt.Errorf("офис %s не прочитан: %w", office, err)
	}
	local := f.KeepLocal(own)
	rep, err := officefile.Apply(ctx, c.b, f, officefile.Options{})
	return local, rep, err
}

func (c *ConfigFollower) journal(ctx context.Context, rev uint64, outcome error) {
	e := domain.JournalEntry{Action: journalAction, OfficeID: c.node.office, Object: fmt.Sprintf("config/%d", rev), Err: outcome}
	if err := c.b.Record(ctx, e); err != nil && ctx.Err() == nil {
		c.log.Error("region: journal the configuration", "revision", rev, "err", err)
	}
}

// report tells the region what the office works on, once per change and
// once after each start, and says whether the region has it.
func (c *ConfigFollower) report(ctx context.Context) bool {
	c.mu.Lock()
	if c.reported {
		c.mu.Unlock()
		return true
	}
	st := c.now
	c.mu.Unlock()
	st.At = time.Now().UTC()
	body, err := json.Marshal(st)
	if err != nil {
		c.log.Error("region: encode the configuration's status", "err", err)
		return true
	}
	if _, err := c.status.Put(ctx, c.node.office, body); err != nil {
		c.log.Debug("region: the configuration's status not reported yet", "err", err)
		return false
	}
	c.mu.Lock()
	c.reported = c.now.Applied == st.Applied && c.now.Refused == st.Refused && c.now.Reason == st.Reason
	c.mu.Unlock()
	return true
}

// sentence is an error as one line a person reads: a refused file's
// mistakes joined.
func sentence(err error) string {
	var de *domain.Error
	if errors.As(err, &de) && de.Code != domain.CodeInternal {
		return de.Message
	}
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
