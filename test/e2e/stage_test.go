package e2e

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/naming"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// TestStageSemantics checks the Stage and Promotion rules that the user
// workflow does not reach, with the real manager on envtest. Freight is
// created by hand (no Warehouse polls anything) and Stages promote with a
// single compose-output step, so no git server is needed.
func TestStageSemantics(t *testing.T) {
	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	startManager(t, env, t.TempDir())
	s := &semantics{t: t, ctx: context.Background(), c: env.Client}

	t.Run("a first promotion fills every requested origin", s.firstPromotionFillsOrigins)
	t.Run("Freight not available to a Stage is refused with the reason", s.unavailableFreightIsRefused)
	t.Run("a queued Promotion can be aborted", s.abortQueued)
	t.Run("a rollback holds auto-promotion until the newest is promoted by hand", s.rollbackHolds)
	t.Run("deleting a Stage cleans it out of Freight status", s.deleteCleansFreight)
	t.Run("promotion metrics are exported", promotionMetrics)
	t.Run("Stages emit Events on promotion created, succeeded and failed", s.promotionEvents)
}

func (s *semantics) promotionEvents(t *testing.T) {
	eventually(t, "Stage Events", func() (bool, string) {
		var list eventsv1.EventList
		if err := s.c.List(s.ctx, &list); err != nil {
			return false, err.Error()
		}
		seen := map[string]bool{}
		for _, e := range list.Items {
			if e.Regarding.Kind == "Stage" {
				seen[e.Reason] = true
			}
		}
		return seen["PromotionCreated"] && seen["PromotionSucceeded"] && seen["PromotionFailed"], fmt.Sprint(seen)
	})
}

// promotionMetrics checks, after the promotions above, the Prometheus
// metrics the manager serves: Promotions by Stage and phase, promotion
// duration and the time from Freight creation to arrival in a Stage.
func promotionMetrics(t *testing.T) {
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]float64{}
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch mf.GetName() {
			case "railyard_promotions_total":
				count[mf.GetName()+"/"+labels["phase"]] += m.GetCounter().GetValue()
			case "railyard_promotion_duration_seconds", "railyard_freight_lead_time_seconds":
				count[mf.GetName()] += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	for _, want := range []string{
		"railyard_promotions_total/Succeeded", "railyard_promotions_total/Failed", "railyard_promotions_total/Aborted",
		"railyard_promotion_duration_seconds", "railyard_freight_lead_time_seconds",
	} {
		if count[want] == 0 {
			t.Errorf("no samples of %s; have %v", want, count)
		}
	}
}

type semantics struct {
	t   *testing.T
	ctx context.Context
	c   client.Client
	n   int
}

func (s *semantics) namespace(t *testing.T, autoPromote ...string) string {
	s.n++
	ns := fmt.Sprintf("sem-%d", s.n)
	if err := s.c.Create(s.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	newWarehouse(t, s.c, ns, "app")
	newWarehouse(t, s.c, ns, "config")
	if len(autoPromote) > 0 {
		cfg := &railyard.ProjectConfig{ObjectMeta: metav1.ObjectMeta{Name: ns, Namespace: ns}}
		for _, st := range autoPromote {
			cfg.Spec.PromotionPolicies = append(cfg.Spec.PromotionPolicies, railyard.PromotionPolicy{Stage: st, AutoPromotionEnabled: true})
		}
		mustCreate(t, s.c, cfg)
	}
	return ns
}

func mustCreate(t *testing.T, c client.Client, obj client.Object) {
	t.Helper()
	if err := c.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

func origin(warehouse string) railyard.FreightOrigin {
	return railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: warehouse}
}

// imageOf is the image a test Warehouse subscribes to. Nothing listens on
// port 1: the Warehouses of these tests discover nothing, and Freight is
// created by hand.
func imageOf(warehouse string) string { return "127.0.0.1:1/" + warehouse }

// newWarehouse creates a Warehouse with one image subscription that creates
// no Freight by itself, so hand-made Freight of it is accepted.
func newWarehouse(t *testing.T, c client.Client, ns, name string) {
	t.Helper()
	mustCreate(t, c, &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: railyard.WarehouseSpec{
			FreightCreationPolicy: railyard.FreightCreationPolicyManual,
			Subscriptions:         []railyard.RepoSubscription{{Image: &railyard.ImageSubscription{RepoURL: imageOf(name)}}},
		},
	})
}

