package reconcilehelp

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Every write of the watched kind through OwnEvents' client is recorded
// with the version the server gave it; others' writes and writes of other
// kinds are not.
func TestOwnEvents(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, interceptor.Funcs{}, &railyard.Warehouse{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "w"}})
	var own OwnEvents
	mine := own.Client(c, &railyard.Stage{})
	st := stage("test")
	version := func(obj client.Object) client.Object { return obj.DeepCopyObject().(client.Object) }
	var recorded []client.Object
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(mine.Create(ctx, st))
	recorded = append(recorded, version(st))
	base := st.DeepCopy()
	st.Labels = map[string]string{"a": "b"}
	must(mine.Patch(ctx, st, client.MergeFrom(base)))
	recorded = append(recorded, version(st))
	st.Status.FreightSummary = "x"
	must(mine.Status().Update(ctx, st))
	recorded = append(recorded, version(st))
	base = st.DeepCopy()
	st.Status.FreightSummary = "y"
	must(mine.SubResource("status").Patch(ctx, st, client.MergeFrom(base)))
	recorded = append(recorded, version(st))
	for i, obj := range recorded {
		if !own.Own(obj) {
			t.Errorf("write %d (version %s) not recorded", i, obj.GetResourceVersion())
		}
		if latest := i == len(recorded)-1; own.Latest(obj) != latest {
			t.Errorf("write %d (version %s): latest = %v, want %v", i, obj.GetResourceVersion(), !latest, latest)
		}
	}

	// Someone else's write.
	st.Spec.Shard = "other"
	must(c.Update(ctx, st))
	if own.Own(st) || own.Latest(st) {
		t.Errorf("another client's write (version %s) taken for this controller's", st.GetResourceVersion())
	}
	// Another kind.
	w := &railyard.Warehouse{}
	must(c.Get(ctx, types.NamespacedName{Namespace: "demo", Name: "w"}, w))
	w.Spec.Shard = "x"
	must(mine.Update(ctx, w))
	if own.Own(w) {
		t.Error("a write of another kind was recorded")
	}
	// The same name, another object.
	other := recorded[3].DeepCopyObject().(*railyard.Stage)
	other.UID = "another"
	if own.Own(other) {
		t.Error("a version of another object under the same name taken for own")
	}
	own.Forget(client.ObjectKeyFromObject(st))
	if own.Own(recorded[3]) {
		t.Error("recorded after Forget")
	}
}
