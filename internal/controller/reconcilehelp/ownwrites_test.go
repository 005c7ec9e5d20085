package reconcilehelp

import (
	"strconv"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestOwnWrites(t *testing.T) {
	stage := func(uid types.UID, rv string) *railyard.Stage {
		return &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "test", UID: uid, ResourceVersion: rv}}
	}
	var o OwnWrites
	if o.Stale(stage("u1", "1")) {
		t.Error("stale before any write")
	}
	var v Versions
	v.Add(stage("u1", "1"))
	v.Add(stage("u1", "1")) // a write that changed nothing
	v.Add(stage("u1", "2"))
	v.Add(stage("u1", "3"))
	if len(v) != 3 {
		t.Fatalf("versions %v, want 1, 2, 3", v)
	}
	o.Record(stage("u1", "3"), v)
	tests := []struct {
		obj  *railyard.Stage
		want bool
	}{
		{stage("u1", "1"), true},  // read before the first write
		{stage("u1", "2"), true},  // between the two writes
		{stage("u1", "3"), false}, // the last write
		{stage("u1", "7"), false}, // someone else's write since
		{stage("u2", "1"), false}, // another object under the name
	}
	for _, tt := range tests {
		if got := o.Stale(tt.obj); got != tt.want {
			t.Errorf("Stale(uid %s, rv %s) = %t, want %t", tt.obj.UID, tt.obj.ResourceVersion, got, tt.want)
		}
	}

	// A reconcile that wrote nothing records nothing; what was replaced
	// stays replaced, up to a bound.
	o.Record(stage("u1", "3"), Versions{"3"})
	if !o.Stale(stage("u1", "1")) {
		t.Error("a reconcile without writes forgot the earlier ones")
	}
	for i := 3; i < 3+2*maxReplaced; i++ {
		o.Record(stage("u1", strconv.Itoa(i+1)), Versions{strconv.Itoa(i), strconv.Itoa(i + 1)})
	}
	if n := len(o.m[types.NamespacedName{Namespace: "demo", Name: "test"}].replaced); n > maxReplaced {
		t.Errorf("%d versions kept, want at most %d", n, maxReplaced)
	}

	o.Forget(types.NamespacedName{Namespace: "demo", Name: "test"})
	if o.Stale(stage("u1", "1")) {
		t.Error("stale after Forget")
	}
}