// newFreight creates Freight of a warehouse with one image tag, as a person
// would.
func newFreight(t *testing.T, c client.Client, ns, warehouse, tag string) *railyard.Freight {
	t.Helper()
	f := &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns},
		Alias:      warehouse + "-" + strings.ReplaceAll(tag, ".", "-"),
		Origin:     origin(warehouse),
		Images:     []railyard.Image{{RepoURL: imageOf(warehouse), Tag: tag, Digest: fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(warehouse+":"+tag)))}},
	}
	f.Name = freight.IDOf(f)
	mustCreate(t, c, f)
	// Creation times have a resolution of one second; keep Freight apart so
	// "newest" is well defined.
	time.Sleep(1100 * time.Millisecond)
	return f
}

func stageWith(ns, name string, reqs ...railyard.FreightRequest) *railyard.Stage {
	return &railyard.Stage{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: railyard.StageSpec{
			RequestedFreight: reqs,
			PromotionTemplate: &railyard.PromotionTemplate{Spec: railyard.PromotionTemplateSpec{
				Steps: []railyard.PromotionStep{{Uses: "compose-output", Config: config(`{"stage":"${{ ctx.stage }}"}`)}},
			}},
		},
	}
}

func config(raw string) *apiextensionsv1.JSON { return &apiextensionsv1.JSON{Raw: []byte(raw)} }

func direct(warehouse string) railyard.FreightRequest {
	return railyard.FreightRequest{Origin: origin(warehouse), Sources: railyard.FreightSources{Direct: true}}
}

func (s *semantics) stage(t *testing.T, ns, name string) *railyard.Stage {
	t.Helper()
	st := &railyard.Stage{}
	if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: name}, st); err != nil {
		t.Fatal(err)
	}
	return st
}

func (s *semantics) promote(t *testing.T, ns, stage, freightName string) string {
	t.Helper()
	p := &railyard.Promotion{
		// Named as the CLI names them, so names sort by time.
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: naming.PromotionName(stage, freightName, time.Now())},
		Spec:       railyard.PromotionSpec{Stage: stage, Freight: freightName},
	}
	mustCreate(t, s.c, p)
	return p.Name
}

func (s *semantics) waitPhase(t *testing.T, ns, name string, phase railyard.PromotionPhase) *railyard.Promotion {
	t.Helper()
	p := &railyard.Promotion{}
	eventually(t, "Promotion "+name+" "+string(phase), func() (bool, string) {
		if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
			return false, err.Error()
		}
		if p.Status.Phase.IsTerminal() && p.Status.Phase != phase {
			t.Fatalf("Promotion %s ended %s, want %s: %s", name, p.Status.Phase, phase, p.Status.Message)
		}
		return p.Status.Phase == phase, fmt.Sprintf("%s %q", p.Status.Phase, p.Status.Message)
	})
	return p
}

func (s *semantics) waitCurrent(t *testing.T, ns, stage string, want map[string]string) {
	t.Helper()
	eventually(t, "Stage "+stage+" to run "+fmt.Sprint(want), func() (bool, string) {
		st := s.stage(t, ns, stage)
		if len(st.Status.FreightHistory) == 0 {
			return false, "no Freight"
		}
		got := map[string]string{}
		for o, ref := range st.Status.FreightHistory[0].Freight {
			got[o] = ref.Name
		}
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprint(got)
	})
}

