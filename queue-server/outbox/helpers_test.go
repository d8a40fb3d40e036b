package outbox

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// openDB opens a bbolt file with the outbox's buckets, as the store's
// migration leaves it.
func openDB(t testing.TB, path string) (*bolt.DB, *Outbox) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(CreateBuckets); err != nil {
		t.Fatal(err)
	}
	return db, New(db, nil)
}

func tempDB(t *testing.T) (*bolt.DB, *Outbox) {
	t.Helper()
	db, o := openDB(t, filepath.Join(t.TempDir(), "talon.db"))
	t.Cleanup(func() { _ = db.Close() })
	return db, o
}

func msg(id, channel string) domain.OutboxMessage {
	return domain.OutboxMessage{ID: id, Channel: channel, Body: []byte("body of " + id),
		ContentType: "text/plain", Headers: map[string]string{"X-Test": id}, CreatedAt: time.Now()}
}

// receiver is a test endpoint that deduplicates by Idempotency-Key, as the
// contract asks of real receivers, and can be told to misbehave.
type receiver struct {
	mu       sync.Mutex
	accepted map[string]int // accepted once each; later posts get 409
	posts    map[string]int // every post that reached the handler
	// faults, one per request in order: "500", "hang" (until the client
	// gives up), "drop" (the connection closes mid-request), "accept+drop"
	// (the message is taken, then the connection closes before the answer).
	faults   []string
	onAccept func(id string)
	ln       net.Listener
	srv      *http.Server
	addr     string
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{accepted: map[string]int{}, posts: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.serve(ln)
	t.Cleanup(r.stop)
	return r
}

func (r *receiver) url() string { return "http://" + r.addr + "/packets" }

func (r *receiver) serve(ln net.Listener) {
	r.ln = ln
	srv := &http.Server{Handler: r}
	r.srv = srv
	go func() { _ = srv.Serve(ln) }()
}

// stop takes the receiver down: connections are refused until start.
func (r *receiver) stop() {
	if r.srv != nil {
		_ = r.srv.Close()
		r.srv = nil
	}
}

func (r *receiver) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	r.serve(ln)
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	id := req.Header.Get("Idempotency-Key")
	r.mu.Lock()
	fault := ""
	if len(r.faults) > 0 {
		fault, r.faults = r.faults[0], r.faults[1:]
	}
	r.mu.Unlock()
	switch fault {
	case "500":
		http.Error(w, "internal", http.StatusInternalServerError)
		return
	case "hang":
		<-req.Context().Done()
		return
	case "drop":
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return
	}
	r.mu.Lock()
	r.posts[id]++
	first := r.accepted[id] == 0
	r.accepted[id] = 1
	onAccept := r.onAccept
	r.mu.Unlock()
	if !first {
		w.WriteHeader(http.StatusConflict)
		return
	}
	if onAccept != nil {
		onAccept(id)
	}
	if fault == "accept+drop" {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			_ = conn.Close()
		}
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (r *receiver) counts() (accepted, posts map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	accepted, posts = map[string]int{}, map[string]int{}
	for k, v := range r.accepted {
		accepted[k] = v
	}
	for k, v := range r.posts {
		posts[k] = v
	}
	return accepted, posts
}

func httpRoute(url string, c *http.Client) func(string) (Sender, bool) {
	return func(string) (Sender, bool) {
		return SenderFunc(func(ctx context.Context, m Message) error { return Post(ctx, c, url, m, m.Body) }), true
	}
}

// states collects OnState calls so a test can wait for them.
type states chan Message

func (s states) wait(t *testing.T, n int) []Message {
	t.Helper()
	var got []Message
	for len(got) < n {
		select {
		case m := <-s:
			got = append(got, m)
		case <-time.After(60 * time.Second):
			t.Fatalf("only %d of %d messages reached a final state", len(got), n)
		}
	}
	return got
}

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return out
}
