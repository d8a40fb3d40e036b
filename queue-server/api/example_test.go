package api_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/talonqueue/talon/queue-server/api"
	"github.com/talonqueue/talon/queue-server/auth"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/push"
)

// How main wires the API: the engine is the Backend, the Journal and the hub's snapshot
// source, and publishes its committed events to the hub; the hub closes with
// the server.
func ExampleNew() {
	var (
		engine  domain.Backend // the engine
		audit   domain.Journal // the engine too
		backup  func(ctx context.Context, w io.Writer) (int64, error)
		secret  []byte // kept in the store, from auth.NewSecret on first start
		started = make(chan struct{})
	)
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	tokens, err := auth.NewIssuer(secret, 12*time.Hour, time.Now)
	if err != nil {
		log.Error("tokens", "err", err)
		return
	}
	hub := push.NewHub(engine.GetSnapshot, push.Options{Logger: log})
	// The engine calls hub.Publish(events) after every successful commit.
	handler, err := api.New(api.Config{
		Backend: engine, Journal: audit, Tokens: tokens, Hub: hub, Backup: backup, Logger: log,
		Ready: func() error {
			select {
			case <-started:
				return nil
			default:
				return errors.New("still loading")
			}
		},
	})
	if err != nil {
		log.Error("api", "err", err)
		return
	}
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	close(started)
	go srv.ListenAndServe()

	// On SIGTERM: stop taking requests, then say bye to the streams (hijacked
	// connections are not closed by Shutdown), then close the engine.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	hub.Close()
}