func (s *semantics) promotionsOf(t *testing.T, ns, stage, freightName string) int {
	t.Helper()
	var list railyard.PromotionList
	if err := s.c.List(s.ctx, &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range list.Items {
		if p.Spec.Stage == stage && p.Spec.Freight == freightName {
			n++
		}
	}
	return n
}

// When a Stage requests Freight from several Warehouses and has none yet,
// the first Promotion takes the newest available Freight of the other
// origins too, so it renders completely whichever origin arrived first.
func (s *semantics) firstPromotionFillsOrigins(t *testing.T) {
	ns := s.namespace(t)
	mustCreate(t, s.c, stageWith(ns, "test", direct("app"), direct("config")))
	newFreight(t, s.c, ns, "config", "c1") // older: not chosen
	cfgNew := newFreight(t, s.c, ns, "config", "c2")
	app := newFreight(t, s.c, ns, "app", "v1")

	p := s.waitPhase(t, ns, s.promote(t, ns, "test", app.Name), railyard.PromotionPhaseSucceeded)
	got := p.Status.FreightCollection.Freight
	if got["Warehouse/app"].Name != app.Name || got["Warehouse/config"].Name != cfgNew.Name {
		t.Fatalf("the Promotion's collection is %v, want app=%s and config=%s (the newest)", got, app.Name, cfgNew.Name)
	}
	want := map[string]string{"Warehouse/app": app.Name, "Warehouse/config": cfgNew.Name}
	s.waitCurrent(t, ns, "test", want)

	// Promoting new Freight of one origin keeps the other origin's.
	app2 := newFreight(t, s.c, ns, "app", "v2")
	s.waitPhase(t, ns, s.promote(t, ns, "test", app2.Name), railyard.PromotionPhaseSucceeded)
	s.waitCurrent(t, ns, "test", map[string]string{"Warehouse/app": app2.Name, "Warehouse/config": cfgNew.Name})
	if st := s.stage(t, ns, "test"); st.Status.FreightSummary != "2/2 Fulfilled" {
		t.Errorf("freightSummary = %q, want 2/2 Fulfilled", st.Status.FreightSummary)
	}
}

func (s *semantics) unavailableFreightIsRefused(t *testing.T) {
	ns := s.namespace(t)
	mustCreate(t, s.c, stageWith(ns, "test", direct("app")))
	mustCreate(t, s.c, stageWith(ns, "prod", railyard.FreightRequest{Origin: origin("app"), Sources: railyard.FreightSources{Stages: []string{"test"}}}))
	f := newFreight(t, s.c, ns, "app", "v1")
	p := s.waitPhase(t, ns, s.promote(t, ns, "prod", f.Name), railyard.PromotionPhaseFailed)
	if !strings.Contains(p.Status.Message, "is not available to Stage prod") || !strings.Contains(p.Status.Message, "test") {
		t.Errorf("message %q does not say why", p.Status.Message)
	}
	if st := s.stage(t, ns, "prod"); len(st.Status.FreightHistory) != 0 {
		t.Errorf("prod received Freight: %+v", st.Status.FreightHistory)
	}
	// Once verified in test (promoted there and healthy), prod may take it.
	s.waitPhase(t, ns, s.promote(t, ns, "test", f.Name), railyard.PromotionPhaseSucceeded)
	eventually(t, "the Freight to be verified in test", func() (bool, string) {
		got := &railyard.Freight{}
		if err := s.c.Get(s.ctx, client.ObjectKeyFromObject(f), got); err != nil {
			return false, err.Error()
		}
		_, ok := got.Status.VerifiedIn["test"]
		return ok, fmt.Sprintf("%+v", got.Status)
	})
	s.waitPhase(t, ns, s.promote(t, ns, "prod", f.Name), railyard.PromotionPhaseSucceeded)
}

func (s *semantics) abortQueued(t *testing.T) {
	ns := s.namespace(t)
	f := newFreight(t, s.c, ns, "app", "v1")
	// No Stage "later" exists yet, so the Promotion waits.
	name := s.promote(t, ns, "later", f.Name)
	s.waitPhase(t, ns, name, railyard.PromotionPhasePending)
	p := &railyard.Promotion{}
	if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
		t.Fatal(err)
	}
	base := p.DeepCopy()
	p.Annotations = map[string]string{railyard.AnnotationAbort: `{"action":"terminate","actor":"alice"}`}
	if err := s.c.Patch(s.ctx, p, client.MergeFrom(base)); err != nil {
		t.Fatal(err)
	}
	p = s.waitPhase(t, ns, name, railyard.PromotionPhaseAborted)
	// Who asked, in words: not the annotation's key and JSON.
	if p.Status.Message != "aborted: by request of alice" || p.Status.FinishedAt == nil {
		t.Errorf("aborted Promotion: %q, finishedAt %v", p.Status.Message, p.Status.FinishedAt)
	}
}

