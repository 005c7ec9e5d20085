package stage

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/index"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/rollouts"
	"github.com/railyard-dev/railyard/internal/rolloutstest"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// env is a control plane with a manager running the Stage reconciler. It
// starts WITHOUT Argo Rollouts' CRDs: TestVerification installs them (and
// runs the real rollouts-controller) after checking the Stage's answer to
// their absence.
var env *testenv.Env

// mgr is the manager running the Stage reconciler (its cached client and
// API reader serve reconcilers a test drives by hand).
var mgr ctrl.Manager

// managerEvents are the Events the manager's Stage reconciler emitted.
var managerEvents = &eventReasons{}

func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithManager(m, func(m ctrl.Manager) error {
		mgr = m
		if err := index.Register(context.Background(), mgr.GetFieldIndexer()); err != nil {
			return err
		}
		return (&Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Recorder: managerEvents}).SetupWithManager(mgr)
	}, &env))
}

// analysisServer answers the `web` metrics: {"ok": true} or {"ok": false}
// as set, and records the query strings it was asked with.
type analysisServer struct {
	*httptest.Server
	ok      atomic.Bool
	mu      sync.Mutex
	queries []string
}

func newAnalysisServer(t *testing.T) *analysisServer {
	s := &analysisServer{}
	s.ok.Store(true)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.queries = append(s.queries, r.URL.RawQuery)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"ok": %t}`, s.ok.Load())
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *analysisServer) asked(query string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.queries {
		if strings.Contains(q, query) {
			return true
		}
	}
	return false
}

// world is one namespace with a Freight to promote.
type world struct {
	t       *testing.T
	ctx     context.Context
	ns      string
	freight *railyard.Freight
}

var worlds atomic.Int32

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), ns: fmt.Sprintf("verify-%d", worlds.Add(1))}
	must(t, env.Client.Create(w.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w.ns}}))
	w.freight = &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: "f" + fmt.Sprint(worlds.Load()) + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
		Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"},
		Images:     []railyard.Image{{RepoURL: "example.com/app", Tag: "v1.2.3"}},
	}
	must(t, env.Client.Create(w.ctx, w.freight))
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// template creates an AnalysisTemplate in the world's namespace.
func (w *world) template(tmpl *unstructured.Unstructured) {
	w.t.Helper()
	tmpl.SetNamespace(w.ns)
	must(w.t, env.Client.Create(w.ctx, tmpl))
}

// stage creates a Stage verified by the named templates, and a Promotion
// of the world's Freight to it that has succeeded (no Promotion controller
// runs here: the test writes the status the Promotion controller would).
func (w *world) stage(name string, v *railyard.Verification) {
	w.t.Helper()
	w.stageLabelled(name, v, nil)
}

// stageLabelled is stage with labels on the Stage (a shard label keeps the
// manager's reconciler away from it).
func (w *world) stageLabelled(name string, v *railyard.Verification, labels map[string]string) {
	w.t.Helper()
	st := &railyard.Stage{
		ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: name, Labels: labels},
		Spec: railyard.StageSpec{
			RequestedFreight: []railyard.FreightRequest{{Origin: w.freight.Origin, Sources: railyard.FreightSources{Direct: true}}},
			Verification:     v,
		},
	}
	must(w.t, env.Client.Create(w.ctx, st))
	ref := railyard.FreightReference{Name: w.freight.Name, Origin: w.freight.Origin, Images: w.freight.Images}
	coll := railyard.FreightCollection{Freight: map[string]railyard.FreightReference{w.freight.Origin.String(): ref}}
	coll.ID = freight.CollectionID(coll)
	p := &railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: name + "-promo"},
		Spec:       railyard.PromotionSpec{Stage: name, Freight: w.freight.Name},
	}
	must(w.t, env.Client.Create(w.ctx, p))
	now := metav1.Now()
	p.Status = railyard.PromotionStatus{
		Phase: railyard.PromotionPhaseSucceeded, Freight: &ref, FreightCollection: &coll,
		StartedAt: &now, FinishedAt: &now,
	}
	must(w.t, env.Client.Status().Update(w.ctx, p))
}

// waitStage polls the Stage until cond holds (60s).
func (w *world) waitStage(name, what string, cond func(*railyard.Stage) bool) *railyard.Stage {
	w.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	st := &railyard.Stage{}
	for {
		err := env.Client.Get(w.ctx, client.ObjectKey{Namespace: w.ns, Name: name}, st)
		if err == nil && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			c := meta.FindStatusCondition(st.Status.Conditions, railyard.ConditionVerified)
			w.t.Fatalf("Stage %s: %s did not happen within 60s (get: %v; Verified: %+v; history: %+v)", name, what, err, c, st.Status.FreightHistory)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func verifiedIs(status metav1.ConditionStatus, reason string) func(*railyard.Stage) bool {
	return func(st *railyard.Stage) bool {
		c := meta.FindStatusCondition(st.Status.Conditions, railyard.ConditionVerified)
		return c != nil && c.Status == status && (reason == "" || c.Reason == reason)
	}
}

func verifiedCondition(st *railyard.Stage) *metav1.Condition {
	return meta.FindStatusCondition(st.Status.Conditions, railyard.ConditionVerified)
}

func lastVerification(t *testing.T, st *railyard.Stage) railyard.VerificationInfo {
	t.Helper()
	if len(st.Status.FreightHistory) == 0 || len(st.Status.FreightHistory[0].VerificationHistory) == 0 {
		t.Fatalf("Stage %s has no verification: %+v", st.Name, st.Status.FreightHistory)
	}
	return st.Status.FreightHistory[0].VerificationHistory[0]
}

func (w *world) verifiedIn(stage string) bool {
	f := &railyard.Freight{}
	must(w.t, env.Client.Get(w.ctx, client.ObjectKeyFromObject(w.freight), f))
	_, ok := f.Status.VerifiedIn[stage]
	return ok
}

func (w *world) annotate(stage, key, value string) {
	w.t.Helper()
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, key, value)
	st := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: stage}}
	must(w.t, env.Client.Patch(w.ctx, st, client.RawPatch(types.MergePatchType, []byte(patch))))
}

// quiet checks that the Stage is not written again for a while: nothing
// retries in a loop.
func (w *world) quiet(stage string, d time.Duration) {
	w.t.Helper()
	st := &railyard.Stage{}
	must(w.t, env.Client.Get(w.ctx, client.ObjectKey{Namespace: w.ns, Name: stage}, st))
	rv := st.ResourceVersion
	time.Sleep(d)
	must(w.t, env.Client.Get(w.ctx, client.ObjectKey{Namespace: w.ns, Name: stage}, st))
	if st.ResourceVersion != rv {
		w.t.Errorf("Stage %s was written again within %s (resourceVersion %s -> %s): a retry loop?", stage, d, rv, st.ResourceVersion)
	}
}

func (w *world) run(t *testing.T, vi railyard.VerificationInfo) *unstructured.Unstructured {
	t.Helper()
	if vi.AnalysisRun == nil {
		t.Fatalf("verification %s has no AnalysisRun", vi.ID)
	}
	run, err := rolloutstest.GetRun(w.ctx, env.Client, client.ObjectKey{Namespace: vi.AnalysisRun.Namespace, Name: vi.AnalysisRun.Name})
	must(t, err)
	return run
}

func templates(names ...string) *railyard.Verification {
	v := &railyard.Verification{}
	for _, n := range names {
		v.AnalysisTemplates = append(v.AnalysisTemplates, railyard.AnalysisTemplateReference{Name: n})
	}
	return v
}

// TestVerification runs the Stage's verification against the real Argo
// Rollouts controller: first without Argo Rollouts installed, then with it.
func TestVerification(t *testing.T) {
	srv := newAnalysisServer(t)

	// Without the CRDs: a clear condition, no verification recorded, no
	// retry loop; installing Argo Rollouts later is picked up without a
	// restart. A repeated run (go test -count) finds them installed by the
	// first and does not repeat that part.
	installed, err := rollouts.Available(mgr.GetRESTMapper())
	must(t, err)
	var early *world
	if installed {
		t.Log("Argo Rollouts' CRDs are installed already (a repeated run): the part without them is not repeated")
	} else {
		early = newWorld(t)
		early.stage("early", templates("smoke"))
		st := early.waitStage("early", "RolloutsNotInstalled", verifiedIs(metav1.ConditionFalse, railyard.ReasonRolloutsNotInstalled))
		if msg := verifiedCondition(st).Message; !strings.Contains(msg, "Argo Rollouts") {
			t.Errorf("condition message %q does not say Argo Rollouts is needed", msg)
		}
		if n := len(st.Status.FreightHistory[0].VerificationHistory); n != 0 {
			t.Errorf("verification history without Argo Rollouts: %d entries", n)
		}
		early.quiet("early", 2*time.Second)
		// Said once: a later reconcile (a refresh) emits no second Event.
		key := client.ObjectKey{Namespace: early.ns, Name: "early"}
		before := managerEvents.countAbout(key, railyard.ReasonRolloutsNotInstalled)
		early.annotate("early", railyard.AnnotationRefresh, "still-without-rollouts")
		early.waitStage("early", "the refresh handled", func(st *railyard.Stage) bool {
			return st.Status.LastHandledRefresh == "still-without-rollouts"
		})
		if after := managerEvents.countAbout(key, railyard.ReasonRolloutsNotInstalled); before == 0 || after != before {
			t.Errorf("RolloutsNotInstalled Events: %d, then %d after another reconcile; want one, not repeated", before, after)
		}
	}

	ctl := rolloutstest.Start(t, env)

	if early != nil {
		t.Run("Argo Rollouts installed later is picked up", func(t *testing.T) {
			early.t = t
			early.template(rolloutstest.Template(early.ns, "smoke", rolloutstest.WebMetric("smoke", srv.URL)))
			early.annotate("early", railyard.AnnotationRefresh, "1")
			early.waitStage("early", "Verified", verifiedIs(metav1.ConditionTrue, ""))
		})
	}

	t.Run("success", func(t *testing.T) {
		w := newWorld(t)
		tmpl := rolloutstest.Template(w.ns, "smoke", rolloutstest.WebMetric("smoke", srv.URL+"/?tag={{args.tag}}"))
		w.template(rolloutstest.WithArgs(tmpl, [2]string{"tag", ""}))
		v := templates("smoke")
		v.Args = []railyard.AnalysisRunArgument{{Name: "tag", Value: `${{ imageFrom("example.com/app").Tag }}`}}
		v.AnalysisRunMetadata = &railyard.AnalysisRunMetadata{Labels: map[string]string{"team": "payments"}}
		w.stage("test", v)
		st := w.waitStage("test", "Verified", verifiedIs(metav1.ConditionTrue, railyard.ReasonVerificationSucceeded))
		vi := lastVerification(t, st)
		if vi.Phase != railyard.VerificationPhaseSuccessful || vi.StartTime == nil || vi.FinishTime == nil || vi.ID == "" {
			t.Errorf("verification = %+v", vi)
		}
		if vi.AnalysisRun == nil || vi.AnalysisRun.Phase != "Successful" || vi.AnalysisRun.Namespace != w.ns {
			t.Errorf("AnalysisRun reference = %+v", vi.AnalysisRun)
		}
		if !w.verifiedIn("test") {
			t.Error("the Freight is not verifiedIn the Stage")
		}
		if !srv.asked("tag=v1.2.3") {
			t.Error("the argument expression was not evaluated against the Freight (no request with tag=v1.2.3)")
		}
		run := w.run(t, vi)
		labels := run.GetLabels()
		if labels[rollouts.LabelStage] != "test" || labels[rollouts.LabelFreightCollection] != st.Status.FreightHistory[0].ID || labels["team"] != "payments" {
			t.Errorf("run labels = %v", labels)
		}
		if run.GetAnnotations()[rollouts.AnnotationPromotion] != "test-promo" {
			t.Errorf("run annotations = %v", run.GetAnnotations())
		}
	})

	t.Run("failure, then re-verify after fixing the endpoint", func(t *testing.T) {
		bad := newAnalysisServer(t)
		bad.ok.Store(false)
		w := newWorld(t)
		w.template(rolloutstest.Template(w.ns, "smoke", rolloutstest.WebMetric("smoke", bad.URL)))
		w.stage("test", templates("smoke"))
		st := w.waitStage("test", "VerificationFailed", verifiedIs(metav1.ConditionFalse, railyard.ReasonVerificationFailed))
		c := verifiedCondition(st)
		vi := lastVerification(t, st)
		if !strings.Contains(c.Message, vi.AnalysisRun.Name) || !strings.Contains(c.Message, "smoke") {
			t.Errorf("condition message %q does not name the run and the metric", c.Message)
		}
		if vi.Phase != railyard.VerificationPhaseFailed || vi.FinishTime == nil {
			t.Errorf("verification = %+v", vi)
		}
		if w.verifiedIn("test") {
			t.Error("a failed verification made the Freight verifiedIn the Stage")
		}
		w.quiet("test", time.Second)

		bad.ok.Store(true)
		w.annotate("test", railyard.AnnotationKargoReverify, railyard.VerificationRequest{ID: vi.ID, Actor: "alice"}.String())
		st = w.waitStage("test", "Verified after re-verify", verifiedIs(metav1.ConditionTrue, ""))
		again := lastVerification(t, st)
		if again.ID == vi.ID || again.Actor != "alice" || again.AnalysisRun.Name == vi.AnalysisRun.Name {
			t.Errorf("re-verification = %+v (first %+v)", again, vi)
		}
		if n := len(st.Status.FreightHistory[0].VerificationHistory); n != 2 {
			t.Errorf("verification history has %d entries, want 2", n)
		}
		if !w.verifiedIn("test") {
			t.Error("the Freight is not verifiedIn the Stage after re-verification")
		}
	})

	for _, tc := range []struct {
		name, key string
		value     func(id string) string
		actor     string
	}{
		{"Railyard's abort annotation", railyard.AnnotationAbort, func(id string) string { return id }, ""},
		{"Kargo's abort annotation, with an actor", railyard.AnnotationKargoAbort, func(id string) string {
			return railyard.VerificationRequest{ID: id, Actor: "bob"}.String()
		}, "bob"},
	} {
		t.Run("slow analysis runs, then abort: "+tc.name, func(t *testing.T) {
			w := newWorld(t)
			m := rolloutstest.WebMetric("slow", srv.URL)
			m["count"], m["interval"] = int64(3), "1h"
			w.template(rolloutstest.Template(w.ns, "slow", m))
			w.stage("test", templates("slow"))
			st := w.waitStage("test", "VerificationRunning", func(st *railyard.Stage) bool {
				c := verifiedCondition(st)
				// The condition and the history it describes are written
				// together (lastVerification fails the test otherwise):
				// a reconcile reading an outdated Stage does not write the
				// history back without its verification.
				return c != nil && c.Status == metav1.ConditionUnknown && c.Reason == railyard.ReasonVerificationRunning &&
					lastVerification(t, st).Phase == railyard.VerificationPhaseRunning
			})
			vi := lastVerification(t, st)
			if !strings.Contains(verifiedCondition(st).Message, vi.AnalysisRun.Name) {
				t.Errorf("condition %q does not show the run", verifiedCondition(st).Message)
			}
			w.annotate("test", tc.key, tc.value(vi.ID))
			st = w.waitStage("test", "VerificationAborted", verifiedIs(metav1.ConditionFalse, railyard.ReasonVerificationAborted))
			if got := lastVerification(t, st); got.Phase != railyard.VerificationPhaseAborted || got.ID != vi.ID || got.Actor != tc.actor || got.FinishTime == nil {
				t.Errorf("verification after abort = %+v, want %s Aborted by %q", got, vi.ID, tc.actor)
			}
			if term, _, _ := unstructured.NestedBool(w.run(t, vi).Object, "spec", "terminate"); !term {
				t.Error("the AnalysisRun was not terminated")
			}
			// Argo Rollouts ends a terminated run Successful; that does not
			// verify the Freight.
			ctl.WaitForPhase(t, env.Client, client.ObjectKey{Namespace: w.ns, Name: vi.AnalysisRun.Name}, rollouts.RunPhaseSuccessful, time.Minute)
			w.annotate("test", railyard.AnnotationRefresh, "after-abort")
			st = w.waitStage("test", "the refresh handled", func(st *railyard.Stage) bool { return st.Status.LastHandledRefresh == "after-abort" })
			if got := lastVerification(t, st); got.Phase != railyard.VerificationPhaseAborted || got.ID != vi.ID {
				t.Errorf("verification after the run ended = %+v, want still %s Aborted", got, vi.ID)
			}
			if c := verifiedCondition(st); c.Status != metav1.ConditionFalse || c.Reason != railyard.ReasonVerificationAborted {
				t.Errorf("Verified after the run ended = %+v, want False, VerificationAborted", c)
			}
			if w.verifiedIn("test") {
				t.Error("an aborted verification made the Freight verifiedIn the Stage")
			}
		})
	}

	// As Kargo documents: while the Stage verifies, the next Promotion
	// waits (no Promotion controller runs here; the Stage's
	// status.currentPromotion is what lets a Promotion start).
	t.Run("the next Promotion waits while the analysis runs", func(t *testing.T) {
		w := newWorld(t)
		m := rolloutstest.WebMetric("slow", srv.URL)
		m["count"], m["interval"] = int64(3), "1h"
		w.template(rolloutstest.Template(w.ns, "slow", m))
		w.stage("test", templates("slow"))
		st := w.waitStage("test", "VerificationRunning", verifiedIs(metav1.ConditionUnknown, railyard.ReasonVerificationRunning))
		running := lastVerification(t, st)
		next := &railyard.Promotion{
			ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: "test-next"},
			Spec:       railyard.PromotionSpec{Stage: "test", Freight: w.freight.Name},
		}
		must(t, env.Client.Create(w.ctx, next))
		w.annotate("test", railyard.AnnotationRefresh, "next-created")
		st = w.waitStage("test", "the refresh handled", func(st *railyard.Stage) bool {
			return st.Status.LastHandledRefresh == "next-created"
		})
		if cur := st.Status.CurrentPromotion; cur != nil {
			t.Fatalf("Promotion %s may start while AnalysisRun %s runs", cur.Name, running.AnalysisRun.Name)
		}
		if c := meta.FindStatusCondition(st.Status.Conditions, railyard.ConditionPromoting); c == nil || c.Reason != railyard.ReasonVerificationRunning || !strings.Contains(c.Message, next.Name) {
			t.Errorf("Promoting = %+v, want it to say that %s waits for the verification", c, next.Name)
		}
		w.annotate("test", railyard.AnnotationAbort, running.ID)
		w.waitStage("test", "Promotion test-next started once the verification ended", func(st *railyard.Stage) bool {
			return st.Status.CurrentPromotion != nil && st.Status.CurrentPromotion.Name == next.Name
		})
	})

	// The verification step of one reconcile, on a Stage whose current
	// Freight was just promoted, in each health state: Kargo starts the
	// analysis only once the Stage is healthy.
	t.Run("the analysis starts only once the Stage is healthy", func(t *testing.T) {
		w := newWorld(t)
		w.template(rolloutstest.Template(w.ns, "smoke", rolloutstest.WebMetric("smoke", srv.URL)))
		r := &Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), RESTMapper: mgr.GetRESTMapper()}
		ref := railyard.FreightReference{Name: w.freight.Name, Origin: w.freight.Origin, Images: w.freight.Images}
		coll := railyard.FreightCollection{Freight: map[string]railyard.FreightReference{w.freight.Origin.String(): ref}}
		coll.ID = freight.CollectionID(coll)
		for _, tc := range []struct {
			name        string
			health      *railyard.Health
			wantStarted bool
		}{
			{"health not assessed yet", nil, false},
			{"Unknown", &railyard.Health{Status: railyard.HealthStateUnknown}, false},
			{"Progressing", &railyard.Health{Status: railyard.HealthStateProgressing, Issues: []string{"Application demo-test is Progressing"}}, false},
			{"Unhealthy", &railyard.Health{Status: railyard.HealthStateUnhealthy, Issues: []string{"Application demo-test is Degraded"}}, false},
			{"Healthy", &railyard.Health{Status: railyard.HealthStateHealthy}, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				st := &railyard.Stage{
					ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: "test"},
					Spec:       railyard.StageSpec{Verification: templates("smoke")},
					Status:     railyard.StageStatus{FreightHistory: []railyard.FreightCollection{*coll.DeepCopy()}, Health: tc.health},
				}
				sc := &scope{stage: st, now: time.Now()}
				must(t, r.verify(w.ctx, sc))
				setConditions(sc)
				history := st.Status.FreightHistory[0].VerificationHistory
				runs := rollouts.NewRunList()
				must(t, mgr.GetAPIReader().List(w.ctx, runs, client.InNamespace(w.ns)))
				if started := len(history) == 1 && history[0].AnalysisRun != nil && len(runs.Items) == 1; started != tc.wantStarted {
					t.Fatalf("started = %t (history %+v, %d runs), want %t", started, history, len(runs.Items), tc.wantStarted)
				}
				if !tc.wantStarted {
					if c := verifiedCondition(st); c.Status != metav1.ConditionFalse || c.Reason != railyard.ReasonVerificationPending {
						t.Errorf("Verified = %+v, want False, VerificationPending", c)
					}
				}
			})
		}
	})

	t.Run("a stale read of the Stage starts no second AnalysisRun", func(t *testing.T) {
		testStaleStageRead(t, srv)
	})

	t.Run("downstream auto-promotion only after the analysis succeeds", func(t *testing.T) {
		bad := newAnalysisServer(t)
		bad.ok.Store(false)
		w := newWorld(t)
		must(t, env.Client.Create(w.ctx, &railyard.ProjectConfig{
			ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: w.ns},
			Spec:       railyard.ProjectConfigSpec{PromotionPolicies: []railyard.PromotionPolicy{{Stage: "down", AutoPromotionEnabled: true}}},
		}))
		must(t, env.Client.Create(w.ctx, &railyard.Stage{
			ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: "down"},
			Spec: railyard.StageSpec{
				RequestedFreight: []railyard.FreightRequest{{Origin: w.freight.Origin, Sources: railyard.FreightSources{Stages: []string{"test"}}}},
				PromotionTemplate: &railyard.PromotionTemplate{Spec: railyard.PromotionTemplateSpec{
					Steps: []railyard.PromotionStep{{Uses: "compose-output", Config: &apiextensionsv1.JSON{Raw: []byte(`{"stage":"${{ ctx.stage }}"}`)}}},
				}},
			},
		}))
		promotionsOfDown := func() []string {
			var list railyard.PromotionList
			must(t, env.Client.List(w.ctx, &list, client.InNamespace(w.ns)))
			var out []string
			for _, p := range list.Items {
				if p.Spec.Stage == "down" {
					out = append(out, p.Spec.Freight)
				}
			}
			return out
		}
		w.template(rolloutstest.Template(w.ns, "smoke", rolloutstest.WebMetric("smoke", bad.URL)))
		w.stage("test", templates("smoke"))
		st := w.waitStage("test", "VerificationFailed", verifiedIs(metav1.ConditionFalse, railyard.ReasonVerificationFailed))
		failed := lastVerification(t, st)

		// A reconcile of the downstream Stage after the failure, with
		// auto-promotion on, promotes nothing.
		w.annotate("down", railyard.AnnotationRefresh, "after-failure")
		w.waitStage("down", "the refresh handled", func(st *railyard.Stage) bool {
			return st.Status.LastHandledRefresh == "after-failure" && st.Status.AutoPromotionEnabled
		})
		if got := promotionsOfDown(); len(got) != 0 {
			t.Fatalf("Promotions to the downstream Stage after a failed verification: %v", got)
		}

		// Fixed and re-verified: the Freight verified upstream wakes the
		// downstream Stage, which promotes it.
		bad.ok.Store(true)
		w.annotate("test", railyard.AnnotationReverify, failed.ID)
		w.waitStage("test", "Verified", verifiedIs(metav1.ConditionTrue, railyard.ReasonVerificationSucceeded))
		testenv.Eventually(t, time.Minute, func() error {
			if got := promotionsOfDown(); len(got) != 1 || got[0] != w.freight.Name {
				return fmt.Errorf("Promotions to the downstream Stage: %v, want one of %s", got, w.freight.Name)
			}
			return nil
		})
	})

	// Job metrics cannot run here (envtest has no kubelet): the run is
	// assigned to another Argo Rollouts instance so the controller leaves
	// it alone, and the test writes the outcome Argo Rollouts would.
	t.Run("job metric: run created intact, outcome written to its status handled", func(t *testing.T) {
		w := newWorld(t)
		job := rolloutstest.JobMetric("integration")
		w.template(rolloutstest.WithArgs(rolloutstest.Template(w.ns, "integration", job), [2]string{"expected", ""}))
		// Argo Rollouts' times, after the Freight arrived in the Stage.
		started := time.Now().UTC().Format(time.RFC3339)
		completed := time.Now().UTC().Add(time.Minute).Format(time.RFC3339)
		for _, tc := range []struct {
			phase, message string
			status         metav1.ConditionStatus
			reason         string
			verified       bool
		}{
			{"Failed", `Metric "integration" assessed Failed due to failed (1) > failureLimit (0)`, metav1.ConditionFalse, railyard.ReasonVerificationFailed, false},
			{"Error", `Metric "integration" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): "Error Message: job failed to start"`, metav1.ConditionFalse, railyard.ReasonVerificationError, false},
			{"Inconclusive", `Metric "integration" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)`, metav1.ConditionFalse, railyard.ReasonVerificationInconclusive, false},
			{"Successful", "", metav1.ConditionTrue, railyard.ReasonVerificationSucceeded, true},
		} {
			t.Run(tc.phase, func(t *testing.T) {
				stage := "job-" + strings.ToLower(tc.phase)
				v := templates("integration")
				v.Args = []railyard.AnalysisRunArgument{{Name: "expected", Value: "ok"}}
				v.AnalysisRunMetadata = &railyard.AnalysisRunMetadata{Labels: map[string]string{rollouts.LabelControllerInstanceID: "elsewhere"}}
				w.stage(stage, v)
				st := w.waitStage(stage, "an AnalysisRun", func(st *railyard.Stage) bool {
					return len(st.Status.FreightHistory) > 0 && len(st.Status.FreightHistory[0].VerificationHistory) > 0
				})
				vi := lastVerification(t, st)
				run := w.run(t, vi)
				metrics, _, _ := unstructured.NestedSlice(run.Object, "spec", "metrics")
				if len(metrics) != 1 || !reflect.DeepEqual(metrics[0].(map[string]any)["provider"], job["provider"]) {
					t.Errorf("run metrics = %v\nwant the job provider %v", metrics, job["provider"])
				}
				if args, _, _ := unstructured.NestedSlice(run.Object, "spec", "args"); !reflect.DeepEqual(args, []any{map[string]any{"name": "expected", "value": "ok"}}) {
					t.Errorf("run args = %v", args)
				}
				status := map[string]any{"phase": tc.phase, "startedAt": started, "completedAt": completed}
				if tc.message != "" {
					status["message"] = tc.message
				}
				patch, err := json.Marshal(map[string]any{"status": status})
				must(t, err)
				must(t, env.Client.Patch(w.ctx, run, client.RawPatch(types.MergePatchType, patch)))
				st = w.waitStage(stage, "Verified "+tc.reason, verifiedIs(tc.status, tc.reason))
				if c := verifiedCondition(st); !strings.Contains(c.Message, tc.message) {
					t.Errorf("condition message %q does not show the run's %q", c.Message, tc.message)
				}
				got := lastVerification(t, st)
				// Argo Rollouts' message, then which template the metric
				// it names came from.
				wantMessage := tc.message
				if wantMessage != "" {
					wantMessage += ` (metric "integration" is from AnalysisTemplate "integration")`
				}
				if got.ID != vi.ID || string(got.Phase) != tc.phase || got.Message != wantMessage ||
					got.FinishTime == nil || got.FinishTime.UTC().Format(time.RFC3339) != completed {
					t.Errorf("verification = %+v, want %s %s, finished at the run's completedAt %s", got, vi.ID, tc.phase, completed)
				}
				if w.verifiedIn(stage) != tc.verified {
					t.Errorf("Freight verifiedIn %s = %t, want %t", stage, !tc.verified, tc.verified)
				}
				if tc.verified {
					f := &railyard.Freight{}
					must(t, env.Client.Get(w.ctx, client.ObjectKeyFromObject(w.freight), f))
					// The soak clock starts with the verification.
					if at := f.Status.VerifiedIn[stage].VerifiedAt; at == nil || at.UTC().Format(time.RFC3339) != completed {
						t.Errorf("verifiedAt = %v, want the run's completedAt %s", at, completed)
					}
				}
			})
		}
	})

	t.Run("bad input: a clear condition naming the template, no retry loop", func(t *testing.T) {
		w := newWorld(t)
		w.template(rolloutstest.Template(w.ns, "smoke", rolloutstest.WebMetric("smoke", srv.URL)))
		invalid := rolloutstest.WebMetric("twice", srv.URL)
		invalid["provider"].(map[string]any)["job"] = rolloutstest.JobMetric("x")["provider"].(map[string]any)["job"]
		w.template(rolloutstest.Template(w.ns, "invalid", invalid))
		// Valid to the API server, refused by Argo Rollouts when it runs
		// it: three measurements without an interval.
		noInterval := rolloutstest.WebMetric("thrice", srv.URL)
		noInterval["count"] = int64(3)
		w.template(rolloutstest.Template(w.ns, "no-interval", noInterval))

		undeclared := templates("smoke")
		undeclared.Args = []railyard.AnalysisRunArgument{{Name: "nope", Value: "1"}}
		tests := []struct {
			stage string
			v     *railyard.Verification
			want  []string
			// run: the analysis reached Argo Rollouts, which refused it.
			run bool
		}{
			{"missing", templates("absent"), []string{"absent", "not found"}, false},
			{"undeclared", undeclared, []string{`"nope"`, `"smoke"`}, false},
			{"invalid", templates("invalid"), []string{`"invalid"`, "more than one provider"}, false},
			{"rejected-by-rollouts", templates("no-interval"), []string{`AnalysisTemplate "no-interval"`, `"thrice"`, "interval must be specified"}, true},
		}
		for _, tc := range tests {
			w.stage(tc.stage, tc.v)
			st := w.waitStage(tc.stage, "VerificationError", verifiedIs(metav1.ConditionFalse, railyard.ReasonVerificationError))
			msg := verifiedCondition(st).Message
			for _, s := range tc.want {
				if !strings.Contains(msg, s) {
					t.Errorf("%s: condition message %q does not contain %q", tc.stage, msg, s)
				}
			}
		}
		for _, tc := range tests {
			w.quiet(tc.stage, time.Second)
			st := &railyard.Stage{}
			must(t, env.Client.Get(w.ctx, client.ObjectKey{Namespace: w.ns, Name: tc.stage}, st))
			if h := st.Status.FreightHistory[0].VerificationHistory; len(h) != 1 || h[0].Phase != railyard.VerificationPhaseError || (h[0].AnalysisRun != nil) != tc.run {
				t.Errorf("%s: verification history %+v, want one Error, with an AnalysisRun: %t", tc.stage, h, tc.run)
			}
			list := rollouts.NewRunList()
			must(t, env.Client.List(w.ctx, list, client.InNamespace(w.ns), client.MatchingLabels{rollouts.LabelStage: tc.stage}))
			if want := map[bool]int{true: 1}[tc.run]; len(list.Items) != want {
				t.Errorf("%s: %d AnalysisRuns, want %d", tc.stage, len(list.Items), want)
			}
		}
	})
}
