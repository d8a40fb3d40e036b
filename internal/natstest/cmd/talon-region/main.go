// Command talon-region starts a small region on one machine for `make
// run-region`: the region's three-node NATS JetStream cluster (real
// nats-server processes built from the module), two office nodes joined to
// it (queue-server --office-node: the demo office, and the demo's file
// imported as mfc-2, each with its own data folder, web pages and paired
// terminals) and the regional server (queue-server --region). Each office
// serves a ticket every few seconds through its kiosk and operator1 and
// sits behind a proxy: typing `cut demo` or `link demo` cuts or restores
// its link. Everything lives in -dir, made fresh at every start.
//
//	cut OFFICE | link OFFICE    cut or restore an office's leaf link
//	kill N | start N            kill or start regional node N (1..3)
//	status                      how far the region has applied each office
//	quit
package main

import (
	"bufio"
	"bytes"
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
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
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

// office is a running office node behind its proxy.
type office struct {
	id    string
	proxy *natstest.Proxy
	cmd   *exec.Cmd
	url   string
	kiosk *client.Client
	op    *client.Client
}

var officeIDs = []string{demo.OfficeID, "mfc-2"}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("talon-region", flag.ContinueOnError)
	dir := fs.String("dir", "./data/region", "папка региона: узлы NATS, офисы и данные регионального сервера (создаётся заново)")
	server := fs.String("queue-server", "./bin/queue-server", "собранный queue-server: узлы офисов и региональный сервер")
	addr := fs.String("addr", "127.0.0.1:8090", "адрес регионального сервера")
	officeAddrs := fs.String("offices", "127.0.0.1:8091,127.0.0.1:8092", "адреса двух узлов офисов (demo и mfc-2) через запятую")
	every := fs.Duration("every", 3*time.Second, "как часто каждый офис обслуживает талон")
	if err := fs.Parse(args); err != nil {
		return err
	}
	addrs := strings.Split(*officeAddrs, ",")
	if len(addrs) != len(officeIDs) {
		return fmt.Errorf("-offices: нужны %d адреса через запятую", len(officeIDs))
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
	byID := map[string]*office{}
	for i, id := range officeIDs {
		o, err := startOffice(ctx, *server, filepath.Join(*dir, id), id, strings.TrimSpace(addrs[i]), c)
		if err != nil {
			return err
		}
		defer o.stop()
		if err := joinWhenLinked(ctx, nc, id); err != nil {
			return err
		}
		byID[id] = o
		fmt.Fprintf(stdout, "Узел офиса %s: %s (вход operator1 / demo; терминалы — в %s, журнал — %s)\n",
			id, o.url, filepath.Join(*dir, id, "terminals"), filepath.Join(*dir, id, "queue-server.log"))
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
	fmt.Fprintf(stdout, "Кластер: %s\nРегиональный сервер: %s (панель региона: %s/, статистика: %s/region/stats?from=ГГГГ-ММ-ДД&to=ГГГГ-ММ-ДД&by=office)\n", c.URLs(), url, url, url)
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
			if quit := command(ctx, strings.Fields(line), c, nc, byID, url, stdout); quit {
				return nil
			}
		}
	}
}

// startOffice starts an office node for office id in dir on addr, linked
// to the cluster through a new proxy: the demo office seeded by --demo,
// any other the demo's file imported under its id with its devices paired
// and its accounts' password "demo".
func startOffice(ctx context.Context, server, dir, id, addr string, c *natstest.Cluster) (*office, error) {
	p, err := natstest.NewProxy(c.LeafURLs())
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.Stop()
		return nil, err
	}
	args := []string{"--addr", addr, "--data", dir, "--office-node", "--region-url", p.URL()}
	if id == demo.OfficeID {
		args = append(args, "--demo")
	} else {
		file := filepath.Join(dir, "office.yaml")
		if err := os.WriteFile(file, officeFile(id), 0o644); err != nil {
			p.Stop()
			return nil, err
		}
		imp := exec.CommandContext(ctx, server, "import-office", file, "--as", id, "--data", dir, "--initial-password", "demo", "--pair-devices", "http://"+addr)
		if out, err := imp.CombinedOutput(); err != nil {
			p.Stop()
			return nil, fmt.Errorf("import-office --as %s: %w\n%s", id, err, out)
		}
	}
	logs, err := os.Create(filepath.Join(dir, "queue-server.log"))
	if err != nil {
		p.Stop()
		return nil, err
	}
	defer logs.Close() // the child holds its own copy
	cmd := exec.Command(server, args...)
	cmd.Stderr = logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		p.Stop()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		p.Stop()
		return nil, fmt.Errorf("запуск %s: %w (соберите его: make build)", server, err)
	}
	o := &office{id: id, proxy: p, cmd: cmd}
	if o.url, err = listening(out, io.Discard); err != nil {
		o.stop()
		return nil, fmt.Errorf("узел офиса %s: %w", id, err)
	}
	if err := o.login(ctx, dir); err != nil {
		o.stop()
		return nil, err
	}
	return o, nil
}

