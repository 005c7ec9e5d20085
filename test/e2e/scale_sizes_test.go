package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// objectSizeRows reports how large the objects of the first app are as the
// API server stores them (JSON, and the managedFields share of it): every
// write of one is decoded, validated, field-managed and sent to every
// watcher in proportion to its size.
func (sw *scaleWorld) objectSizeRows(tb testing.TB, promos []railyard.Promotion) [][2]string {
	tb.Helper()
	app := sw.apps[0]
	var promo *railyard.Promotion // the app's last to test
	for i := range promos {
		p := &promos[i]
		if p.Spec.Stage == app+"-test" && (promo == nil || promo.CreationTimestamp.Before(&p.CreationTimestamp)) {
			promo = p
		}
	}
	promoName := ""
	if promo != nil {
		promoName = promo.Name
	}
	var freightName string
	var list railyard.FreightList
	if err := sw.pw.env.Client.List(sw.pw.ctx, &list, client.InNamespace(ns)); err == nil {
		for _, f := range list.Items {
			if f.Origin.Name == app {
				freightName = f.Name
			}
		}
	}
	objects := []struct {
		kind, namespace, name string
		gv                    schema.GroupVersion
	}{
		{"Warehouse", ns, app, railyard.GroupVersion},
		{"Freight", ns, freightName, railyard.GroupVersion},
		{"Stage", ns, app + "-test", railyard.GroupVersion},
		{"Promotion", ns, promoName, railyard.GroupVersion},
		{"Application", "argocd", app + "-test", schema.GroupVersion{Group: "argoproj.io", Version: "v1alpha1"}},
	}
	var rows [][2]string
	for _, o := range objects {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(o.gv.WithKind(o.kind))
		if o.name == "" {
			continue
		}
		if err := sw.pw.env.Client.Get(sw.pw.ctx, client.ObjectKey{Namespace: o.namespace, Name: o.name}, u); err != nil {
			rows = append(rows, [2]string{"size of a " + o.kind, err.Error()})
			continue
		}
		whole, _ := json.Marshal(u.Object)
		if d := os.Getenv("SCALE_DUMP_DIR"); d != "" {
			pretty, _ := json.MarshalIndent(u.Object, "", "  ")
			_ = os.WriteFile(filepath.Join(d, o.kind+".json"), pretty, 0o644)
		}
		managed, _ := json.Marshal(u.GetManagedFields())
		rows = append(rows, [2]string{"size of a " + o.kind + " (JSON / of it managedFields)", fmt.Sprintf("%d / %d bytes", len(whole), len(managed))})
	}
	return rows
}
