// Command talon-region starts a small region on one machine for `make
// run-region`: the region's three-node NATS JetStream cluster (real
// nats-server processes built from the module), two offices joined to it
// and the regional server (queue-server --region). Until office mode is
// merged the offices are office-like leaf nodes in their own domains that
// publish a ticket's events every few seconds, as an office node would;
// each sits behind a proxy, and typing `cut mfc-1` or `link mfc-1` cuts or
// restores its link. Everything lives in -dir, made fresh at every start.
//
//	cut OFFICE | link OFFICE    cut or restore an office's leaf link
//	kill N | start N            kill or start regional node N (1..3)
//	status                      how far the region has applied each office
//	quit
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/talonqueue/talon/internal/natstest"
	"github.com/talonqueue/talon/queue-server/region"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "talon-region:", err)
		os.Exit(1)
	}
}

var offices = []string{"mfc-1", "mfc-2"}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("talon-region", flag.ContinueOnError)
	dir := fs.String("dir", "./data/region", "папка региона: узлы NATS, офисы и данные регионального сервера (создаётся заново)")
	server := fs.String("queue-server", "./bin/queue-server", "собранный queue-server, который запускается с --region")
	addr := fs.String("addr", "127.0.0.1:8090", "адрес регионального сервера")
	every := fs.Duration("every", 3*time.Second, "как часто каждый офис обслуживает талон (4 события)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.RemoveAll(*dir); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Собираю nats-server и запускаю кластер региона из трёх узлов…")
	c, err := natstest.StartCluster(ctx, filepath.Join(*dir, "cluster"), region.RegionDomain)
	if err != nil {
		return err
	}
	defer c.Stop()
	nc, err := region.Connect(c.URLs(), "talon-region")
	if err != nil {
		return err
	}
	defer nc.Close()
	byID := map[string]*natstest.Office{}
	for _, id := range offices {
		o, err := natstest.StartOffice(ctx, filepath.Join(*dir, id), c, region.OfficeDomain(id), region.OfficeStream(id), region.OfficeSubject(id), region.HeaderSeq)
		if err != nil {
			return err
		}
		defer o.Stop()
		if err := joinWhenLinked(ctx, nc, id); err != nil {
			return err
		}
		byID[id] = o
	}
	regional := exec.Command(*server, "--region", c.URLs(), "--addr", *addr, "--data", filepath.Join(*dir, "regional"))
	regional.Stderr = os.Stderr
	out, err := regional.StdoutPipe()
	if err != nil {
		return err
	}
	if err := regional.Start(); err != nil {
		return fmt.Errorf("запуск %s: %w (соберите его: make build)", *server, err)
	}
	defer func() { _ = regional.Process.Signal(syscall.SIGTERM); _ = regional.Wait() }()
	url, err := listening(out, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Кластер: %s\nРегиональный сервер: %s (статистика: %s/region/stats?from=ГГГГ-ММ-ДД&to=ГГГГ-ММ-ДД&by=office)\n", c.URLs(), url, url)
	fmt.Fprintln(stdout, "Команды: cut ОФИС, link ОФИС, kill N, start N, status, quit")

	go serveTickets(ctx, byID, *every)
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				<-ctx.Done() // stdin closed (make in the background): run until stopped
				return nil
			}
			if quit := command(ctx, strings.Fields(line), c, byID, url, stdout); quit {
				return nil
			}
		}
	}
}

// joinWhenLinked joins an office once its leaf link is up.
func joinWhenLinked(ctx context.Context, nc *nats.Conn, id string) error {
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if err = region.Join(ctx, nc, region.OfficeInfo{ID: id, TimeZone: "Europe/Moscow"}); err == nil {
			return nil
		}
	}
	return err
}

var greeting = regexp.MustCompile(`слушает (http://\S+)`)

// listening echoes the regional server's output until it says where it listens.
func listening(r io.Reader, stdout io.Writer) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fmt.Fprintln(stdout, sc.Text())
		if m := greeting.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(stdout, r) }()
			return m[1], nil
		}
	}
	return "", errors.New("региональный сервер остановился, не начав слушать")
}

// serveTickets has each office serve a ticket every interval.
func serveTickets(ctx context.Context, byID map[string]*natstest.Office, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for id, o := range byID {
			for _, e := range natstest.TicketEvents(id, o.Last(), time.Now().Add(-20*time.Minute), 1, 4) {
				body, _ := json.Marshal(e)
				if _, err := o.Publish(ctx, map[string]string{region.HeaderOffice: id}, body); err != nil {
					fmt.Fprintf(os.Stderr, "офис %s: %v\n", id, err)
					break
				}
			}
		}
	}
}

// command runs one typed command; it reports whether to quit.
func command(ctx context.Context, f []string, c *natstest.Cluster, byID map[string]*natstest.Office, url string, stdout io.Writer) bool {
	if len(f) == 0 {
		return false
	}
	arg := ""
	if len(f) > 1 {
		arg = f[1]
	}
	var err error
	switch f[0] {
	case "quit", "exit":
		return true
	case "cut", "link":
		o := byID[arg]
		if o == nil {
			err = fmt.Errorf("нет офиса %q; есть %s", arg, strings.Join(offices, ", "))
		} else if f[0] == "cut" {
			o.Proxy.Stop()
		} else {
			err = o.Proxy.Start()
		}
	case "kill", "start":
		n, _ := strconv.Atoi(arg)
		if n < 1 || n > len(c.Nodes) {
			err = fmt.Errorf("узлы кластера — от 1 до %d", len(c.Nodes))
		} else if f[0] == "kill" {
			c.Nodes[n-1].Kill()
		} else {
			err = c.Nodes[n-1].Start(ctx)
		}
	case "status":
		err = status(url, byID, stdout)
	default:
		err = errors.New("команды: cut ОФИС, link ОФИС, kill N, start N, status, quit")
	}
	if err != nil {
		fmt.Fprintln(stdout, err)
	} else {
		fmt.Fprintln(stdout, "готово")
	}
	return false
}

func status(url string, byID map[string]*natstest.Office, stdout io.Writer) error {
	resp, err := http.Get(url + "/region/offices")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var p []region.OfficeProgress
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return err
	}
	for _, o := range p {
		fmt.Fprintf(stdout, "%s: в регионе %d из %d событий\n", o.OfficeID, o.LastSeq, byID[o.OfficeID].Last())
	}
	return nil
}
