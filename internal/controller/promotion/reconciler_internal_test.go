package promotion

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	engine "github.com/railyard-dev/railyard/internal/promotion"
)

// t0 is the fake clock's time, in whole seconds as the API keeps times.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeReconciler is a Promotion reconciler on a fake client holding objs,
// with a fake clock at t0 and a recorder of Events. patches counts the
// status writes sent (patches, and updates of a locked status).
func fakeReconciler(t *testing.T, objs ...client.Object) (r *Reconciler, rec *events.FakeRecorder, patches *int) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := railyard.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	patches = new(int)
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).
		WithStatusSubresource(&railyard.Stage{}, &railyard.Freight{}, &railyard.Promotion{}).
		WithInterceptorFuncs(interceptor.Funcs{SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			*patches++
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		}, SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			*patches++
			return c.SubResource(sub).Update(ctx, obj, opts...)
		}}).
		Build()
	rec = events.NewFakeRecorder(10)
	r = &Reconciler{
		Client: c, APIReader: c, Recorder: rec, Clock: clocktesting.NewFakePassiveClock(t0),
		Engine: &engine.Engine{Registry: engine.NewRegistry(), Client: c, Reader: c, WorkRoot: t.TempDir()},
	}
	return r, rec, patches
}

func newPromotion(mutate ...func(*railyard.Promotion)) *railyard.Promotion {
	p := &railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "p1", Generation: 2},
		Spec:       railyard.PromotionSpec{Stage: "test", Freight: "f1"},
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func ownedBy(uid types.UID) func(*railyard.Promotion) {
	return func(p *railyard.Promotion) {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: railyard.GroupVersion.String(), Kind: "Stage", Name: "test", UID: uid}}
	}
}

func annotated(key, value string) func(*railyard.Promotion) {
	return func(p *railyard.Promotion) { p.Annotations = map[string]string{key: value} }
}

func testStage(mutate ...func(*railyard.Stage)) *railyard.Stage {
	st := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "test", UID: "stage-1"}}
	for _, m := range mutate {
		m(st)
	}
	return st
}

// TestReconcileBeforeTheRun covers the decisions taken before any step
// runs: aborts, a missing or replaced Stage, steps that are not the
// Stage's. None needs the engine to run a step.
func TestReconcileBeforeTheRun(t *testing.T) {
	finished := metav1.NewTime(t0)
	tests := map[string]struct {
		promo       *railyard.Promotion
		objs        []client.Object
		wantPhase   railyard.PromotionPhase
		wantMessage string
		wantEvent   string
		wantStalled string // the Stalled condition's reason, "" for none
		wantFinish  *metav1.Time
	}{
		"aborted before it ran": {
			promo:     newPromotion(annotated(railyard.AnnotationAbort, `{"action":"terminate","actor":"alice"}`)),
			objs:      []client.Object{testStage()},
			wantPhase: railyard.PromotionPhaseAborted, wantMessage: "aborted: by request of alice",
			wantEvent: "Warning PromotionAborted aborted: by request of alice", wantFinish: &finished,
		},
		"aborted with Kargo's annotation": {
			promo:     newPromotion(annotated(railyard.AnnotationKargoAbort, `{"action":"terminate"}`)),
			wantPhase: railyard.PromotionPhaseAborted, wantMessage: "aborted: by request",
			wantEvent: "Warning PromotionAborted aborted: by request", wantFinish: &finished,
		},
		"its Stage does not exist yet: it waits, Stalled": {
			promo:     newPromotion(),
			wantPhase: railyard.PromotionPhasePending, wantMessage: `Stage "test" does not exist in project "demo"; the Promotion waits for it`,
			wantEvent: `Warning StageNotFound Stage "test" does not exist`, wantStalled: railyard.ReasonStageNotFound,
		},
		"its Stage was deleted": {
			promo:     newPromotion(ownedBy("stage-1")),
			wantPhase: railyard.PromotionPhaseAborted, wantMessage: `Stage "test" was deleted`,
			wantEvent: `Warning StageDeleted Stage "test" was deleted`, wantFinish: &finished,
		},
		"its Stage was replaced by another of the same name": {
			promo:     newPromotion(ownedBy("stage-0")),
			objs:      []client.Object{testStage()},
			wantPhase: railyard.PromotionPhaseAborted, wantMessage: `Stage "test" was deleted`,
			wantEvent: `Warning StageDeleted Stage "test" was deleted`, wantFinish: &finished,
		},
		"a Stage without steps": {
			promo:     newPromotion(),
			objs:      []client.Object{testStage()},
			wantPhase: railyard.PromotionPhaseErrored, wantMessage: `Stage "test" has no promotion steps (spec.promotionTemplate.spec.steps)`,
			wantEvent: "Warning InvalidSteps", wantFinish: &finished,
		},
		"steps its creator wrote never run": {
			promo: newPromotion(func(p *railyard.Promotion) {
				p.Spec.Steps = []railyard.PromotionStep{{Uses: "http"}}
			}),
			objs:      []client.Object{testStage()},
			wantPhase: railyard.PromotionPhaseErrored, wantMessage: "spec.steps and spec.vars are copied from Stage test by Railyard",
			wantEvent: "Warning StepsNotFromStage", wantFinish: &finished,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r, rec, _ := fakeReconciler(t, append(tt.objs, tt.promo)...)
			ctx := context.Background()
			promo := &railyard.Promotion{}
			must(t, r.Client.Get(ctx, client.ObjectKeyFromObject(tt.promo), promo))
			if _, err := r.reconcile(ctx, promo); err != nil {
				t.Fatalf("reconcile: %v", err)
			}
			stored := &railyard.Promotion{}
			must(t, r.Client.Get(ctx, client.ObjectKeyFromObject(tt.promo), stored))
			st := stored.Status
			if st.Phase != tt.wantPhase || !strings.HasPrefix(st.Message, tt.wantMessage) {
				t.Errorf("status = %s %q, want %s %q", st.Phase, st.Message, tt.wantPhase, tt.wantMessage)
			}
			switch {
			case tt.wantFinish == nil && st.FinishedAt != nil:
				t.Errorf("finishedAt = %v, want none", st.FinishedAt)
			case tt.wantFinish != nil && (st.FinishedAt == nil || !st.FinishedAt.Equal(tt.wantFinish)):
				t.Errorf("finishedAt = %v, want the clock's %v", st.FinishedAt, tt.wantFinish)
			}
			c := meta.FindStatusCondition(st.Conditions, railyard.ConditionStalled)
			switch {
			case tt.wantStalled == "" && c != nil:
				t.Errorf("Stalled = %+v, want none", c)
			case tt.wantStalled != "" && (c == nil || c.Reason != tt.wantStalled || c.Message != st.Message || c.ObservedGeneration != 2):
				t.Errorf("Stalled = %+v, want reason %s, the phase's message and generation 2", c, tt.wantStalled)
			}
			if e := nextEvent(rec); !strings.HasPrefix(e, tt.wantEvent) {
				t.Errorf("Event %q, want %q", e, tt.wantEvent)
			}
		})
	}
}

