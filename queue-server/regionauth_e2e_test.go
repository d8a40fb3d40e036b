package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/talonqueue/talon/internal/natstest"
	"github.com/talonqueue/talon/internal/outbuf"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/officefile"
	"github.com/talonqueue/talon/queue-server/region"
	"github.com/talonqueue/talon/queue-server/region/regiontest"
)

// regionUsers makes an nkey per user of the region's cluster, each seed in
// a file of its own as an installation keeps it, and the cluster's
// authorization for them as `queue-server region authorization` prints it.
func regionUsers(t *testing.T, offices ...string) (accounts string, seeds map[string]string) {
	t.Helper()
	dir := t.TempDir()
	seeds = map[string]string{}
	user := func(name string) string {
		kp, err := nkeys.CreateUser()
		if err != nil {
			t.Fatal(err)
		}
		seed, _ := kp.Seed()
		pub, _ := kp.PublicKey()
		seeds[name] = filepath.Join(dir, name+".nk")
		if err := os.WriteFile(seeds[name], append(seed, '\n'), 0o600); err != nil {
			t.Fatal(err)
		}
		return pub
	}
	u := region.AuthUsers{Admin: user("admin"), Regional: user("regional"), Offices: map[string]string{}}
	for _, id := range offices {
		u.Offices[id] = user(id)
	}
	args := []string{"region", "authorization", "--admin", u.Admin, "--regional", u.Regional}
	for id, k := range u.Offices {
		args = append(args, "--office", id+"="+k)
	}
	var out bytes.Buffer
	if err := run(context.Background(), args, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatalf("region authorization: %v", err)
	}
	return out.String(), seeds
}

