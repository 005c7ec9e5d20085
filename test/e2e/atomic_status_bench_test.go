package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// BenchmarkAtomicStatus: what the atomic nested objects of a Promotion's
// status (x-kubernetes-map-type: atomic on status.freight,
// status.freightCollection and status.state) save kube-apiserver per status
// write. The Promotion CRD as generated and a copy without those markers are
// served under two other groups; a Promotion shaped as the scale benchmark
// makes them (testdata/scale-promotion.json) is updated in each, in
// alternating blocks of 25 writes, each block first every other round
// (`make bench-atomic-status`).
func BenchmarkAtomicStatus(b *testing.B) {
	env, c := statusBenchEnv(b)
	ctx := context.Background()
	if err := apiextensionsv1.AddToScheme(c.Scheme()); err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(env.Root, "config", "crd", "bases", "railyard.dev_promotions.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	variants := []struct{ name, group string }{{"atomic", "atomic.bench.railyard.dev"}, {"granular", "granular.bench.railyard.dev"}}
	for _, v := range variants {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(raw, crd); err != nil {
			b.Fatal(err)
		}
		crd.Name, crd.Spec.Group = "promotions."+v.group, v.group
		if v.name == "granular" {
			schema := crd.Spec.Versions[0].Schema.OpenAPIV3Schema
			status := schema.Properties["status"]
			for _, f := range []string{"freight", "freightCollection", "state"} {
				p := status.Properties[f]
				if p.XMapType == nil {
					b.Fatalf("status.%s of the generated CRD is not atomic", f)
				}
				p.XMapType = nil
				status.Properties[f] = p
			}
			schema.Properties["status"] = status
		}
		if err := c.Create(ctx, crd); err != nil {
			b.Fatal(err)
		}
	}
	sample, err := os.ReadFile("testdata/scale-promotion.json")
	if err != nil {
		b.Fatal(err)
	}
	objs := make([]*unstructured.Unstructured, len(variants))
	for i, v := range variants {
		u := &unstructured.Unstructured{}
		if err := json.Unmarshal(sample, &u.Object); err != nil {
			b.Fatal(err)
		}
		u.SetAPIVersion(v.group + "/v1alpha1")
		status := u.Object["status"]
		// The API server serves a new CRD within a few seconds.
		deadline := time.Now().Add(30 * time.Second)
		for err = c.Create(ctx, u); err != nil; err = c.Create(ctx, u) {
			if time.Now().After(deadline) {
				b.Fatalf("creating the %s Promotion: %v", v.name, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		u.Object["status"] = status
		if err := c.Status().Update(ctx, u); err != nil {
			b.Fatal(err)
		}
		objs[i] = u
	}
	const block = 25
	apiserver := make([]time.Duration, len(variants))
	writes := make([]int, len(variants))
	n, round := 0, 0
	for b.Loop() {
		round++
		for k := range variants {
			i := (k + round) % len(variants)
			before := cpuByProcess()["kube-apiserver"]
			for range block {
				n++
				obj := objs[i].DeepCopy()
				steps, _, _ := unstructured.NestedSlice(obj.Object, "status", "stepExecutionMetadata")
				steps[len(steps)-1].(map[string]any)["message"] = fmt.Sprintf("write %d", n)
				if err := unstructured.SetNestedSlice(obj.Object, steps, "status", "stepExecutionMetadata"); err != nil {
					b.Fatal(err)
				}
				obj.SetManagedFields(nil)
				if err := c.Status().Update(ctx, obj); err != nil {
					b.Fatalf("%s: %v", variants[i].name, err)
				}
				objs[i] = obj
			}
			apiserver[i] += cpuByProcess()["kube-apiserver"] - before
			writes[i] += block
		}
	}
	for i, v := range variants {
		stored := &unstructured.Unstructured{}
		stored.SetAPIVersion(v.group + "/v1alpha1")
		stored.SetKind("Promotion")
		if err := c.Get(ctx, client.ObjectKeyFromObject(objs[i]), stored); err != nil {
			b.Fatal(err)
		}
		managed, err := json.Marshal(stored.GetManagedFields())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(apiserver[i].Microseconds())/1000/float64(writes[i]), v.name+"-apiserver-ms/write")
		b.ReportMetric(float64(len(managed)), v.name+"-managedFields-bytes")
	}
	b.ReportMetric(0, "ns/op")
}