func nextEvent(rec *events.FakeRecorder) string {
	select {
	case e := <-rec.Events:
		return e
	default:
		return ""
	}
}

// TestWaitingForStageIsQuiet checks that a Promotion waiting for its Stage
// is written and announced once, not on every reconcile, and that the
// Stalled condition goes when the Stage comes.
func TestWaitingForStageIsQuiet(t *testing.T) {
	ctx := context.Background()
	r, rec, patches := fakeReconciler(t, newPromotion())
	promo := &railyard.Promotion{}
	key := client.ObjectKey{Namespace: "demo", Name: "p1"}
	for range 2 {
		must(t, r.Client.Get(ctx, key, promo))
		if st, err := r.stageOf(ctx, promo); st != nil || err != nil {
			t.Fatalf("stageOf = %v, %v; want no Stage and no error", st, err)
		}
	}
	if *patches != 1 || len(rec.Events) != 1 {
		t.Errorf("%d status patches and %d Events for two reconciles, want 1 and 1", *patches, len(rec.Events))
	}
	must(t, r.Client.Create(ctx, testStage()))
	must(t, r.Client.Get(ctx, key, promo))
	if st, err := r.stageOf(ctx, promo); st == nil || err != nil {
		t.Fatalf("stageOf = %v, %v; want the Stage", st, err)
	}
	must(t, r.Client.Get(ctx, key, promo))
	if c := meta.FindStatusCondition(promo.Status.Conditions, railyard.ConditionStalled); c != nil {
		t.Errorf("Stalled = %+v once the Stage exists, want none", c)
	}
}

func TestSetPending(t *testing.T) {
	ctx := context.Background()
	tests := map[string]struct {
		phase       railyard.PromotionPhase
		message     string
		wantPatches int
	}{
		"new message":        {phase: railyard.PromotionPhasePending, message: "waiting for Stage test to start it", wantPatches: 1},
		"from no phase":      {message: "waiting for Promotion p0 to finish", wantPatches: 1},
		"nothing new to say": {phase: railyard.PromotionPhasePending, message: "waiting for Promotion p0 to finish", wantPatches: 0},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p := newPromotion(func(p *railyard.Promotion) {
				p.Status.Phase = tt.phase
				p.Status.Message = "waiting for Promotion p0 to finish"
				if tt.phase == "" {
					p.Status.Message = ""
				}
			})
			r, _, patches := fakeReconciler(t, p)
			promo := &railyard.Promotion{}
			must(t, r.Client.Get(ctx, client.ObjectKeyFromObject(p), promo))
			must(t, r.setPending(ctx, promo, tt.message))
			if *patches != tt.wantPatches {
				t.Errorf("%d status patches, want %d", *patches, tt.wantPatches)
			}
			must(t, r.Client.Get(ctx, client.ObjectKeyFromObject(p), promo))
			if promo.Status.Phase != railyard.PromotionPhasePending || promo.Status.Message != tt.message {
				t.Errorf("status = %s %q, want Pending %q", promo.Status.Phase, promo.Status.Message, tt.message)
			}
		})
	}
}

