package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/talonqueue/talon/queue-server/domain"
)

// WatchBackups adds the scheduled backups' state, read from status at each
// scrape; nothing is exported while backups are not enabled.
func (m *Metrics) WatchBackups(status func() domain.BackupStatus) {
	m.reg.MustRegister(&backupCollector{
		status: status,
		lastSuccess: prometheus.NewDesc("talon_backup_last_success_timestamp_seconds",
			"Unix time of the newest verified backup in --backup-dir (also one found there at start); 0: none yet. Alert when it is older than --backup-every and a margin.", nil, nil),
		failing:  prometheus.NewDesc("talon_backup_failing", "1 while the last scheduled backup failed (the office page shows why), 0 once one succeeds.", nil, nil),
		failures: prometheus.NewDesc("talon_backup_failures_total", "Scheduled backups that failed since the server started: not written, or not verified after writing.", nil, nil),
	})
}

type backupCollector struct {
	status                         func() domain.BackupStatus
	lastSuccess, failing, failures *prometheus.Desc
}

func (c *backupCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lastSuccess
	ch <- c.failing
	ch <- c.failures
}

func (c *backupCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.status()
	if !st.Enabled {
		return
	}
	last := 0.0
	if st.LastSuccessAt != nil {
		last = float64(st.LastSuccessAt.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(c.lastSuccess, prometheus.GaugeValue, last)
	ch <- gauge(c.failing, b2i(st.Failing))
	ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(st.Failures))
}