// TestRegionAuth runs a region whose cluster takes TLS only, from clients
// and leaf links with its client certificate, and lets in only the users
// of its authorization, each to do its part: an office node
// with its own key joins (`region join` with the administrator's), its
// events reach the regional server, which logs in with its own, and the
// configuration set at the region (the administrator's) flows down to it;
// the regional server's key may only ask how far an office's stream is.
// Without a key, a connection and an office's link are refused, the
// regional server with a sentence; with an office's key the regional
// server says it may not read; a link with another office's key cannot
// put anything into the first office's source.
func TestRegionAuth(t *testing.T) {
	ctx := context.Background()
	const other = "mfc-2"
	accounts, seeds := regionUsers(t, demo.OfficeID, other)
	adminKey, err := nats.NkeyOptionFromSeed(seeds["admin"])
	if err != nil {
		t.Fatal(err)
	}
	c := natstest.StartSecure(t, region.RegionDomain, natstest.Secure{Accounts: accounts, Client: []nats.Option{adminKey}, TLS: true, VerifyClients: true})
	tlsFlags := []string{"--region-tls-ca", c.CA, "--region-tls-cert", c.ClientCert, "--region-tls-key", c.ClientKey}
	link := func(user string) []string { return append([]string{"--region-creds", seeds[user]}, tlsFlags...) }
	tlsLink := region.Link{CA: c.CA, Cert: c.ClientCert, Key: c.ClientKey}
	leafTLS := fmt.Sprintf("tls { ca_file: %q, cert_file: %q, key_file: %q }", c.CA, c.ClientCert, c.ClientKey)
	noenv := func(string) string { return "" }

	if _, err := tlsLink.Connect(c.URLs(), "test"); err == nil || !strings.Contains(err.Error(), "отказал во входе") {
		t.Fatalf("a connection without credentials: %v, want refused with a sentence", err)
	}
	for what, l := range map[string]region.Link{
		"does not trust the cluster's CA": {Credentials: seeds["admin"], Cert: c.ClientCert, Key: c.ClientKey},
		"has no certificate of its own":   {Credentials: seeds["admin"], CA: c.CA},
	} {
		if _, err := l.Connect(c.URLs(), "test"); err == nil || !strings.Contains(err.Error(), "TLS") {
			t.Fatalf("a connection that %s: %v, want a TLS sentence", what, err)
		}
	}
	admin := tlsLink
	admin.Credentials = seeds["admin"]
	nc, err := admin.Connect(c.URLs(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	a := startNodeProcess(t, c, demo.OfficeID, t.TempDir(), true, link(demo.OfficeID)...)
	join(t, c.URLs(), a.id, append([]string{"--time-zone", "Europe/Moscow"}, link("admin")...)...)

	err = run(ctx, append([]string{"--region", c.URLs(), "--addr", "127.0.0.1:0", "--data", t.TempDir()}, tlsFlags...), noenv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "кластер NATS региона") || !strings.Contains(err.Error(), "отказал во входе: проверьте учётные данные") {
		t.Fatalf("the regional server without credentials: %v, want refused with a sentence", err)
	}
	// With an office's key it logs in, and says the cluster does not let
	// it read the regional stream.
	logs := &outbuf.Buffer{Max: 64 << 10}
	wrongCtx, stopWrong := context.WithCancel(ctx)
	wrong := make(chan error, 1)
	go func() {
		wrong <- run(wrongCtx, append([]string{"--region", c.URLs(), "--addr", "127.0.0.1:0", "--data", t.TempDir()}, link(demo.OfficeID)...), noenv, io.Discard, logs)
	}()
	regiontest.WaitFor(t, "the regional server with an office's key says it may not read", func() bool {
		return strings.Contains(logs.String(), "the cluster refuses the regional server a subject")
	})
	stopWrong()
	if err := <-wrong; err != nil {
		t.Fatalf("the regional server with an office's key, stopped: %v", err)
	}

	// The regional server's key may ask how far an office's stream is, not
	// change it, nor read the region's configuration: a refused publish is
	// answered with an error on the connection before the flush's.
	regLink := tlsLink
	regLink.Credentials = seeds["regional"]
	regc, err := regLink.ConnectRegional(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer regc.Close()
	if _, ok := natstest.StreamLast(regc, region.OfficeDomain(a.id), region.OfficeStream(a.id)); !ok {
		t.Fatal("the regional server's key may not ask an office's stream its state")
	}
	for _, subj := range []string{
		region.APIPrefix(region.OfficeDomain(a.id)) + ".STREAM.DELETE." + region.OfficeStream(a.id),
		"$JS.API.STREAM.DELETE." + region.RegionStream,
		"$JS.API.DIRECT.GET.KV_" + region.ConfigBucket + ".$KV." + region.ConfigBucket + "." + a.id,
		region.OfficeSubject(a.id),
	} {
		if err := regc.Publish(subj, nil); err != nil {
			t.Fatal(err)
		}
		if err := regc.Flush(); err != nil {
			t.Fatal(err)
		}
		if last := regc.LastError(); !errors.Is(last, nats.ErrPermissionViolation) || !strings.Contains(last.Error(), subj) {
			t.Errorf("the regional server's key publishes to %s: %v", subj, last)
		}
	}

	_, regionalURL := testserver.StartArgs(t, append([]string{"--region", c.URLs(), "--addr", "127.0.0.1:0", "--data", t.TempDir()}, link("regional")...)...)
	a.day(t)
	following(t, regionalURL, nc, a.id)
	// The dashboard, with the regional server's key, sees the office linked.
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(regionalURL, "http")+"/region/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	for linked := false; !linked; {
		_, body, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("the dashboard's push: %v", err)
		}
		var m struct {
			Offices []region.OfficeLive `json:"offices"`
			Office  *region.OfficeLive  `json:"office"`
		}
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		if m.Office != nil {
			m.Offices = append(m.Offices, *m.Office)
		}
		for _, o := range m.Offices {
			linked = linked || o.ID == a.id && o.Link.Linked
		}
	}

	// The configuration flows down through the office's narrow link: the
	// office reads its own key and reports on its own.
	f, err := officefile.Parse("demo.yaml", demo.File())
	if err != nil {
		t.Fatal(err)
	}
	f.Announcements = nil
	f.Categories = append(f.Categories, officefile.Category{ID: "pensioner", Name: "Пенсионеры", Level: 1})
	rev := setOfficeConfig(t, c.URLs(), f, link("admin")...)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	regiontest.WaitFor(t, "the office applies the region's configuration and reports it", func() bool {
		cfg, err := region.GetConfig(ctx, js, a.id)
		return err == nil && cfg.Status != nil && cfg.Status.Applied == rev
	})

	// A leaf that trusts the cluster but has no key is refused.
	anon, err := natstest.StartLeafLinked(ctx, t.TempDir(), region.OfficeDomain(other), c.LeafURLs()[0], ", "+leafTLS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(anon.Stop)
	refused := regexp.MustCompile(`lid:\d+ - authentication error`)
	regiontest.WaitFor(t, "the cluster refuses a leaf link without credentials", func() bool {
		return refused.MatchString(c.Nodes[0].Log.String())
	})
	anon.Stop()

	// A leaf with the other office's key is linked, and what it publishes
	// on the first office's source never reaches the region, while its
	// own goes through: a link's messages arrive in order, so once its own
	// came, the forged one before it would have.
	rogue, err := natstest.StartLeafLinked(ctx, t.TempDir(), region.OfficeDomain(other), c.LeafURLs()[1],
		fmt.Sprintf(", seed: %q, %s", strings.TrimSpace(readFile(t, seeds[other])), leafTLS))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rogue.Stop)
	rc, err := nats.Connect(rogue.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	// One channel for the three: nats.go fills it in the order the
	// messages came.
	got := make(chan *nats.Msg, 4096)
	for _, subj := range []string{region.DeliverSubject(a.id), region.DeliverSubject(other), region.OfficeSubject(a.id)} {
		sub, err := nc.ChanSubscribe(subj, got)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	regiontest.WaitFor(t, "the other office's link carries its own source", func() bool {
		for _, subj := range []string{region.DeliverSubject(a.id), region.OfficeSubject(a.id)} {
			if err := rc.Publish(subj, []byte("rogue forged")); err != nil {
				t.Fatal(err)
			}
		}
		if err := rc.Publish(region.DeliverSubject(other), []byte("rogue own")); err != nil {
			t.Fatal(err)
		}
		if err := rc.Flush(); err != nil {
			t.Fatal(err)
		}
		for {
			select {
			case m := <-got:
				switch body := string(m.Data); {
				case !strings.HasPrefix(body, "rogue"): // the first office's own source
				case m.Subject == region.DeliverSubject(other) && body == "rogue own":
					return true
				default:
					t.Fatalf("the region took %q on %s from the other office's link", body, m.Subject)
				}
			default:
				return false
			}
		}
	})
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// region authorization takes public user keys and office ids only, and
// says what is wrong.
func TestRegionAuthorizationRefusals(t *testing.T) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "укажите ключи пользователей"},
		{[]string{"--admin", string(seed)}, "не открытый ключ пользователя nkey"},
		{[]string{"--office", "mfc-1"}, "нужно ИД=КЛЮЧ"},
		{[]string{"--office", "mfc 1=" + pub}, "идентификатор офиса"},
		{[]string{"--office", "mfc-1=" + pub, "--office", "mfc-1=" + pub}, "указан дважды"},
	} {
		err := run(context.Background(), append([]string{"region", "authorization"}, tc.args...), func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
}
