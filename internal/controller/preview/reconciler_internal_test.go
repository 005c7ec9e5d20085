package preview

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
	engine "github.com/railyard-dev/railyard/internal/promotion"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// TestFinishedPreviewExpires: a finished preview is never run again; it
// is deleted TTL after it finished, and requeued for then until.
func TestFinishedPreviewExpires(t *testing.T) {
	tests := []struct {
		name        string
		finishedAgo time.Duration
		wantDeleted bool
		wantRequeue time.Duration
	}{
		{name: "just finished", finishedAgo: time.Minute, wantRequeue: TTL - time.Minute},
		{name: "expired", finishedAgo: TTL + time.Second, wantDeleted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scheme := runtime.NewScheme()
			if err := railyard.AddToScheme(scheme); err != nil {
				t.Fatal(err)
			}
			finished := metav1.NewTime(t0.Add(-tt.finishedAgo))
			p := &railyard.PromotionPreview{
				ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "p1", UID: "u1"},
				Spec:       railyard.PromotionPreviewSpec{Stage: "test", Freight: "f1"},
				Status:     railyard.PromotionPreviewStatus{Phase: railyard.PreviewPhaseSucceeded, FinishedAt: &finished},
			}
			c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(p).WithStatusSubresource(p).Build()
			// No Stage exists and the registry is empty: a run would fail
			// the preview, which must not happen to a finished one.
			r := &Reconciler{Client: c, APIReader: c, Clock: clocktesting.NewFakePassiveClock(t0),
				Engine: &engine.Engine{Registry: engine.NewRegistry(), WorkRoot: t.TempDir()}}
			res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(p)})
			if err != nil {
				t.Fatal(err)
			}
			got := &railyard.PromotionPreview{}
			err = c.Get(context.Background(), client.ObjectKeyFromObject(p), got)
			if deleted := err != nil; deleted != tt.wantDeleted {
				t.Fatalf("deleted = %v (%v), want %v", deleted, err, tt.wantDeleted)
			}
			if res.RequeueAfter != tt.wantRequeue {
				t.Errorf("requeue after %s, want %s", res.RequeueAfter, tt.wantRequeue)
			}
			if !tt.wantDeleted && (got.Status.Phase != railyard.PreviewPhaseSucceeded || !got.Status.FinishedAt.Equal(&finished)) {
				t.Errorf("a finished preview was run again: %+v", got.Status)
			}
		})
	}
}

func TestBoundDiffs(t *testing.T) {
	big := strings.Repeat("x", 100)
	tests := []struct {
		name    string
		diffs   []string
		budget  int
		wantCut []bool
	}{
		{name: "within", diffs: []string{big, big}, budget: 300, wantCut: []bool{false, false}},
		{name: "second cut", diffs: []string{big, big}, budget: 150, wantCut: []bool{false, true}},
		{name: "third gets none", diffs: []string{big, big, big}, budget: 100, wantCut: []bool{false, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var commits []railyard.PreviewCommit
			for _, d := range tt.diffs {
				commits = append(commits, railyard.PreviewCommit{Diff: d})
			}
			total := 0
			for i, c := range boundDiffs(commits, tt.budget) {
				if c.DiffTruncated != tt.wantCut[i] {
					t.Errorf("commit %d truncated = %v, want %v", i, c.DiffTruncated, tt.wantCut[i])
				}
				if c.DiffTruncated && !strings.HasSuffix(c.Diff, git.TruncatedMarker) {
					t.Errorf("commit %d is cut without the marker: %q", i, c.Diff)
				}
				total += len(strings.TrimSuffix(strings.TrimSuffix(c.Diff, git.TruncatedMarker), "\n"))
			}
			if total > tt.budget {
				t.Errorf("%d bytes of diff, budget %d", total, tt.budget)
			}
		})
	}
}

// TestRemoveScratch: stale preview directories go; a young one (another
// manager's running preview) and Promotion work directories stay.
func TestRemoveScratch(t *testing.T) {
	root := t.TempDir()
	now := time.Now()
	dirs := []struct {
		name     string
		age      time.Duration
		wantKept bool
	}{
		{name: engine.PreviewWorkDirPrefix + "stale", age: time.Hour},
		{name: engine.PreviewWorkDirPrefix + "running", age: time.Minute, wantKept: true},
		{name: engine.WorkDirPrefix + "promo", age: time.Hour, wantKept: true},
	}
	for _, d := range dirs {
		path := filepath.Join(root, d.name)
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, now.Add(-d.age), now.Add(-d.age)); err != nil {
			t.Fatal(err)
		}
	}
	if err := removeScratch(root, now); err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		_, err := os.Stat(filepath.Join(root, d.name))
		if kept := err == nil; kept != d.wantKept {
			t.Errorf("%s kept = %v, want %v", d.name, kept, d.wantKept)
		}
	}
	if err := removeScratch(filepath.Join(root, "missing"), now); err != nil {
		t.Errorf("a missing work directory: %v", err)
	}
}

// TestStageNotCachedYet: a Stage the cache has not seen yet (applied
// together with the preview) is read from the API server; the preview
// does not fail with StageNotFound.
func TestStageNotCachedYet(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := railyard.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	p := &railyard.PromotionPreview{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "p1", UID: "u1"},
		Spec:       railyard.PromotionPreviewSpec{Stage: "test", Freight: "f1"},
	}
	stage := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "test"}}
	api := fake.NewClientBuilder().WithScheme(scheme).WithObjects(p, stage).WithStatusSubresource(p).Build()
	cache := fake.NewClientBuilder().WithScheme(scheme).WithObjects(p).WithStatusSubresource(p).Build()
	r := &Reconciler{Client: cache, APIReader: api, Clock: clocktesting.NewFakePassiveClock(t0),
		Engine: &engine.Engine{Registry: engine.NewRegistry(), WorkRoot: t.TempDir()}}
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(p)}); err != nil {
		t.Fatal(err)
	}
	got := &railyard.PromotionPreview{}
	if err := cache.Get(context.Background(), client.ObjectKeyFromObject(p), got); err != nil {
		t.Fatal(err)
	}
	for _, c := range got.Status.Conditions {
		if c.Reason == railyard.ReasonStageNotFound {
			t.Fatalf("the preview failed for a Stage the API server has: %s", c.Message)
		}
	}
}
