package warehouse

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/discovery/image"
)

func imageOutcome(repo string, tags int, err error) outcome {
	o := outcome{status: railyard.SubscriptionStatus{Kind: kindImage, RepoURL: repo}, err: err,
		image: &railyard.ImageDiscoveryResult{RepoURL: repo}}
	for i := range tags {
		o.image.References = append(o.image.References, railyard.DiscoveredImageReference{Tag: fmt.Sprint(i)})
	}
	return o
}

func TestSetDiscoveryConditions(t *testing.T) {
	invalid := fmt.Errorf("%w: constraint: bad", image.ErrInvalidSubscription)
	down := fmt.Errorf("%w: 503", image.ErrTransient)
	truncated := imageOutcome("r/t", 1, nil)
	truncated.truncated = true
	type cond struct {
		status metav1.ConditionStatus
		reason string
	}
	absent := cond{}
	tests := []struct {
		name                   string
		outcomes               []outcome
		ready, healthy, stalld cond
		msg                    string // in Ready's message
	}{
		{name: "all good", outcomes: []outcome{imageOutcome("r/a", 2, nil)},
			ready:   cond{metav1.ConditionTrue, railyard.ReasonDiscoverySucceeded},
			healthy: cond{metav1.ConditionTrue, railyard.ReasonDiscoverySucceeded}},
		{name: "nothing matched", outcomes: []outcome{imageOutcome("r/a", 2, nil), imageOutcome("r/empty", 0, nil)},
			ready:   cond{metav1.ConditionFalse, railyard.ReasonNoArtifacts},
			healthy: cond{metav1.ConditionTrue, railyard.ReasonDiscoverySucceeded}, msg: "image r/empty"},
		{name: "spec problem stalls", outcomes: []outcome{imageOutcome("r/a", 2, invalid)},
			ready:   cond{metav1.ConditionFalse, railyard.ReasonInvalidSpec},
			healthy: cond{metav1.ConditionFalse, railyard.ReasonInvalidSpec},
			stalld:  cond{metav1.ConditionTrue, railyard.ReasonInvalidSpec}, msg: "image r/a: invalid image subscription: constraint: bad"},
		{name: "outage is retried, not stalled", outcomes: []outcome{imageOutcome("r/a", 2, invalid), imageOutcome("r/b", 1, down)},
			ready:   cond{metav1.ConditionFalse, railyard.ReasonDiscoveryFailed},
			healthy: cond{metav1.ConditionFalse, railyard.ReasonDiscoveryFailed}, msg: "2 of 2 subscriptions failed"},
		{name: "truncated listing", outcomes: []outcome{truncated},
			ready:   cond{metav1.ConditionTrue, railyard.ReasonDiscoverySucceeded},
			healthy: cond{metav1.ConditionFalse, railyard.ReasonTagListTruncated}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &railyard.Warehouse{}
			setCondition(w, railyard.ConditionStalled, metav1.ConditionTrue, railyard.ReasonInvalidSpec, "stale")
			setDiscoveryConditions(w, summarize(tt.outcomes))
			for typ, want := range map[string]cond{railyard.ConditionReady: tt.ready, railyard.ConditionHealthy: tt.healthy, railyard.ConditionStalled: tt.stalld} {
				c := meta.FindStatusCondition(w.Status.Conditions, typ)
				got := absent
				if c != nil {
					got = cond{c.Status, c.Reason}
				}
				if got != want {
					t.Errorf("%s = %+v, want %+v", typ, got, want)
				}
			}
			if ready := meta.FindStatusCondition(w.Status.Conditions, railyard.ConditionReady); !strings.Contains(ready.Message, tt.msg) {
				t.Errorf("Ready message %q does not contain %q", ready.Message, tt.msg)
			}
		})
	}
}

func TestMarkReconcilingKeepsReady(t *testing.T) {
	w := &railyard.Warehouse{}
	markReconciling(w, "discovering 1 subscriptions (first discovery)")
	if c := meta.FindStatusCondition(w.Status.Conditions, railyard.ConditionReady); c == nil || c.Status != metav1.ConditionUnknown {
		t.Fatalf("first discovery: Ready = %+v, want Unknown", c)
	}
	setCondition(w, railyard.ConditionReady, metav1.ConditionTrue, railyard.ReasonDiscoverySucceeded, "ok")
	markReconciling(w, "discovering 1 subscriptions (interval elapsed)")
	if c := meta.FindStatusCondition(w.Status.Conditions, railyard.ConditionReady); c.Status != metav1.ConditionTrue {
		t.Fatalf("periodic discovery flapped Ready to %s", c.Status)
	}
	doneReconciling(w)
	if meta.FindStatusCondition(w.Status.Conditions, railyard.ConditionReconciling) != nil {
		t.Fatal("Reconciling not removed")
	}
}
