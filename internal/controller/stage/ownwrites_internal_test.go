package stage

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// A reconcile that reads a Stage from a cache which has not yet seen this
// controller's last write to it does nothing and looks again soon: acting on
// the old copy wrote the status again (and, for a Freight just verified,
// verified it a second time with a second Event).
func TestStaleCopyWaitsForOwnWrite(t *testing.T) {
	st := &railyard.Stage{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "test", UID: "u1", Generation: 1, Finalizers: []string{railyard.FinalizerName}},
		Spec:       railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{Origin: appOrigin, Sources: railyard.FreightSources{Direct: true}}}},
	}
	var stale *railyard.Stage
	statusWrites := 0
	funcs := countStageWrites(&statusWrites)
	funcs.Get = func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
		if s, ok := obj.(*railyard.Stage); ok && stale != nil {
			stale.DeepCopyInto(s)
			return nil
		}
		return c.Get(ctx, key, obj, opts...)
	}
	r, _ := fakeReconciler(t, t0, funcs, st)
	req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(st)}
	before := &railyard.Stage{}
	if err := r.Client.Get(context.Background(), req.NamespacedName, before); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reconcile(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if statusWrites == 0 {
		t.Fatal("the first reconcile of a new Stage wrote no status")
	}

	// The cache still holds the copy from before that write.
	stale, statusWrites = before, 0
	res, err := r.Reconcile(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if statusWrites != 0 || res.RequeueAfter != staleRecheck {
		t.Errorf("on the stale copy: %d status writes, requeue after %s; want none and %s", statusWrites, res.RequeueAfter, staleRecheck)
	}

	// Once the cache has caught up, the Stage is reconciled as usual.
	stale = nil
	res, err = r.Reconcile(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.RequeueAfter == staleRecheck {
		t.Errorf("the current copy was taken for stale (requeue after %s)", res.RequeueAfter)
	}
}

// When the Stage's Promotion has finished and no other is waiting, the
// Stage writes its history and the conditions that follow from it at once:
// nobody waits for the turn to be published as empty.
func TestFinishedPromotionIsOneStatusWrite(t *testing.T) {
	st := autoStage(railyard.FreightSources{Direct: true})
	st.UID, st.Finalizers = "u1", []string{railyard.FinalizerName}
	st.Status.FreightHistory = []railyard.FreightCollection{*collectionOf("old")}
	st.Status.CurrentPromotion = &railyard.PromotionReference{Name: "p1", Freight: &railyard.FreightReference{Name: "new", Origin: appOrigin}}
	p1 := finishedPromotion("p1", "new", railyard.PromotionPhaseSucceeded, time.Minute, "alice")
	statusWrites := 0
	funcs := countStageWrites(&statusWrites)
	r, _ := fakeReconciler(t, t0.Add(time.Hour), funcs, st, newFreight("old", 0), newFreight("new", time.Minute), &p1)
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(st)}); err != nil {
		t.Fatal(err)
	}
	got := &railyard.Stage{}
	if err := r.Client.Get(context.Background(), client.ObjectKeyFromObject(st), got); err != nil {
		t.Fatal(err)
	}
	if got.Status.CurrentPromotion != nil || got.Status.LastPromotion == nil || got.Status.LastPromotion.Name != "p1" ||
		got.Status.FreightHistory[0].Freight[appOrigin.String()].Name != "new" {
		t.Fatalf("status after the Promotion finished: current %+v, last %+v, history %+v",
			got.Status.CurrentPromotion, got.Status.LastPromotion, got.Status.FreightHistory)
	}
	if statusWrites != 1 {
		t.Errorf("%d status writes for a finished Promotion with none next, want 1", statusWrites)
	}
}

// A Promotion that auto-promotion creates is published with the Freight it
// was created for, the reference the Promotion resolves: its resolving then
// costs the Stage no status write (it was one per auto-promotion).
func TestAutoPromotionPublishesItsFreight(t *testing.T) {
	st := autoStage(railyard.FreightSources{Direct: true})
	st.UID, st.Finalizers = "u1", []string{railyard.FinalizerName}
	f := newFreight("new", time.Minute)
	f.Images = []railyard.Image{{RepoURL: "registry.example.com/app", Tag: "v1.0.1", Digest: "sha256:1"}}
	statusWrites := 0
	funcs := countStageWrites(&statusWrites)
	r, _ := fakeReconciler(t, t0.Add(time.Hour), funcs, st, projectConfig(true), f)
	req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(st)}
	if _, err := r.Reconcile(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got := &railyard.Stage{}
	if err := r.Client.Get(context.Background(), req.NamespacedName, got); err != nil {
		t.Fatal(err)
	}
	cur := got.Status.CurrentPromotion
	if cur == nil || cur.Freight == nil || !equality.Semantic.DeepEqual(*cur.Freight, freight.Ref(f)) {
		t.Fatalf("currentPromotion after auto-promotion = %+v, want the Promotion with Freight %+v", cur, freight.Ref(f))
	}

	// The Promotion resolves its Freight, as the Promotion controller does.
	ref := freight.Ref(f)
	if n := stageWritesAfter(t, r, req, &statusWrites, cur.Name, railyard.PromotionPhasePending, &ref); n != 0 {
		t.Errorf("%d Stage status writes after the Promotion resolved the Freight it was published with, want 0", n)
	}
}

