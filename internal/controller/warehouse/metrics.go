package warehouse

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics served on the manager's metrics endpoint.
var (
	discoveryDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "railyard_warehouse_discovery_duration_seconds",
		Help:    "Time to discover one subscription, by kind (image, chart, git) and result (success, error).",
		Buckets: prometheus.ExponentialBuckets(0.01, 3, 10),
	}, []string{"kind", "result"})
	registryRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "railyard_registry_requests_total",
		Help: "HTTP requests to image registries and chart repositories, by kind, host and outcome (2xx, 3xx, 4xx, 429, 5xx, error).",
	}, []string{"kind", "host", "outcome"})
	gitRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "railyard_git_requests_total",
		Help: "Git discoveries (a ref listing, then a fetch unless the refs are unchanged), by host and outcome (fetched, unchanged, error).",
	}, []string{"host", "outcome"})
	freightCreated = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "railyard_freight_created_total",
		Help: "Freight created by Warehouses, by namespace.",
	}, []string{"namespace"})
)

func init() {
	metrics.Registry.MustRegister(discoveryDuration, registryRequests, gitRequests, freightCreated)
}

func observeDiscovery(kind string, start time.Time, err error) {
	result := "success"
	if err != nil {
		result = "error"
	}
	discoveryDuration.WithLabelValues(kind, result).Observe(time.Since(start).Seconds())
}

// countImageRequest is the image discoverer's OnRequest hook.
func countImageRequest(host, outcome string) {
	registryRequests.WithLabelValues("image", host, outcome).Inc()
}

// countingTransport counts chart repository requests by host and outcome.
type countingTransport struct{ next http.RoundTripper }

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	registryRequests.WithLabelValues("chart", req.URL.Host, httpOutcome(resp, err)).Inc()
	return resp, err
}

func httpOutcome(resp *http.Response, err error) string {
	switch {
	case err != nil || resp == nil:
		return "error"
	case resp.StatusCode == http.StatusTooManyRequests:
		return "429"
	default:
		return strconv.Itoa(resp.StatusCode/100) + "xx"
	}
}
