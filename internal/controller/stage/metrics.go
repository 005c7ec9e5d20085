package stage

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// freightLeadTime is the time from Freight's creation to its arrival in
// each Stage: how long a change takes to reach test, staging and prod.
var freightLeadTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "railyard_freight_lead_time_seconds",
	Help:    "Time from a Freight's creation to its arrival in a Stage, by project and Stage.",
	Buckets: prometheus.ExponentialBuckets(10, 2, 16),
}, []string{"namespace", "stage"})

func init() {
	metrics.Registry.MustRegister(freightLeadTime)
}

func observeArrival(namespace, stage string, created, arrived time.Time) {
	if created.IsZero() {
		return
	}
	freightLeadTime.WithLabelValues(namespace, stage).Observe(arrived.Sub(created).Seconds())
}