// Freight that arrives in a Stage and is verified there in the same
// reconcile is written once, with both; and when a Freight write fails,
// the Stage's status does not record the move either, so the next
// reconcile makes it again.
func TestFreightArrivalAndVerificationAreOneWrite(t *testing.T) {
	for _, failing := range []bool{false, true} {
		st := autoStage(railyard.FreightSources{Direct: true})
		st.UID, st.Finalizers = "u1", []string{railyard.FinalizerName}
		st.Status.FreightHistory = []railyard.FreightCollection{*collectionOf("old")}
		p1 := finishedPromotion("p1", "new", railyard.PromotionPhaseSucceeded, time.Minute, "alice")
		freightWrites := map[string]int{}
		stageWrites := 0
		count := func(obj client.Object) error {
			switch obj.(type) {
			case *railyard.Freight:
				if failing && obj.GetName() == "old" {
					return errors.New("injected failure")
				}
				freightWrites[obj.GetName()]++
			case *railyard.Stage:
				stageWrites++
			}
			return nil
		}
		funcs := interceptor.Funcs{
			SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
				if err := count(obj); err != nil {
					return err
				}
				return c.SubResource(sub).Patch(ctx, obj, p, opts...)
			},
			SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
				if err := count(obj); err != nil {
					return err
				}
				return c.SubResource(sub).Update(ctx, obj, opts...)
			},
		}
		old := newFreight("old", 0)
		since := metav1.NewTime(t0)
		old.Status.CurrentlyIn = map[string]railyard.CurrentStage{st.Name: {Since: &since}}
		r, rec := fakeReconciler(t, t0.Add(time.Hour), funcs, st, old, newFreight("new", time.Minute), &p1)
		_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(st)})
		got := &railyard.Stage{}
		if gerr := r.Client.Get(context.Background(), client.ObjectKeyFromObject(st), got); gerr != nil {
			t.Fatal(gerr)
		}
		verifiedEvents := strings.Count(drain(rec), railyard.EventFreightVerified)
		if failing {
			if err == nil || stageWrites != 0 || got.Status.LastPromotion != nil || verifiedEvents != 0 {
				t.Errorf("a Freight write failed: error %v, %d Stage status writes, lastPromotion %+v, %d FreightVerified Events; want the error, none, nil, none",
					err, stageWrites, got.Status.LastPromotion, verifiedEvents)
			}
			continue
		}
		if verifiedEvents != 1 {
			t.Errorf("%d FreightVerified Events, want 1", verifiedEvents)
		}
		if err != nil {
			t.Fatal(err)
		}
		f := &railyard.Freight{}
		if err := r.Client.Get(context.Background(), client.ObjectKey{Namespace: "demo", Name: "new"}, f); err != nil {
			t.Fatal(err)
		}
		_, in := f.Status.CurrentlyIn[st.Name]
		_, verified := f.Status.VerifiedIn[st.Name]
		if !in || !verified || freightWrites["new"] != 1 {
			t.Errorf("Freight new: in the Stage %v, verified %v, %d status writes; want true, true, 1", in, verified, freightWrites["new"])
		}
		if freightWrites["old"] != 1 || got.Status.LastPromotion == nil {
			t.Errorf("Freight old: %d status writes; Stage lastPromotion %+v", freightWrites["old"], got.Status.LastPromotion)
		}
	}
}