// login signs the office's kiosk1 in with the credential its pairing wrote
// to the data folder, and operator1 with the password "demo".
func (o *office) login(ctx context.Context, dir string) error {
	// The demo writes its terminals' files just after it starts listening.
	var b []byte
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if b, err = os.ReadFile(filepath.Join(dir, "terminals", "kiosk1.json")); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		return err
	}
	var term struct {
		Credential string `json:"credential"`
	}
	if err := json.Unmarshal(b, &term); err != nil {
		return fmt.Errorf("kiosk1.json офиса %s: %w", o.id, err)
	}
	if o.kiosk, err = client.New(o.url, client.WithDeviceCredential(term.Credential)); err != nil {
		return err
	}
	if o.op, err = client.New(o.url, client.WithCredentials("operator1", "demo"), client.WithAutoRelogin()); err != nil {
		return err
	}
	if _, err := o.op.Login(ctx, "operator1", "demo"); err != nil {
		return fmt.Errorf("вход operator1 в офис %s: %w", o.id, err)
	}
	return nil
}

// stop ends the office node with SIGTERM (it saves its cursor) and its proxy.
func (o *office) stop() {
	_ = o.cmd.Process.Signal(syscall.SIGTERM)
	_ = o.cmd.Wait()
	o.proxy.Stop()
}

// officeFile is the office file of office id: the demo's, a second office
// named apart so the dashboard tells them apart.
func officeFile(id string) []byte {
	if id == demo.OfficeID {
		return demo.File()
	}
	return bytes.Replace(demo.File(), []byte("— демонстрационный офис"), []byte("— второй офис ("+id+")"), 1)
}

// joinWhenLinked joins an office once its leaf link is up, with its
// catalogue (names and codes for the regional pages and feeds).
func joinWhenLinked(ctx context.Context, nc *nats.Conn, id string) error {
	c, err := region.CatalogOf("office.yaml", officeFile(id), id)
	if err != nil {
		return err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if err = region.Join(ctx, nc, region.OfficeInfo{ID: id, TimeZone: c.Office.TimeZone, Feeds: c}); err == nil {
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

// serveTickets has each office issue a ticket and serve it at window 1
// every interval, whether or not its link is up.
func serveTickets(ctx context.Context, byID map[string]*office, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for id, o := range byID {
			if err := o.serveOne(ctx); err != nil {
				fmt.Fprintf(os.Stderr, "офис %s: %v\n", id, err)
			}
		}
	}
}

// serveOne issues a passport ticket at the kiosk and has operator1 call,
// serve and finish the next one at window 1, opening the window if needed.
func (o *office) serveOne(ctx context.Context) error {
	if _, err := o.kiosk.IssueTicket(ctx, o.id, domain.IssueRequest{ServiceID: "passport"}); err != nil {
		return err
	}
	tk, err := o.op.CallNext(ctx, o.id, "w1", false)
	if err != nil {
		if _, err := o.op.OpenWindowSession(ctx, o.id, "w1"); err != nil {
			return err
		}
		if tk, err = o.op.CallNext(ctx, o.id, "w1", false); err != nil {
			return err
		}
	}
	if _, err := o.op.StartService(ctx, o.id, tk.ID); err != nil {
		return err
	}
	_, err = o.op.FinishTicket(ctx, o.id, tk.ID)
	return err
}

// command runs one typed command; it reports whether to quit.
func command(ctx context.Context, f []string, c *natstest.Cluster, nc *nats.Conn, byID map[string]*office, url string, stdout io.Writer) bool {
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
			err = fmt.Errorf("нет офиса %q; есть %s", arg, strings.Join(officeIDs, ", "))
		} else if f[0] == "cut" {
			o.proxy.Stop()
		} else {
			err = o.proxy.Start()
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
		err = status(url, nc, stdout)
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

// status prints how far the region has applied each office, and how far
// the office's stream goes when its link answers.
func status(url string, nc *nats.Conn, stdout io.Writer) error {
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
		if last, ok := natstest.StreamLast(nc, region.OfficeDomain(o.OfficeID), region.OfficeStream(o.OfficeID)); ok {
			fmt.Fprintf(stdout, "%s: в регионе %d из %d событий\n", o.OfficeID, o.LastSeq, last)
		} else {
			fmt.Fprintf(stdout, "%s: в регионе %d событий; офис не отвечает (связь разорвана?)\n", o.OfficeID, o.LastSeq)
		}
	}
	return nil
}
