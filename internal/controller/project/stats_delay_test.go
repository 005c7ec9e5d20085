package project

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Health changes of a project's Stages within StatsDelay are counted by one
// reconcile of the Project, StatsDelay after the first.
func TestStatsChangesCoalesce(t *testing.T) {
	clock := clocktesting.NewFakeClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	q := workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request](),
		workqueue.TypedRateLimitingQueueConfig[reconcile.Request]{Clock: clock})
	defer q.ShutDown()
	h := statsAfter(StatsDelay)
	for _, name := range []string{"app-test", "app-staging", "app-test"} {
		st := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: name}}
		h.Update(context.Background(), event.UpdateEvent{ObjectOld: st, ObjectNew: st}, q)
		clock.Step(StatsDelay / 4)
	}
	if n := q.Len(); n != 0 {
		t.Fatalf("%d reconciles queued before StatsDelay passed, want none yet", n)
	}
	clock.Step(StatsDelay)
	deadline := time.Now().Add(10 * time.Second)
	for q.Len() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := q.Len(); n != 1 {
		t.Fatalf("%d reconciles queued, want one for three changes", n)
	}
	if req, _ := q.Get(); req.Name != "demo" {
		t.Errorf("queued %v, want the Project demo", req)
	}
}
