// Command queue-server is Talon's queue server: it keeps the durable queue of
// every office and serves the HTTP API, the live stream and the web pages.
//
//	queue-server [--demo] [--addr HOST:PORT] [--data DIR] [TLS]   serve
//	queue-server create-admin --data DIR --login NAME --password SECRET
//	queue-server restore --from BACKUP --data DIR
//	queue-server journal verify --data DIR
//	queue-server stats rebuild --data DIR
//	queue-server catalog import --data DIR --office ID --file FILE [--format json|csv] [--charset C] [--dry-run]
//
// where TLS is one of
//
//	--tls-self-signed                  HTTPS with a certificate made in DIR/tls on the first start
//	--tls-cert FILE --tls-key FILE     HTTPS with a given certificate and key (PEM)
//	--insecure-http                    plain HTTP off loopback, behind a proxy that terminates TLS
//
// Without any of them the server speaks plain HTTP, and only on a loopback
// address (127.0.0.0/8, ::1, localhost); elsewhere it refuses to start.
// The export of ratings to ИАС МКГУ is on with all three of
//
//	--mkgu-url URL --mkgu-cert FILE --mkgu-key FILE   (the signing certificate and RSA key, PEM)
//
// Prometheus metrics are at /metrics on the same listener, open to whoever
// reaches the server unless --metrics-token TOKEN makes them ask for
// "Authorization: Bearer TOKEN" (they hold counts and ids, no personal data).
//
// The server's UPS is watched through Network UPS Tools with
//
//	--ups NAME@HOST[:PORT] [--ups-every 5s] [--ups-low-runtime 0]
//
// on battery the terminals and the office page are warned and the journal
// says so; on low battery the server shuts down cleanly and exits 0.
//
// Every flag also has an environment variable: TALON_ADDR, TALON_DATA,
// TALON_DEMO_PASSWORD, TALON_TLS_CERT, TALON_TLS_KEY, TALON_TLS_SELF_SIGNED,
// TALON_INSECURE_HTTP, TALON_MKGU_URL, TALON_MKGU_CERT, TALON_MKGU_KEY,
// TALON_METRICS_TOKEN, TALON_UPS, TALON_UPS_EVERY, TALON_UPS_LOW_RUNTIME.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // offices name IANA zones; the binary must not depend on the host's tzdata
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "queue-server:", err)
		os.Exit(1)
	}
}

// run is the whole program, callable from tests.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "create-admin":
			return createAdmin(ctx, args[1:], getenv, stdout, stderr)
		case "restore":
			return restore(ctx, args[1:], getenv, stdout, stderr)
		case "journal":
			return journalCommand(ctx, args[1:], getenv, stdout, stderr)
		case "stats":
			return statsCommand(ctx, args[1:], getenv, stdout, stderr)
		case "catalog":
			return catalogCommand(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	return serve(ctx, args, getenv, stdout, stderr)
}