func (s *semantics) rollbackHolds(t *testing.T) {
	ns := s.namespace(t, "test")
	f1 := newFreight(t, s.c, ns, "app", "v1")
	f2 := newFreight(t, s.c, ns, "app", "v2")
	// The Stage comes after both: auto-promotion takes only the newest.
	mustCreate(t, s.c, stageWith(ns, "test", direct("app")))
	s.waitCurrent(t, ns, "test", map[string]string{"Warehouse/app": f2.Name})
	if n := s.promotionsOf(t, ns, "test", f1.Name); n != 0 {
		t.Errorf("auto-promotion promoted the older Freight too (%d Promotions)", n)
	}

	// A person rolls back to f1.
	s.waitPhase(t, ns, s.promote(t, ns, "test", f1.Name), railyard.PromotionPhaseSucceeded)
	s.waitCurrent(t, ns, "test", map[string]string{"Warehouse/app": f1.Name})
	eventually(t, "an auto-promotion hold", func() (bool, string) {
		h, ok := s.stage(t, ns, "test").Status.AutoPromotionHolds["Warehouse/app"]
		return ok && h.FreightName == f1.Name, fmt.Sprint(ok)
	})
	// New Freight does not move the Stage while the hold stands.
	f3 := newFreight(t, s.c, ns, "app", "v3")
	time.Sleep(3 * time.Second)
	if n := s.promotionsOf(t, ns, "test", f3.Name); n != 0 {
		t.Fatalf("auto-promotion ignored the hold: %d Promotions of %s", n, f3.Name)
	}
	// Promoting the newest by hand releases it; then auto-promotion resumes.
	s.waitPhase(t, ns, s.promote(t, ns, "test", f3.Name), railyard.PromotionPhaseSucceeded)
	eventually(t, "the hold to be released", func() (bool, string) {
		_, ok := s.stage(t, ns, "test").Status.AutoPromotionHolds["Warehouse/app"]
		return !ok, "still held"
	})
	f4 := newFreight(t, s.c, ns, "app", "v4")
	s.waitCurrent(t, ns, "test", map[string]string{"Warehouse/app": f4.Name})
}

func (s *semantics) deleteCleansFreight(t *testing.T) {
	ns := s.namespace(t)
	mustCreate(t, s.c, stageWith(ns, "test", direct("app")))
	f := newFreight(t, s.c, ns, "app", "v1")
	s.waitPhase(t, ns, s.promote(t, ns, "test", f.Name), railyard.PromotionPhaseSucceeded)
	eventually(t, "the Freight to be in test", func() (bool, string) {
		got := &railyard.Freight{}
		_ = s.c.Get(s.ctx, client.ObjectKeyFromObject(f), got)
		_, in := got.Status.CurrentlyIn["test"]
		_, verified := got.Status.VerifiedIn["test"]
		return in && verified, fmt.Sprintf("%+v", got.Status)
	})
	if err := s.c.Delete(s.ctx, s.stage(t, ns, "test")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the Stage to be gone and the Freight cleaned", func() (bool, string) {
		err := s.c.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: "test"}, &railyard.Stage{})
		got := &railyard.Freight{}
		_ = s.c.Get(s.ctx, client.ObjectKeyFromObject(f), got)
		_, in := got.Status.CurrentlyIn["test"]
		_, verified := got.Status.VerifiedIn["test"]
		return apierrors.IsNotFound(err) && !in && !verified, fmt.Sprintf("stage err %v; %+v", err, got.Status)
	})
}
