package e2e

import (
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// warehouseToFreight is how long after each Warehouse was created its
// Freight carrying tag was, mean / max, in the API server's whole seconds.
// In the first wave it shows whether Freight keep pace with the apply: a
// lag that grows from the first app to the last means discovery falls
// behind kubectl, as it does when the machine's two cores are full.
func (sw *scaleWorld) warehouseToFreight(tb testing.TB, tag string) string {
	tb.Helper()
	var warehouses railyard.WarehouseList
	if err := sw.pw.env.Client.List(sw.pw.ctx, &warehouses, client.InNamespace(ns)); err != nil {
		tb.Fatal(err)
	}
	created := map[string]time.Time{}
	for _, w := range warehouses.Items {
		created[w.Name] = w.CreationTimestamp.Time
	}
	var list railyard.FreightList
	if err := sw.pw.env.Client.List(sw.pw.ctx, &list, client.InNamespace(ns)); err != nil {
		tb.Fatal(err)
	}
	var ds []time.Duration
	for _, f := range list.Items {
		if len(f.Images) != 1 || f.Images[0].Tag != tag {
			continue
		}
		if at, ok := created[f.Origin.Name]; ok {
			ds = append(ds, max(f.CreationTimestamp.Sub(at), 0))
		}
	}
	if len(ds) == 0 {
		return "none"
	}
	return meanMax(ds)
}
