package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/queue"
	"github.com/talonqueue/talon/queue-server/ups"
)

// powerFlags watch the server's UPS through Network UPS Tools.
type powerFlags struct {
	upsName    string
	ups        ups.Addr // parsed from upsName; zero without --ups
	every      time.Duration
	lowRuntime time.Duration
}

func (p *powerFlags) define(fs *flag.FlagSet, getenv func(string) string) error {
	every, err := envDuration(getenv, "TALON_UPS_EVERY", 5*time.Second)
	if err != nil {
		return err
	}
	low, err := envDuration(getenv, "TALON_UPS_LOW_RUNTIME", 0)
	if err != nil {
		return err
	}
	fs.StringVar(&p.upsName, "ups", getenv("TALON_UPS"),
		"ИБП сервера, как его называет Network UPS Tools: ИМЯ@ХОСТ[:ПОРТ] (порт по умолчанию 3493); при работе от батареи терминалы и страница офиса получают предупреждение, при разряде сервер корректно выключается (TALON_UPS)")
	fs.DurationVar(&p.every, "ups-every", every, "как часто опрашивать ИБП (TALON_UPS_EVERY)")
	fs.DurationVar(&p.lowRuntime, "ups-low-runtime", low,
		"выключиться, когда ИБП на батарее обещает меньше работы, чем столько, даже до сигнала о разряде; 0 — только по сигналу разряда (TALON_UPS_LOW_RUNTIME)")
	return nil
}

// check parses --ups after the flags are read.
func (p *powerFlags) check() error {
	if p.every <= 0 || p.lowRuntime < 0 {
		return errors.New("--ups-every должен быть больше нуля, а --ups-low-runtime — не меньше нуля")
	}
	if p.upsName == "" {
		return nil
	}
	a, err := ups.ParseAddr(p.upsName)
	if err != nil {
		return fmt.Errorf("--ups: %w", err)
	}
	p.ups = a
	return nil
}

// errPowerLow ends serving when the UPS's battery is about to run out.
type errPowerLow struct{ state domain.PowerState }

func (e errPowerLow) Error() string { return e.state.Words() }

// watchPower reads the UPS until the returned stop is called, tells every
// office and the journal of each change, and on low battery calls shutdown
// with errPowerLow after the offices have been told. Without --ups it does
// nothing.
func watchPower(f powerFlags, svc *queue.Service, log *slog.Logger, shutdown context.CancelCauseFunc) (stop func()) {
	if f.ups.UPS == "" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	sys := domain.WithOrigin(domain.WithActor(ctx, domain.System), "upsd "+f.ups.Host)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ups.Run(ctx, ups.Config{Addr: f.ups, Every: f.every, LowRuntime: f.lowRuntime, Logger: log, OnChange: func(s ups.State) {
			p := powerState(f.ups, s)
			if err := svc.SetPower(sys, p); err != nil && ctx.Err() == nil {
				log.Error("record the server's power", "power", p.Status, "err", err)
			}
			if p.Status == domain.PowerLowBattery {
				// The journal says the server stopped on purpose. Being a
				// write of its own, the record also waits until the writer
				// has handed the low-battery event to the streams, which
				// Close then sends before its bye.
				en := domain.JournalEntry{Action: "powerShutdown", Object: "ups/" + p.UPS}
				if err := svc.Record(sys, en); err != nil {
					log.Error("journal the shutdown on a low UPS battery", "err", err)
				}
				shutdown(errPowerLow{p})
			}
		}})
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}

// powerState is the monitor's judgement as the offices learn it.
func powerState(a ups.Addr, s ups.State) domain.PowerState {
	p := domain.PowerState{Charge: -1, RuntimeSeconds: -1, UPS: a.String()}
	switch s.Power {
	case ups.Online:
		p.Status = domain.PowerOnline
	case ups.OnBattery:
		p.Status = domain.PowerOnBattery
	case ups.Low:
		p.Status = domain.PowerLowBattery
	default:
		p.Status = domain.PowerUnknown
		return p
	}
	p.Charge = s.Reading.Charge
	if s.Reading.Runtime >= 0 {
		p.RuntimeSeconds = int(s.Reading.Runtime / time.Second)
	}
	return p
}
