package reconcilehelp

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestSameStatus(t *testing.T) {
	base := stage("s")
	base.Status.FreightSummary = "1/1 Fulfilled"
	at := metav1.NewTime(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	base.Status.LastHandledRefresh = "r1"
	tests := []struct {
		name   string
		base   client.Object
		change func(client.Object)
		want   bool
	}{
		{name: "unchanged", base: base, change: func(client.Object) {}, want: true},
		{name: "spec changed only", base: base, change: func(o client.Object) { o.(*railyard.Stage).Spec.Shard = "x" }, want: true},
		{name: "status changed", base: base, change: func(o client.Object) { o.(*railyard.Stage).Status.FreightSummary = "0/1" }, want: false},
		// Not the same here; the JSON comparison after it decides.
		{name: "a time below the second", base: withHoldAt(base, at), change: func(o client.Object) {
			later := metav1.NewTime(at.Add(time.Millisecond))
			o.(*railyard.Stage).Status.AutoPromotionHolds["Warehouse/app"] = railyard.AutoPromotionHold{FreightName: "f1", CreatedAt: &later}
		}, want: false},
		{name: "no status field", base: &corev1.ConfigMap{}, change: func(client.Object) {}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := tt.base.DeepCopyObject().(client.Object)
			tt.change(obj)
			if got := sameStatus(tt.base, obj); got != tt.want {
				t.Errorf("sameStatus = %v, want %v", got, tt.want)
			}
		})
	}
}

func withHoldAt(s *railyard.Stage, at metav1.Time) *railyard.Stage {
	s = s.DeepCopy()
	s.Status.AutoPromotionHolds = map[string]railyard.AutoPromotionHold{"Warehouse/app": {FreightName: "f1", CreatedAt: &at}}
	return s
}

// BenchmarkPatchUnchanged is a reconcile at rest: a Stage with a history
// whose status did not change. Compare with -run '^$' -bench PatchUnchanged
// before and after sameStatus.
func BenchmarkPatchUnchanged(b *testing.B) {
	s := stage("s")
	for i := range 10 {
		s.Status.FreightHistory = append(s.Status.FreightHistory, railyard.FreightCollection{
			ID: fmt.Sprintf("c%d", i),
			Freight: map[string]railyard.FreightReference{"Warehouse/app": {Name: fmt.Sprintf("f%d", i),
				Images: []railyard.Image{{RepoURL: "registry.example.com/app", Tag: fmt.Sprintf("v1.0.%d", i), Digest: "sha256:0"}}}},
		})
	}
	c := newClient(b, interceptor.Funcs{}, s)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p := NewStatusPatcher(c, s)
		if err := p.Patch(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}
