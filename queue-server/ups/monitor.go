package ups

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
)

// Reading is what one poll of upsd learned.
type Reading struct {
	// Status is ups.status as upsd gave it, e.g. "OB DISCHRG".
	Status string
	// OnBattery: OB. LowBattery: LB, which matters only on battery: a UPS
	// charging after a cut says OL LB. ForcedShutdown: FSD, upsmon's order
	// to power off, on line or not.
	OnBattery, LowBattery, ForcedShutdown bool
	// Charge is battery.charge in percent, -1 when the UPS does not say.
	Charge int
	// Runtime is battery.runtime, -1 when the UPS does not say.
	Runtime time.Duration
}

// Read polls a UPS's status, charge and runtime. A UPS that does not report
// the charge or runtime (VAR-NOT-SUPPORTED) gives -1 for it.
func (c *Client) Read(ups string) (Reading, error) {
	status, err := c.Get(ups, "ups.status")
	if err != nil {
		return Reading{}, err
	}
	r, err := parseStatus(status)
	if err != nil {
		return Reading{}, err
	}
	if r.Charge, err = c.number(ups, "battery.charge"); err != nil {
		return Reading{}, err
	}
	secs, err := c.number(ups, "battery.runtime")
	if err != nil {
		return Reading{}, err
	}
	r.Runtime = -1
	if secs >= 0 {
		r.Runtime = time.Duration(secs) * time.Second
	}
	return r, nil
}

// parseStatus reads ups.status: space-separated upper-case flags, one of
// which must be OL or OB.
func parseStatus(s string) (Reading, error) {
	r := Reading{Status: s}
	var online bool
	flags := strings.Fields(s)
	for _, f := range flags {
		for _, c := range f {
			if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
				return Reading{}, fmt.Errorf("%w: ups.status %q", ErrProtocol, s)
			}
		}
		switch f {
		case "OL":
			online = true
		case "OB":
			r.OnBattery = true
		case "LB":
			r.LowBattery = true
		case "FSD":
			r.ForcedShutdown = true
		}
	}
	if online == r.OnBattery {
		return Reading{}, fmt.Errorf("%w: ups.status %q says neither OL nor OB", ErrProtocol, s)
	}
	return r, nil
}

// number reads a numeric variable rounded down, -1 when the UPS does not
// report it.
func (c *Client) number(ups, name string) (int, error) {
	v, err := c.Get(ups, name)
	if e := (*Error)(nil); errors.As(err, &e) && e.Code == "VAR-NOT-SUPPORTED" {
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f < 0 || f > math.MaxInt32 {
		return 0, fmt.Errorf("%w: %s %q is not a number", ErrProtocol, name, v)
	}
	return int(f), nil
}

// Power is the server's power as the monitor judges it.
type Power string

const (
	Online    Power = "online"
	OnBattery Power = "on_battery"
	// Low: the battery is about to run out; the server must shut down.
	Low Power = "low_battery"
	// Lost: upsd could not be reached or answered nonsense, so nothing
	// would warn of a power cut.
	Lost Power = "lost"
)

// State is one judgement of the monitor.
type State struct {
	Power   Power
	Reading Reading // zero when Lost
	Err     error   // why, when Lost
}

// Config sets a Monitor up.
type Config struct {
	Addr Addr
	// Every is the time between polls; 5 s when zero.
	Every time.Duration
	// Timeout bounds the connection and each request; Every when zero.
	Timeout time.Duration
	// LowRuntime makes running on battery with less runtime left count as
	// Low even before the UPS says LB; 0: only LB does.
	LowRuntime time.Duration
	Logger     *slog.Logger // nil: slog.Default()
	// OnChange gets every state that differs from the last one (Same),
	// from the monitor's goroutine, the first one included.
	OnChange func(State)
}

// judge turns a reading into a state.
func (c Config) judge(r Reading) State {
	switch {
	case r.ForcedShutdown, r.OnBattery && r.LowBattery, r.OnBattery && c.LowRuntime > 0 && r.Runtime >= 0 && r.Runtime < c.LowRuntime:
		return State{Power: Low, Reading: r}
	case r.OnBattery:
		return State{Power: OnBattery, Reading: r}
	}
	return State{Power: Online, Reading: r}
}

// Same reports whether two states need no new word to people: the same
// power, and on battery the same tens of percent of charge.
func (s State) Same(o State) bool {
	if s.Power != o.Power {
		return false
	}
	if s.Power == OnBattery {
		return s.Reading.Charge/10 == o.Reading.Charge/10
	}
	return true
}

// Run polls the UPS until ctx ends, reconnecting after any failure, and
// calls OnChange on every change.
func Run(ctx context.Context, cfg Config) {
	if cfg.Every <= 0 {
		cfg.Every = 5 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = cfg.Every
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	var (
		c    *Client
		last *State
	)
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	t := time.NewTicker(cfg.Every)
	defer t.Stop()
	for {
		st := cfg.poll(ctx, &c)
		if ctx.Err() != nil {
			return
		}
		if last == nil || !st.Same(*last) {
			if st.Power == Lost {
				log.Error("UPS unreachable: no warning of a power cut until it answers again", "ups", cfg.Addr.String(), "err", st.Err)
			} else {
				log.Info("UPS state", "ups", cfg.Addr.String(), "power", st.Power, "status", st.Reading.Status,
					"charge", st.Reading.Charge, "runtime", st.Reading.Runtime)
			}
			last = &st
			cfg.OnChange(st)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// poll reads the UPS once, connecting first if needed; on failure it drops
// the connection so the next poll starts afresh.
func (cfg Config) poll(ctx context.Context, c **Client) State {
	if *c == nil {
		cl, err := Dial(ctx, cfg.Addr.Host, cfg.Timeout)
		if err != nil {
			return State{Power: Lost, Err: err}
		}
		*c = cl
	}
	r, err := (*c).Read(cfg.Addr.UPS)
	if err != nil {
		(*c).Close()
		*c = nil
		return State{Power: Lost, Err: err}
	}
	return cfg.judge(r)
}
