package warehouse_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/freightcheck"
	"github.com/railyard-dev/railyard/internal/controller/warehouse"
	"github.com/railyard-dev/railyard/internal/discovery/image"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// testDiscoveryTimeout bounds each subscription's discovery in these tests:
// long enough for the local servers on a loaded machine, short enough for
// the frozen-server tests to be quick.
const testDiscoveryTimeout = 5 * time.Second

// k is an uncached client of the envtest API server shared by the tests.
var k client.Client

func TestMain(m *testing.M) {
	var env *testenv.Env
	os.Exit(testenv.RunWithManager(m, func(mgr ctrl.Manager) error {
		k = env.Client
		// Short registry backoff so that "429, then recover" runs quickly;
		// the work queue's own backoff spaces failed discoveries.
		// A short discovery timeout so that frozen servers fail quickly; the
		// default is checked against the 30s promise on its own.
		opts := warehouse.Options{
			Image:            image.Config{MaxRetries: 1, RetryBaseDelay: 10 * time.Millisecond, MaxRetryDelay: 50 * time.Millisecond},
			DiscoveryTimeout: testDiscoveryTimeout,
		}
		// The workflow tests check hand-made Freight too, so the Freight
		// checker runs here as in the manager, sharing the content index.
		if err := freight.IndexContent(context.Background(), mgr.GetFieldIndexer()); err != nil {
			return err
		}
		if _, err := warehouse.SetupWithManager(mgr, opts); err != nil {
			return err
		}
		return (&freightcheck.Reconciler{}).SetupWithManager(mgr)
	}, &env))
}

// eventually retries check until it returns nil (a hang guard, not a
// timing assertion).
func eventually(t *testing.T, check func() error) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, check)
}

func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "wh-"}}
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

func getWarehouse(t *testing.T, ns, name string) *railyard.Warehouse {
	t.Helper()
	w := &railyard.Warehouse{}
	if err := k.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, w); err != nil {
		t.Fatal(err)
	}
	return w
}

// update applies mutate to the Warehouse, retrying on conflicts.
func update(t *testing.T, ns, name string, mutate func(*railyard.Warehouse)) {
	t.Helper()
	eventually(t, func() error {
		w := getWarehouse(t, ns, name)
		mutate(w)
		return k.Update(context.Background(), w)
	})
}

var refreshes atomic.Int64

// refresh sets a new refresh annotation and waits until it was handled.
func refresh(t *testing.T, ns, name string) *railyard.Warehouse {
	t.Helper()
	token := "t" + strconv.FormatInt(refreshes.Add(1), 10)
	update(t, ns, name, func(w *railyard.Warehouse) {
		if w.Annotations == nil {
			w.Annotations = map[string]string{}
		}
		w.Annotations[railyard.AnnotationRefresh] = token
	})
	var w *railyard.Warehouse
	eventually(t, func() error {
		w = getWarehouse(t, ns, name)
		if w.Status.LastHandledRefresh != token || meta.IsStatusConditionTrue(w.Status.Conditions, railyard.ConditionReconciling) {
			return fmt.Errorf("refresh %s not handled yet (last handled %q)", token, w.Status.LastHandledRefresh)
		}
		return nil
	})
	return w
}

// waitCondition waits until the Warehouse's condition has status and reason
// and returns the Warehouse.
func waitCondition(t *testing.T, ns, name, typ string, status metav1.ConditionStatus, reason string) *railyard.Warehouse {
	t.Helper()
	var w *railyard.Warehouse
	eventually(t, func() error {
		w = getWarehouse(t, ns, name)
		c := meta.FindStatusCondition(w.Status.Conditions, typ)
		if c == nil || c.Status != status || c.Reason != reason || c.ObservedGeneration != w.Generation {
			return fmt.Errorf("%s = %+v, want %s/%s; conditions %+v", typ, c, status, reason, w.Status.Conditions)
		}
		return nil
	})
	return w
}

func freights(t *testing.T, ns string) []railyard.Freight {
	t.Helper()
	var list railyard.FreightList
	if err := k.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return list.Items
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

func condition(w *railyard.Warehouse, typ string) metav1.Condition {
	if c := meta.FindStatusCondition(w.Status.Conditions, typ); c != nil {
		return *c
	}
	return metav1.Condition{}
}
