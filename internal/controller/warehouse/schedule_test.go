package warehouse

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestShouldDiscover(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	discovered := func(ago time.Duration) func(*railyard.Warehouse) {
		return func(w *railyard.Warehouse) {
			w.Status.DiscoveredArtifacts = &railyard.DiscoveredArtifacts{DiscoveredAt: metav1.NewTime(now.Add(-ago))}
		}
	}
	tests := []struct {
		name       string
		mutate     []func(*railyard.Warehouse)
		creds      bool
		wantReason string
		wantWait   time.Duration
	}{
		{name: "never discovered", wantReason: dueFirst},
		{name: "fresh", mutate: []func(*railyard.Warehouse){discovered(time.Minute)}, wantWait: 4 * time.Minute},
		{name: "interval elapsed", mutate: []func(*railyard.Warehouse){discovered(5 * time.Minute)}, wantReason: dueInterval},
		{name: "custom interval", mutate: []func(*railyard.Warehouse){discovered(time.Minute), func(w *railyard.Warehouse) {
			w.Spec.Interval = &metav1.Duration{Duration: 90 * time.Second}
		}}, wantWait: 30 * time.Second},
		{name: "spec changed", mutate: []func(*railyard.Warehouse){discovered(time.Minute), func(w *railyard.Warehouse) {
			w.Generation = 2
		}}, wantReason: dueSpecChanged},
		{name: "new refresh token", mutate: []func(*railyard.Warehouse){discovered(time.Minute), func(w *railyard.Warehouse) {
			w.Annotations = map[string]string{railyard.AnnotationRefresh: "t1"}
		}}, wantReason: dueRefresh},
		{name: "kargo refresh token", mutate: []func(*railyard.Warehouse){discovered(time.Minute), func(w *railyard.Warehouse) {
			w.Annotations = map[string]string{railyard.AnnotationKargoRefresh: "k1"}
		}}, wantReason: dueRefresh},
		{name: "handled refresh token", mutate: []func(*railyard.Warehouse){discovered(time.Minute), func(w *railyard.Warehouse) {
			w.Annotations = map[string]string{railyard.AnnotationRefresh: "t1"}
			w.Status.LastHandledRefresh = "t1"
		}}, wantWait: 4 * time.Minute},
		{name: "credentials changed", mutate: []func(*railyard.Warehouse){discovered(time.Minute)}, creds: true, wantReason: dueCredentials},
		{name: "credentials changed, interval a day", mutate: []func(*railyard.Warehouse){discovered(time.Minute), func(w *railyard.Warehouse) {
			w.Spec.Interval = &metav1.Duration{Duration: 24 * time.Hour}
		}}, creds: true, wantReason: dueCredentials},
		{name: "transient failure is retried", mutate: []func(*railyard.Warehouse){discovered(time.Minute), func(w *railyard.Warehouse) {
			setCondition(w, railyard.ConditionReady, metav1.ConditionFalse, railyard.ReasonDiscoveryFailed, "down")
		}}, wantReason: dueRetry},
		{name: "spec problem waits for a change", mutate: []func(*railyard.Warehouse){discovered(time.Minute), func(w *railyard.Warehouse) {
			setCondition(w, railyard.ConditionReady, metav1.ConditionFalse, railyard.ReasonInvalidSpec, "bad regex")
		}}, wantWait: 4 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &railyard.Warehouse{}
			w.Generation, w.Status.ObservedGeneration = 1, 1
			for _, m := range tt.mutate {
				m(w)
			}
			reason, wait := shouldDiscover(w, now, tt.creds)
			if reason != tt.wantReason || wait != tt.wantWait {
				t.Fatalf("shouldDiscover = (%q, %v), want (%q, %v)", reason, wait, tt.wantReason, tt.wantWait)
			}
		})
	}
}

func TestRefreshTokenPrefersRailyard(t *testing.T) {
	w := &railyard.Warehouse{}
	w.Annotations = map[string]string{railyard.AnnotationRefresh: "ours", railyard.AnnotationKargoRefresh: "kargo"}
	if got := refreshToken(w); got != "ours" {
		t.Fatalf("refreshToken = %q, want ours", got)
	}
}
