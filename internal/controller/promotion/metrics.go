package promotion

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

var (
	promotionsFinished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "railyard_promotions_total",
		Help: "Promotions that reached a terminal phase, by project, Stage and phase.",
	}, []string{"namespace", "stage", "phase"})
	promotionDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "railyard_promotion_duration_seconds",
		Help:    "Time from a Promotion's first step to its terminal phase, by project and Stage.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 12),
	}, []string{"namespace", "stage"})
)

func init() {
	metrics.Registry.MustRegister(promotionsFinished, promotionDuration)
}

func observeFinished(p *railyard.Promotion) {
	promotionsFinished.WithLabelValues(p.Namespace, p.Spec.Stage, string(p.Status.Phase)).Inc()
	if p.Status.StartedAt != nil && p.Status.FinishedAt != nil {
		promotionDuration.WithLabelValues(p.Namespace, p.Spec.Stage).Observe(p.Status.FinishedAt.Sub(p.Status.StartedAt.Time).Seconds())
	}
}
