package stage

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// countingReader counts reads past the cache.
type countingReader struct {
	client.Reader
	n *int
}

func (r countingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	*r.n++
	return r.Reader.Get(ctx, key, obj, opts...)
}

// A Freight status change starts from the cached copy and reads the Freight
// past the cache only when that copy will not do: it is stale (the patch
// conflicts) or shows nothing to change. Every case ends with the change
// on the server.
func TestPatchFreightFromTheCache(t *testing.T) {
	since := metav1.NewTime(t0)
	mark := func(f *railyard.Freight) {
		if f.Status.CurrentlyIn == nil {
			f.Status.CurrentlyIn = map[string]railyard.CurrentStage{}
		}
		f.Status.CurrentlyIn["test"] = railyard.CurrentStage{Since: &since}
	}
	for _, tt := range []struct {
		name      string
		cached    func(live *railyard.Freight) *railyard.Freight // what the cache returns
		wantReads int
	}{
		{"the cache is current", nil, 0},
		{"the cache is stale", func(live *railyard.Freight) *railyard.Freight {
			old := live.DeepCopy()
			old.ResourceVersion = "1"
			return old
		}, 1},
		{"the stale cache has the change already", func(live *railyard.Freight) *railyard.Freight {
			old := live.DeepCopy()
			old.ResourceVersion = "1"
			mark(old)
			return old
		}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFreight("f1", time.Minute)
			r, _ := fakeReconciler(t, t0, interceptor.Funcs{}, f)
			if tt.cached != nil {
				// The cache returns an older copy; reads past it do not.
				r.Client = interceptor.NewClient(r.Client.(client.WithWatch), interceptor.Funcs{
					Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
						if err := c.Get(ctx, key, obj, opts...); err != nil {
							return err
						}
						if got, ok := obj.(*railyard.Freight); ok {
							tt.cached(got).DeepCopyInto(got)
						}
						return nil
					},
				})
			}
			// A write since: the server's version moved past the cache's.
			live := &railyard.Freight{}
			must(t, r.APIReader.Get(context.Background(), client.ObjectKeyFromObject(f), live))
			live.Status.ApprovedFor = map[string]railyard.ApprovedStage{"prod": {ApprovedAt: &since}}
			must(t, r.APIReader.(noPolicyReader).Reader.(client.Client).Status().Update(context.Background(), live))
			reads := 0
			r.APIReader = countingReader{Reader: r.APIReader, n: &reads}
			must(t, r.patchFreight(context.Background(), "demo", "f1", mark))
			got := &railyard.Freight{}
			must(t, r.APIReader.Get(context.Background(), client.ObjectKeyFromObject(f), got))
			if _, ok := got.Status.CurrentlyIn["test"]; !ok || got.Status.ApprovedFor["prod"].ApprovedAt == nil {
				t.Errorf("status on the server = %+v, want the change and the other writer's approval", got.Status)
			}
			if reads-1 != tt.wantReads {
				t.Errorf("%d reads past the cache, want %d", reads-1, tt.wantReads)
			}
		})
	}
}
