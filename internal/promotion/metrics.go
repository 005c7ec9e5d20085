package promotion

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// stepDuration is how long each run of a step took, by step name: the
// figure that says which step a slow promotion spends its time in.
var stepDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "railyard_promotion_step_duration_seconds",
	Help:    "Time one run of a promotion step took (an attempt, or one poll of a running step), by step.",
	Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
}, []string{"step"})

func init() { metrics.Registry.MustRegister(stepDuration) }

func observeStep(name string, start time.Time) {
	stepDuration.WithLabelValues(name).Observe(time.Since(start).Seconds())
}
