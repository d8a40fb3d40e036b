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

// Tuning of the follower. A linked node asks the region for its office's
// configuration every ConfigPoll: one small direct read of a key, so a
// region of 130 offices answers ~65 a second, and a change reaches a
// linked office within a poll (after a cut, within a poll of the link's
// return). configWait bounds one request to the region.
const (
	ConfigPoll = 2 * time.Second
	configWait = 5 * time.Second
)

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
	applied, err := c.st.RegionConfigRevision(ctx, c.node.office)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.now.Applied = applied
	c.mu.Unlock()
	for {
		c.step(ctx)
		if !sleep(ctx, ConfigPoll) {
			return nil
		}
	}
}

// step reads the office's configuration at the region, applies it when it
// is newer, and reports what the office works on.
func (c *ConfigFollower) step(ctx context.Context) {
	if !c.node.Linked() {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, configWait)
	defer cancel()
	if err := c.open(rctx); err != nil {
		c.log.Debug("region: the configuration buckets cannot be reached yet", "err", err)
		return
	}
	e, err := c.cfg.Get(rctx, c.node.office)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		// The region holds none for the office: it keeps what it has.
	case err != nil:
		c.log.Debug("region: the office's configuration cannot be read", "err", err)
		return
	case e.Revision() > c.Status().Applied:
		c.apply(ctx, e.Revision(), e.Value())
	}
	c.report(rctx)
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
// journaled once per revision and reason, and tried again at every poll: a
// reason such as tickets waiting for a service the region removed goes
// away by itself.
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
// once after each start.
func (c *ConfigFollower) report(ctx context.Context) {
	c.mu.Lock()
	if c.reported {
		c.mu.Unlock()
		return
	}
	st := c.now
	c.mu.Unlock()
	st.At = time.Now().UTC()
	body, err := json.Marshal(st)
	if err != nil {
		c.log.Error("region: encode the configuration's status", "err", err)
		return
	}
	if _, err := c.status.Put(ctx, c.node.office, body); err != nil {
		c.log.Debug("region: the configuration's status not reported yet", "err", err)
		return
	}
	c.mu.Lock()
	c.reported = c.now.Applied == st.Applied && c.now.Refused == st.Refused && c.now.Reason == st.Reason
	c.mu.Unlock()
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
