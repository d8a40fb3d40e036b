package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/talonqueue/talon/queue-server/domain"
)

// WatchRegion adds an office node's link to its region, read from status at
// each scrape; nothing is exported on a server that is not a node.
func (m *Metrics) WatchRegion(status func(context.Context) domain.RegionLink) {
	m.reg.MustRegister(&regionCollector{
		status: status,
		linked: prometheus.NewDesc("talon_region_linked", "1 while the office node's leaf link to the region is up.", []string{"office"}, nil),
		unsent: prometheus.NewDesc("talon_region_unsent_events",
			"Events in the office's stream the region has not confirmed; they wait on the office and go once the link is up. Alert when it keeps growing.", []string{"office"}, nil),
		published: prometheus.NewDesc("talon_region_published_seq", "Seq of the last event in the office's stream for the region.", []string{"office"}, nil),
		stopped:   prometheus.NewDesc("talon_region_publishing_stopped", "1 when publishing to the region stopped for good (the office page and the log say why).", []string{"office"}, nil),
	})
}

type regionCollector struct {
	status                             func(context.Context) domain.RegionLink
	linked, unsent, published, stopped *prometheus.Desc
}

func (c *regionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.linked
	ch <- c.unsent
	ch <- c.published
	ch <- c.stopped
}

func (c *regionCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.status(context.Background())
	if !st.Enabled {
		return
	}
	ch <- gauge(c.linked, b2i(st.Linked), st.OfficeID)
	ch <- prometheus.MustNewConstMetric(c.unsent, prometheus.GaugeValue, float64(st.Unsent), st.OfficeID)
	ch <- prometheus.MustNewConstMetric(c.published, prometheus.GaugeValue, float64(st.Published), st.OfficeID)
	ch <- gauge(c.stopped, b2i(st.Error != ""), st.OfficeID)
}
