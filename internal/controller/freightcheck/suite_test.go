package freightcheck_test

import (
	"context"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/freightcheck"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// k is an uncached client of the envtest API server shared by the tests.
var k client.Client

func TestMain(m *testing.M) {
	var env *testenv.Env
	os.Exit(testenv.RunWithManager(m, func(mgr ctrl.Manager) error {
		k = env.Client
		if err := freight.IndexContent(context.Background(), mgr.GetFieldIndexer()); err != nil {
			return err
		}
		return (&freightcheck.Reconciler{}).SetupWithManager(mgr)
	}, &env))
}

func eventually(t *testing.T, check func() error) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, check)
}

func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "fc-"}}
	if err := k.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// hasEvent reports whether an Event with reason regards the named object.
func hasEvent(t *testing.T, ns, name, reason string) bool {
	t.Helper()
	var list eventsv1.EventList
	if err := k.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, e := range list.Items {
		if e.Regarding.Name == name && e.Reason == reason {
			return true
		}
	}
	return false
}

// warehouse creates a Warehouse subscribing to the image ghcr.io/org/app.
func warehouse(t *testing.T, ns, name string) {
	t.Helper()
	create(t, &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
			{Image: &railyard.ImageSubscription{RepoURL: "ghcr.io/org/app"}},
		}},
	})
}

// newFreight is Freight of Warehouse origin holding the image ghcr.io/org/app:tag.
func newFreight(ns, name, origin, tag string) *railyard.Freight {
	return &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: origin},
		Images:     []railyard.Image{{RepoURL: "ghcr.io/org/app", Tag: tag}},
	}
}
