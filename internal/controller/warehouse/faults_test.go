package warehouse_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// Bad input ends in a condition that says what and where, keeps the
// previously discovered artifacts, and a fix of the spec clears it.
func TestBadInputKeepsArtifacts(t *testing.T) {
	ns := newNamespace(t)
	reg := registrytest.New(t)
	pushImage(t, reg, "v1.0.0", base)
	create(t, &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"},
		Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
			{Image: &railyard.ImageSubscription{RepoURL: reg.Repo("app")}},
		}},
	})
	waitCondition(t, ns, "app", railyard.ConditionReady, metav1.ConditionTrue, railyard.ReasonDiscoverySucceeded)

	tests := []struct {
		name   string
		break_ func(*railyard.Warehouse)
		typ    string
		reason string
		msg    []string
	}{
		{name: "invalid constraint", typ: railyard.ConditionStalled, reason: railyard.ReasonInvalidSpec,
			break_: func(w *railyard.Warehouse) { w.Spec.Subscriptions[0].Image.Constraint = "^^1" },
			msg:    []string{"image " + reg.Repo("app"), "constraint", `"^^1"`}},
		{name: "invalid regex", typ: railyard.ConditionStalled, reason: railyard.ReasonInvalidSpec,
			break_: func(w *railyard.Warehouse) { w.Spec.Subscriptions[0].Image.AllowTagsRegexes = []string{"(v"} },
			msg:    []string{"image " + reg.Repo("app"), "allowTagsRegexes[0]"}},
		{name: "invalid criteria", typ: railyard.ConditionFreightCreationCriteriaSatisfied, reason: railyard.ReasonCriteriaInvalid,
			break_: func(w *railyard.Warehouse) {
				w.Spec.FreightCreationCriteria = &railyard.FreightCreationCriteria{Expression: "imageFrom("}
			},
			msg: []string{"spec.freightCreationCriteria.expression", "imageFrom("}},
		{name: "unreachable registry", typ: railyard.ConditionHealthy, reason: railyard.ReasonDiscoveryFailed,
			break_: func(w *railyard.Warehouse) {
				w.Spec.Subscriptions = append(w.Spec.Subscriptions, railyard.RepoSubscription{
					Image: &railyard.ImageSubscription{RepoURL: "127.0.0.1:1/nothing"}})
			},
			msg: []string{"image 127.0.0.1:1/nothing", "transient registry error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := getWarehouse(t, ns, "app").Spec
			update(t, ns, "app", tt.break_)
			want := metav1.ConditionFalse
			if tt.typ == railyard.ConditionStalled {
				want = metav1.ConditionTrue
			}
			w := waitCondition(t, ns, "app", tt.typ, want, tt.reason)
			if msg := condition(w, tt.typ).Message; !containsAll(msg, tt.msg...) {
				t.Errorf("%s message %q lacks %q", tt.typ, msg, tt.msg)
			}
			if c := condition(w, railyard.ConditionReady); c.Status != metav1.ConditionFalse {
				t.Errorf("Ready = %+v, want False", c)
			}
			if refs := w.Status.DiscoveredArtifacts.Images[0].References; len(refs) != 1 || refs[0].Tag != "v1.0.0" {
				t.Errorf("previous artifacts lost: %+v", w.Status.DiscoveredArtifacts.Images)
			}
			update(t, ns, "app", func(w *railyard.Warehouse) { w.Spec = good })
			w = waitCondition(t, ns, "app", railyard.ConditionReady, metav1.ConditionTrue, railyard.ReasonDiscoverySucceeded)
			if condition(w, railyard.ConditionStalled).Type != "" {
				t.Errorf("Stalled not cleared: %+v", condition(w, railyard.ConditionStalled))
			}
		})
	}
}

// A registry that answers 429 fails the discovery, which is retried with
// backoff (not a hot loop) and recovers by itself.
func TestRateLimitedRegistryRecovers(t *testing.T) {
	ns := newNamespace(t)
	reg := registrytest.New(t)
	pushImage(t, reg, "v1.0.0", base)
	reg.InjectErrors(http.StatusTooManyRequests, 6, "0")
	create(t, &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "limited"},
		Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
			{Image: &railyard.ImageSubscription{RepoURL: reg.Repo("app")}},
		}},
	})
	w := waitCondition(t, ns, "limited", railyard.ConditionReady, metav1.ConditionTrue, railyard.ReasonDiscoverySucceeded)
	if refs := w.Status.DiscoveredArtifacts.Images[0].References; len(refs) != 1 {
		t.Fatalf("references %+v", refs)
	}
	eventually(t, func() error {
		if !hasEvent(t, ns, "limited", "DiscoveryFailed") || !hasEvent(t, ns, "limited", "DiscoveryRecovered") {
			return fmt.Errorf("want DiscoveryFailed and DiscoveryRecovered Events")
		}
		return nil
	})
	if c := reg.Counts(); c.Injected != 6 {
		t.Errorf("injected answers served = %d, want 6", c.Injected)
	}
}