// TestPersister checks the engine's save callback: it writes only news,
// and a Promotion written by someone else meanwhile is a conflict rather
// than progress overwritten.
func TestPersister(t *testing.T) {
	ctx := context.Background()
	r, _, patches := fakeReconciler(t, newPromotion())
	promo := &railyard.Promotion{}
	key := client.ObjectKey{Namespace: "demo", Name: "p1"}
	must(t, r.Client.Get(ctx, key, promo))
	persist := r.persister(promo)

	st := promo.Status.DeepCopy()
	st.Phase, st.CurrentStep = railyard.PromotionPhaseRunning, 1
	must(t, persist(ctx, st))
	must(t, persist(ctx, st)) // no news
	if *patches != 1 {
		t.Errorf("%d status patches for one change saved twice, want 1", *patches)
	}
	stored := &railyard.Promotion{}
	must(t, r.Client.Get(ctx, key, stored))
	if stored.Status.CurrentStep != 1 || promo.ResourceVersion != stored.ResourceVersion {
		t.Errorf("stored step %d at %s, promo at %s; want step 1 and the stored version", stored.Status.CurrentStep, stored.ResourceVersion, promo.ResourceVersion)
	}

	stored.Status.Message = "written by someone else"
	must(t, r.Client.Status().Update(ctx, stored))
	st.CurrentStep = 2
	if err := persist(ctx, st); !apierrors.IsConflict(err) {
		t.Errorf("saving over a concurrent write = %v, want a conflict", err)
	}
}

func TestRelease(t *testing.T) {
	ctx := context.Background()
	done := newPromotion(func(p *railyard.Promotion) {
		p.Finalizers = []string{railyard.FinalizerName}
		p.Status.Phase = railyard.PromotionPhaseSucceeded
	})
	r, _, _ := fakeReconciler(t, done)
	promo := &railyard.Promotion{}
	must(t, r.Client.Get(ctx, client.ObjectKeyFromObject(done), promo))
	dir := r.Engine.WorkDir(promo)
	must(t, os.MkdirAll(filepath.Join(dir, "repo"), 0o755))
	must(t, r.release(ctx, promo))
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("work directory %s still there (%v)", dir, err)
	}
	must(t, r.Client.Get(ctx, client.ObjectKeyFromObject(done), promo))
	if len(promo.Finalizers) != 0 {
		t.Errorf("finalizers = %v, want none", promo.Finalizers)
	}
	// Released again (another event for the finished Promotion): no error.
	must(t, r.release(ctx, promo))
}

func TestEndedReason(t *testing.T) {
	tests := []struct {
		phase  railyard.PromotionPhase
		reason string
		want   string
	}{
		{railyard.PromotionPhaseFailed, "", "PromotionFailed"},
		{railyard.PromotionPhaseAborted, "Aborted", "PromotionAborted"},
		{railyard.PromotionPhaseAborted, railyard.ReasonStageDeleted, railyard.ReasonStageDeleted},
		{railyard.PromotionPhaseErrored, railyard.ReasonInvalidSteps, railyard.ReasonInvalidSteps},
	}
	for _, tt := range tests {
		if got := endedReason(tt.phase, tt.reason); got != tt.want {
			t.Errorf("endedReason(%s, %q) = %q, want %q", tt.phase, tt.reason, got, tt.want)
		}
	}
}

func TestForeignSteps(t *testing.T) {
	steps := []railyard.PromotionStep{{Uses: "git-clone"}}
	digest, err := StepsDigest(nil, steps)
	must(t, err)
	tests := map[string]struct {
		steps  []railyard.PromotionStep
		digest string
		want   string // in the message; "" for steps that may run
	}{
		"copied by the controller": {steps: steps, digest: digest},
		"never copied":             {steps: steps, want: "may not be set by the creator"},
		"changed after the copy":   {steps: []railyard.PromotionStep{{Uses: "http"}}, digest: digest, want: "differ from what Railyard copied"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p := newPromotion(func(p *railyard.Promotion) { p.Spec.Steps, p.Status.StepsDigest = tt.steps, tt.digest })
			msg, err := foreignSteps(p)
			must(t, err)
			if (tt.want == "") != (msg == "") || !strings.Contains(msg, tt.want) {
				t.Errorf("foreignSteps = %q, want %q", msg, tt.want)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
