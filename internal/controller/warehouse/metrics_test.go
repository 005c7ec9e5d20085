package warehouse_test

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/helmtest"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

// metricValue sums the samples of a metric whose labels include want.
func metricValue(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	samples:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue samples
				}
			}
			switch {
			case m.GetCounter() != nil:
				sum += m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}

func TestMetrics(t *testing.T) {
	ns := newNamespace(t)
	reg := registrytest.New(t)
	pushImage(t, reg, "1.0.0", base)
	repo := helmtest.NewRepo(t)
	repo.AddChart(helmtest.ChartSpec{Name: "demo", Version: "1.0.0"})
	create(t, &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "measured"},
		Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
			{Image: &railyard.ImageSubscription{RepoURL: reg.Repo("app")}},
			{Chart: &railyard.ChartSubscription{RepoURL: repo.URL(), Name: "demo"}},
		}},
	})
	waitCondition(t, ns, "measured", railyard.ConditionFreightCreated, metav1.ConditionTrue, railyard.ReasonFreightCreated)
	chartHost := strings.TrimPrefix(repo.URL(), "http://")
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"railyard_registry_requests_total", map[string]string{"kind": "image", "host": reg.Host, "outcome": "2xx"}},
		{"railyard_registry_requests_total", map[string]string{"kind": "chart", "host": chartHost, "outcome": "2xx"}},
		{"railyard_warehouse_discovery_duration_seconds", map[string]string{"kind": "image", "result": "success"}},
		{"railyard_warehouse_discovery_duration_seconds", map[string]string{"kind": "chart", "result": "success"}},
		{"railyard_freight_created_total", map[string]string{"namespace": ns}},
	} {
		if v := metricValue(t, c.name, c.labels); v < 1 {
			t.Errorf("%s%v = %v, want at least 1", c.name, c.labels, v)
		}
	}
}