// countStageWrites counts the Stage status writes made through the client.
func countStageWrites(n *int) interceptor.Funcs {
	return interceptor.Funcs{
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
			if _, ok := obj.(*railyard.Stage); ok {
				*n++
			}
			return c.SubResource(sub).Patch(ctx, obj, p, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			if _, ok := obj.(*railyard.Stage); ok {
				*n++
			}
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
	}
}

// Health waits for a Promotion from when auto-promotion publishes it, as
// Kargo's does for a Promotion in progress, so the Promotion starting to
// run costs the Stage no status write (it was one per promotion: health
// became Unknown only then).
func TestPromotionStartingIsNoStageWrite(t *testing.T) {
	st := autoStage(railyard.FreightSources{Direct: true})
	st.UID, st.Finalizers = "u1", []string{railyard.FinalizerName}
	cur := collectionOf("old")
	done := metav1.NewTime(t0)
	cur.VerificationHistory = []railyard.VerificationInfo{{ID: "v1", StartTime: &done, FinishTime: &done, Phase: railyard.VerificationPhaseSuccessful}}
	st.Status.FreightHistory = []railyard.FreightCollection{*cur}
	st.Status.Health = &railyard.Health{Status: railyard.HealthStateHealthy}
	statusWrites := 0
	r, _ := fakeReconciler(t, t0.Add(time.Hour), countStageWrites(&statusWrites), st, projectConfig(true),
		newFreight("old", 0), newFreight("new", time.Minute))
	req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(st)}
	got := func() *railyard.Stage {
		t.Helper()
		s := &railyard.Stage{}
		if err := r.Client.Get(context.Background(), req.NamespacedName, s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, err := r.Reconcile(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	s := got()
	if s.Status.CurrentPromotion == nil {
		t.Fatal("auto-promotion published no Promotion")
	}
	if h := s.Status.Health; h == nil || h.Status != railyard.HealthStateUnknown || len(h.Issues) != 1 || h.Issues[0] != promotionInProgress {
		t.Errorf("health with a Promotion published = %+v, want Unknown: %q", h, promotionInProgress)
	}
	if c := meta.FindStatusCondition(s.Status.Conditions, railyard.ConditionHealthy); c == nil || c.Status != metav1.ConditionUnknown {
		t.Errorf("Healthy condition with a Promotion published = %+v, want Unknown", c)
	}

	// The Promotion starts, as the Promotion controller has it.
	pub := s.Status.CurrentPromotion
	if n := stageWritesAfter(t, r, req, &statusWrites, pub.Name, railyard.PromotionPhaseRunning, pub.Freight); n != 0 {
		t.Errorf("%d Stage status writes when its published Promotion started running, want 0", n)
	}
}

// stageWritesAfter moves the Promotion named promo to phase with Freight
// ref, as the Promotion controller does, reconciles the Stage and returns
// the Stage status writes that reconcile made (counted in writes).
func stageWritesAfter(t *testing.T, r *Reconciler, req ctrl.Request, writes *int, promo string, phase railyard.PromotionPhase, ref *railyard.FreightReference) int {
	t.Helper()
	p := &railyard.Promotion{}
	if err := r.Client.Get(context.Background(), client.ObjectKey{Namespace: req.Namespace, Name: promo}, p); err != nil {
		t.Fatal(err)
	}
	p.Status.Phase, p.Status.Freight = phase, ref
	if err := r.Client.Status().Update(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	*writes = 0
	if _, err := r.Reconcile(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	return *writes
}

// Auto-promotion creates its Promotion with what the Promotion
// controller's snapshot would write into it (the Stage's steps with tasks
// inlined, the owner reference; no finalizer), which that controller then
// adopts instead of updating the spec; a Stage whose task is missing gets a
// Promotion without steps, which the Promotion controller fails with the
// reason.
func TestAutoPromotionCopiesTheSteps(t *testing.T) {
	for _, missingTask := range []bool{false, true} {
		st := autoStage(railyard.FreightSources{Direct: true})
		st.UID, st.Finalizers = "u1", []string{railyard.FinalizerName}
		st.Spec.PromotionTemplate.Spec.Steps = []railyard.PromotionStep{{Task: &railyard.PromotionTaskReference{Name: "deploy"}}}
		objs := []client.Object{st, projectConfig(true), newFreight("new", time.Minute)}
		if !missingTask {
			objs = append(objs, &railyard.PromotionTask{
				ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "deploy"},
				Spec:       railyard.PromotionTaskSpec{Steps: []railyard.PromotionStep{{Uses: "git-clone", As: "clone"}}},
			})
		}
		r, _ := fakeReconciler(t, t0.Add(time.Hour), interceptor.Funcs{}, objs...)
		if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(st)}); err != nil {
			t.Fatal(err)
		}
		var list railyard.PromotionList
		if err := r.Client.List(context.Background(), &list); err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 1 {
			t.Fatalf("%d Promotions, want 1", len(list.Items))
		}
		p := list.Items[0]
		if missingTask {
			if len(p.Spec.Steps) != 0 || len(p.Finalizers) != 0 {
				t.Errorf("with the task missing: steps %+v, finalizers %v; want none", p.Spec.Steps, p.Finalizers)
			}
			continue
		}
		if len(p.Spec.Steps) != 1 || p.Spec.Steps[0].Uses != "git-clone" || p.Spec.Steps[0].As != "task-1::clone" {
			t.Errorf("steps = %+v, want the task's git-clone inlined as task-1::clone", p.Spec.Steps)
		}
		if len(p.Finalizers) != 0 {
			t.Errorf("finalizers = %v, want none: removing one at the end would write the Promotion once more", p.Finalizers)
		}
		if len(p.OwnerReferences) != 1 || p.OwnerReferences[0].UID != st.UID || p.OwnerReferences[0].Kind != "Stage" {
			t.Errorf("owner references = %+v, want the Stage", p.OwnerReferences)
		}
	}
}
