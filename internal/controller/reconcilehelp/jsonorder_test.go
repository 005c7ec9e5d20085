package reconcilehelp

import (
	"context"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// kube-apiserver stores a free-form JSON field of a status (a Stage's
// health output) with its keys sorted, so the copy a reconcile reads back
// never has the bytes it encoded. A locked write of the same values in
// another key order is no change; a changed value still is.
func TestStatusPatcherJSONKeyOrder(t *testing.T) {
	const stored = `[{"apps":[{"health":"Healthy","name":"a","revisions":["r1"],"state":"Healthy"}]}]`
	tests := map[string]struct {
		output      string
		wantUpdates int
	}{
		"the same values, keys in the order they were encoded": {
			output: `[{"apps":[{"name":"a","state":"Healthy","health":"Healthy","revisions":["r1"]}]}]`,
		},
		"the same values, other spacing": {
			output: `[ {"apps": [ {"state": "Healthy", "name": "a", "revisions": ["r1"], "health": "Healthy"} ] } ]`,
		},
		"a changed value": {
			output:      `[{"apps":[{"name":"a","state":"Healthy","health":"Healthy","revisions":["r2"]}]}]`,
			wantUpdates: 1,
		},
		"a key added": {
			output:      `[{"apps":[{"name":"a","namespace":"argocd","state":"Healthy","health":"Healthy","revisions":["r1"]}]}]`,
			wantUpdates: 1,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			updates := 0
			st := stage("s")
			st.Status.Health = &railyard.Health{Status: railyard.HealthStateHealthy, Output: &apiextensionsv1.JSON{Raw: []byte(stored)}}
			c := newClient(t, interceptor.Funcs{SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
				updates++
				return c.SubResource(sub).Update(ctx, obj, opts...)
			}}, st)
			obj := &railyard.Stage{}
			must(t, c.Get(ctx, client.ObjectKeyFromObject(st), obj))
			p := NewStatusPatcher(c, obj, WithOptimisticLock())
			obj.Status.Health.Output = &apiextensionsv1.JSON{Raw: []byte(tt.output)}
			must(t, p.Patch(ctx, obj))
			if updates != tt.wantUpdates {
				t.Errorf("%d status updates, want %d", updates, tt.wantUpdates)
			}
		})
	}
}
