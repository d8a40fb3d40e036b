// Package metrics is the queue server's Prometheus exporter, served at
// /metrics on the server's own listener.
//
// Two kinds of metric live here. Events the server sees as they happen
// (HTTP requests, group commits) are counted into histograms through the
// hooks main wires in (api.Config.OnRequest, queue.Options.OnCommit). The
// state of the offices (queues, waits, windows, devices, streams, the
// outbox) is not copied anywhere: the State collector reads it from the
// engine, the push hub and the outbox at each scrape, so a scrape shows
// exactly what GetLiveLoad and the device list would answer at that moment.
//
// Every metric is registered on the Metrics' own registry, not the
// process-wide default, so tests and several servers in one process do not
// share counters.
package metrics

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the registry and the instruments fed by hooks.
type Metrics struct {
	reg         *prometheus.Registry
	log         *slog.Logger
	httpLatency *prometheus.HistogramVec
	commitTime  prometheus.Histogram
	commitOps   prometheus.Histogram
	commitFails prometheus.Counter
}

// unmatched labels requests that matched no route (404, 405), so a scan of
// random paths adds one series, not one per path.
const unmatched = "unmatched"

// New makes the registry with the Go runtime's and the process's metrics
// and the instruments of requests and commits; Watch adds the offices'
// state once the sources exist.
func New(log *slog.Logger) *Metrics {
	if log == nil {
		log = slog.Default()
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: log,
		httpLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "talon_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by chi route pattern, method and status class (2xx…5xx). Streams are left out: they last as long as the terminal stays connected.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "status"}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "talon_commit_duration_seconds",
			Help: "Time the store took to commit one group of operations (one record appended to the write-ahead log and fdatasynced).",
			// fsync is about 0.5 ms on a good disk; a slow one reaches seconds.
			Buckets: prometheus.ExponentialBuckets(0.00025, 2, 14),
		}),
		commitOps: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "talon_commit_operations",
			Help:    "Operations carried by one commit (group commit's batch size).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}),
		commitFails: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "talon_commit_failures_total",
			Help: "Commits the store refused (a full or failing disk); their operations were refused too.",
		}),
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpLatency, m.commitTime, m.commitOps, m.commitFails)
	return m
}

// WatchStore adds the data file's page writes, read from pageWrites at
// each scrape: what the checkpoints that bring the data file up to date
// with the write-ahead log cost.
func (m *Metrics) WatchStore(pageWrites func() int64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "talon_store_page_writes_total",
		Help: "Pages of the data file the checkpoints wrote since the server started (changed pages, freelist and meta page); divided by talon_commit_duration_seconds_count, pages per commit, amortised.",
	}, func() float64 { return float64(pageWrites()) }))
}

// ObserveRequest counts one answered request; route is the chi pattern
// ("" when none matched). It fits api.Config.OnRequest.
func (m *Metrics) ObserveRequest(method, route string, status int, took time.Duration) {
	if route == "" {
		route = unmatched
	}
	m.httpLatency.WithLabelValues(route, method, statusClass(status)).Observe(took.Seconds())
}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// ObserveCommit counts one commit of the queue's writer; it fits
// queue.Options.OnCommit.
func (m *Metrics) ObserveCommit(ops int, took time.Duration, err error) {
	if err != nil {
		m.commitFails.Inc()
		return
	}
	m.commitTime.Observe(took.Seconds())
	m.commitOps.Observe(float64(ops))
}

// Handler serves the registry in the Prometheus text format. With a token,
// only requests that carry it as "Authorization: Bearer <token>" get an
// answer; without, anyone who reaches the server does (the metrics hold
// counts and the ids of offices, services, windows and devices, never a
// person's data).
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		// A source that fails (the store broken) leaves its own metrics out
		// and is logged; the rest still goes out.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      errorLog{m.log},
	})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="talon metrics"`)
			http.Error(w, "метрики доступны только с токеном: заголовок Authorization: Bearer <токен из --metrics-token>", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// errorLog puts promhttp's errors in the server's log.
type errorLog struct{ log *slog.Logger }

func (l errorLog) Println(v ...any) {
	l.log.Error("metrics", "err", strings.TrimSpace(fmt.Sprintln(v...)))
}
