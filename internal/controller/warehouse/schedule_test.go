package warehouse

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

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
			reason, wait := shouldDiscover(w, now, tt.creds, time.Time{})
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

// Each Warehouse discovers again a little before its interval is up, by a
// share fixed by its UID: Warehouses applied together drift apart instead
// of discovering together at every interval.
func TestPeriod(t *testing.T) {
	interval := 5 * time.Minute
	w := func(uid string) *railyard.Warehouse {
		return &railyard.Warehouse{
			ObjectMeta: metav1.ObjectMeta{UID: types.UID(uid)},
			Spec:       railyard.WarehouseSpec{Interval: &metav1.Duration{Duration: interval}},
		}
	}
	if got := period(w("")); got != interval {
		t.Errorf("period without a UID = %v, want the interval", got)
	}
	seen := map[time.Duration]bool{}
	for i := range 100 {
		uid := fmt.Sprintf("6f1c2a%02d-0000-4000-8000-000000000000", i)
		p := period(w(uid))
		if p > interval || p < interval-interval/10 {
			t.Fatalf("period(%s) = %v, want within the last tenth of %v", uid, p, interval)
		}
		if p != period(w(uid)) {
			t.Fatalf("period(%s) changes between calls", uid)
		}
		seen[p] = true
	}
	if len(seen) < 50 {
		t.Errorf("100 Warehouses got only %d different periods; they would still discover together", len(seen))
	}
	// shouldDiscover uses the same period.
	x := w("6f1c2a00-0000-4000-8000-000000000000")
	x.Generation, x.Status.ObservedGeneration = 1, 1
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	x.Status.DiscoveredArtifacts = &railyard.DiscoveredArtifacts{DiscoveredAt: metav1.NewTime(now.Add(-period(x)))}
	if reason, _ := shouldDiscover(x, now, false, time.Time{}); reason != dueInterval {
		t.Errorf("a period after the last discovery: reason %q, want %q", reason, dueInterval)
	}
	x.Status.DiscoveredArtifacts.DiscoveredAt = metav1.NewTime(now.Add(-period(x) + time.Second))
	if reason, wait := shouldDiscover(x, now, false, time.Time{}); reason != "" || wait != time.Second {
		t.Errorf("a second before: (%q, %v), want a wait of 1s", reason, wait)
	}
}
