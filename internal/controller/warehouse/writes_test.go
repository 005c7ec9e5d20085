package warehouse

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

// A periodic discovery writes status once; a discovery someone asked for
// is announced with Reconciling first, so it writes twice.
func TestStatusWritesPerDiscovery(t *testing.T) {
	reg := registrytest.New(t)
	reg.PushImage(t, "app", "v1.0.0", registrytest.NewImage(t, registrytest.ImageSpec{Created: time.Unix(0, 0)}))
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	interval := 5 * time.Minute

	tests := []struct {
		name        string
		annotations map[string]string
		wantWrites  int
	}{
		{name: "interval elapsed", wantWrites: 1},
		{name: "refresh requested", annotations: map[string]string{railyard.AnnotationRefresh: "now"}, wantWrites: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &railyard.Warehouse{
				ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "app", Generation: 1, Annotations: tt.annotations},
				Spec: railyard.WarehouseSpec{
					Interval:              &metav1.Duration{Duration: interval},
					FreightCreationPolicy: railyard.FreightCreationPolicyManual,
					Subscriptions:         []railyard.RepoSubscription{{Image: &railyard.ImageSubscription{RepoURL: reg.Repo("app")}}},
				},
				Status: railyard.WarehouseStatus{
					ObservedGeneration:  1,
					DiscoveredArtifacts: &railyard.DiscoveredArtifacts{DiscoveredAt: metav1.NewTime(now.Add(-interval - time.Second))},
				},
			}
			scheme := runtime.NewScheme()
			if err := railyard.AddToScheme(scheme); err != nil {
				t.Fatal(err)
			}
			if err := corev1.AddToScheme(scheme); err != nil {
				t.Fatal(err)
			}
			writes := 0
			c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(w).WithStatusSubresource(w).
				WithInterceptorFuncs(interceptor.Funcs{
					SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
						writes++
						return c.SubResource(sub).Patch(ctx, obj, p, opts...)
					},
				}).Build()
			r := New(c, c, nil, Options{Clock: clocktesting.NewFakePassiveClock(now)})
			res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(w)})
			if err != nil {
				t.Fatal(err)
			}
			if writes != tt.wantWrites {
				t.Errorf("status writes = %d, want %d", writes, tt.wantWrites)
			}
			if res.RequeueAfter != interval {
				t.Errorf("RequeueAfter = %v, want the interval %v", res.RequeueAfter, interval)
			}
			got := &railyard.Warehouse{}
			if err := c.Get(context.Background(), client.ObjectKeyFromObject(w), got); err != nil {
				t.Fatal(err)
			}
			if !got.Status.DiscoveredArtifacts.DiscoveredAt.Time.Equal(now) || len(got.Status.DiscoveredArtifacts.Images) != 1 {
				t.Errorf("discovery not recorded: %+v", got.Status.DiscoveredArtifacts)
			}
		})
	}
}
