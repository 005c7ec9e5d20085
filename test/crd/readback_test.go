package crd

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
)

// kube-apiserver stores the free-form JSON inside a status (a Stage's
// health output) with its keys sorted, so a reconcile never reads back the
// bytes it encoded. Setting the same values again, in the order of the Go
// fields, is no change: the status patcher sends nothing. Before, every
// Stage sent its whole status once more after each change.
func TestStatusReadBackIsNoChange(t *testing.T) {
	ctx := context.Background()
	createNamespace(t, "readback")
	st := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: "readback", Name: "s"}, Spec: railyard.StageSpec{RequestedFreight: direct()}}
	if err := env.Client.Create(ctx, st); err != nil {
		t.Fatal(err)
	}
	encoded, err := json.Marshal([]argocd.HealthOutput{{Apps: []argocd.AppHealth{{
		Name: "app", Namespace: "argocd", State: railyard.HealthStateHealthy,
		Health: argocd.HealthStatusHealthy, Sync: argocd.SyncStatusSynced, Revisions: []string{"abc"},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	st.Status.Health = &railyard.Health{Status: railyard.HealthStateHealthy, Output: &apiextensionsv1.JSON{Raw: encoded}}
	if err := env.Client.Status().Update(ctx, st); err != nil {
		t.Fatal(err)
	}
	read := &railyard.Stage{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(st), read); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(read.Status.Health.Output.Raw, encoded) {
		t.Fatalf("the API server stored %s as sent: this test no longer shows anything", encoded)
	}

	updates := 0
	base, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	counting := interceptor.NewClient(base, interceptor.Funcs{
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			updates++
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
	})
	p := reconcilehelp.NewStatusPatcher(counting, read, reconcilehelp.WithOptimisticLock())
	again := read.DeepCopy()
	again.Status.Health.Output = &apiextensionsv1.JSON{Raw: encoded}
	if err := p.Patch(ctx, again); err != nil {
		t.Fatal(err)
	}
	if updates != 0 {
		t.Errorf("the same status in another key order was sent %d times, want none", updates)
	}
	again.Status.Health.Issues = []string{"changed"}
	if err := p.Patch(ctx, again); err != nil {
		t.Fatal(err)
	}
	if updates != 1 {
		t.Errorf("a changed status was sent %d times, want once", updates)
	}
}
