package promotion

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// A Promotion has no finalizer; the work directory of one deleted before
// it ended goes with the reconcile its delete event queues, and that of
// one deleted and made again under the same name goes too, while the new
// one keeps its own.
func TestDeletedPromotionLosesItsWorkDir(t *testing.T) {
	for _, recreated := range []bool{false, true} {
		t.Run(fmt.Sprintf("recreated=%v", recreated), func(t *testing.T) {
			ctx := context.Background()
			old := newPromotion(func(p *railyard.Promotion) { p.UID = "uid-old" })
			r, _, _ := fakeReconciler(t, old)
			key := client.ObjectKeyFromObject(old)
			oldDir := r.Engine.WorkDir(old)
			must(t, os.MkdirAll(filepath.Join(oldDir, "repo"), 0o755))

			stored := &railyard.Promotion{}
			must(t, r.Client.Get(ctx, key, stored))
			must(t, r.Client.Delete(ctx, stored))
			q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
			defer q.ShutDown()
			r.deletions().Delete(ctx, event.DeleteEvent{Object: stored}, q)
			if q.Len() != 1 {
				t.Fatalf("%d keys queued by the delete event, want 1", q.Len())
			}

			var newDir string
			if recreated {
				again := newPromotion(func(p *railyard.Promotion) { p.UID = "uid-new" })
				must(t, r.Client.Create(ctx, again))
				must(t, r.Client.Get(ctx, key, again))
				newDir = r.Engine.WorkDir(again)
				must(t, os.MkdirAll(newDir, 0o755))
			}
			if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key}); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(oldDir); !os.IsNotExist(err) {
				t.Errorf("work directory of the deleted Promotion %s still there (%v)", oldDir, err)
			}
			if recreated {
				if _, err := os.Stat(newDir); err != nil {
					t.Errorf("work directory of the Promotion made again: %v, want it kept", err)
				}
			}
			if _, ok := r.gone.take(key); ok {
				t.Error("the deletion is still remembered after its reconcile")
			}
		})
	}
}

func TestIsGone(t *testing.T) {
	promo := newPromotion()
	promotions := schema.GroupResource{Group: railyard.GroupVersion.Group, Resource: "promotions"}
	tests := map[string]struct {
		err  error
		want bool
	}{
		"the Promotion, wrapped": {fmt.Errorf("saving: %w", apierrors.NewNotFound(promotions, "p1")), true},
		"another Promotion":      {apierrors.NewNotFound(promotions, "p2"), false},
		"a task a step read":     {apierrors.NewNotFound(schema.GroupResource{Group: railyard.GroupVersion.Group, Resource: "promotiontasks"}, "p1"), false},
		"a conflict":             {apierrors.NewConflict(promotions, "p1", fmt.Errorf("changed")), false},
		"no error":               {nil, false},
	}
	for name, tt := range tests {
		if got := isGone(tt.err, promo); got != tt.want {
			t.Errorf("%s: isGone = %v, want %v", name, got, tt.want)
		}
	}
}
