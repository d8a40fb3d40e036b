package main

import (
	"log/slog"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// notifySystemd tells systemd, when it started the server as a Type=notify
// service, that the server is ready (it listens and its store is loaded),
// and pings the unit's watchdog for as long as the store works: a server
// whose store failed stops pinging and systemd restarts it. The returned
// stopping says the server is on its way down. Outside systemd
// (no NOTIFY_SOCKET) all of it does nothing.
func notifySystemd(ready func() error, log *slog.Logger) (stopping func()) {
	if sent, err := daemon.SdNotify(false, daemon.SdNotifyReady); err != nil {
		log.Warn("tell systemd the server is ready", "err", err)
	} else if !sent {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	every, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("read systemd's watchdog interval", "err", err)
	}
	go func() {
		defer close(finished)
		if every <= 0 {
			<-done
			return
		}
		t := time.NewTicker(every / 2)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if ready() != nil {
					continue
				}
				if _, err := daemon.SdNotify(false, daemon.SdNotifyWatchdog); err != nil {
					log.Warn("ping systemd's watchdog", "err", err)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		_, _ = daemon.SdNotify(false, daemon.SdNotifyStopping)
	}
}
