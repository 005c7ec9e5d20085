package reconcilehelp

import (
	"context"
	"slices"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestFinalizers(t *testing.T) {
	ctx := context.Background()
	const other = "example.com/other"
	tests := map[string]struct {
		finalizers []string
		remove     bool
		// meanwhile: another controller adds its finalizer after obj was read.
		meanwhile    bool
		wantPatched  bool
		wantConflict bool
		want         []string
	}{
		"add": {
			wantPatched: true, want: []string{railyard.FinalizerName},
		},
		"add when present is a no-op": {
			finalizers: []string{railyard.FinalizerName}, want: []string{railyard.FinalizerName},
		},
		"add from a stale copy conflicts rather than drop another finalizer": {
			meanwhile: true, wantConflict: true, want: []string{other},
		},
		"remove": {
			finalizers: []string{other, railyard.FinalizerName}, remove: true,
			wantPatched: true, want: []string{other},
		},
		"remove when absent is a no-op": {
			finalizers: []string{other}, remove: true, want: []string{other},
		},
		"remove from a stale copy conflicts rather than drop another finalizer": {
			finalizers: []string{railyard.FinalizerName}, remove: true, meanwhile: true,
			wantConflict: true, want: []string{railyard.FinalizerName, other},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			st := stage("s")
			st.Finalizers = tt.finalizers
			c := newClient(t, interceptor.Funcs{}, st)
			obj := &railyard.Stage{}
			must(t, c.Get(ctx, client.ObjectKeyFromObject(st), obj))
			if tt.meanwhile {
				theirs := obj.DeepCopy()
				theirs.Finalizers = append(theirs.Finalizers, other)
				must(t, c.Update(ctx, theirs))
			}
			do := AddFinalizer
			if tt.remove {
				do = RemoveFinalizer
			}
			patched, err := do(ctx, c, obj, railyard.FinalizerName)
			if tt.wantConflict != apierrors.IsConflict(err) || (!tt.wantConflict && err != nil) {
				t.Fatalf("err = %v, want conflict %v", err, tt.wantConflict)
			}
			if patched != tt.wantPatched {
				t.Errorf("patched = %v, want %v", patched, tt.wantPatched)
			}
			stored := &railyard.Stage{}
			must(t, c.Get(ctx, client.ObjectKeyFromObject(st), stored))
			if !slices.Equal(stored.Finalizers, tt.want) {
				t.Errorf("finalizers = %v, want %v", stored.Finalizers, tt.want)
			}
		})
	}
}

func TestRemoveFinalizerOfDeletedObject(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, interceptor.Funcs{})
	obj := stage("gone")
	obj.Finalizers = []string{railyard.FinalizerName}
	patched, err := RemoveFinalizer(ctx, c, obj, railyard.FinalizerName)
	if err != nil || patched {
		t.Errorf("RemoveFinalizer of a missing object = %v, %v; want no patch and no error", patched, err)
	}
}
