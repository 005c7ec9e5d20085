package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd/argocdtest"
	"github.com/railyard-dev/railyard/internal/cli"
	"github.com/railyard-dev/railyard/internal/demo"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/helmtest"
	"github.com/railyard-dev/railyard/internal/registrytest"
	"github.com/railyard-dev/railyard/internal/rolloutstest"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// TestVerificationGatesStaging is issue #15 as the users see it: the demo
// project (Warehouse → test, auto-promoted → staging) with the test Stage
// verified by an Argo Rollouts AnalysisTemplate whose `web` metric asks a
// health endpoint the test controls. The real rollouts-controller runs the
// AnalysisRuns Railyard creates.
//
//  1. The endpoint says not ok: the Freight reaches test, the analysis
//     fails, test shows Verified=False with the analysis's message, the
//     Freight is not verified in test and staging cannot get it (the CLI
//     refuses it, a Promotion from upstream fails).
//  2. The endpoint is fixed and the verification is re-run with
//     `railyard verify stage test`: a new AnalysisRun succeeds, the Freight
//     is verified in test and promoting staging from upstream succeeds.
//  3. The analysis is slow (its next measurement an interval away): the
//     next Freight's verification stays Running until Kargo's abort
//     annotation, set with kubectl, ends it Aborted; that Freight is not
//     verified in test.
func TestVerificationGatesStaging(t *testing.T) {
	argoCRD, err := argocdtest.TestCRDPath()
	if err != nil {
		t.Fatalf("getting Argo CD's Application CRD: %v", err)
	}
	rolloutsCRDs, err := rolloutstest.CRDPaths()
	if err != nil {
		t.Fatal(err)
	}
	env, err := testenv.Start(testenv.Options{ExtraCRDPaths: append([]string{argoCRD}, rolloutsCRDs...)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	rollouts := rolloutstest.Start(t, env)

	// The health endpoint the analysis asks: {"ok": true} or {"ok": false}.
	var healthy atomic.Bool
	var asked atomic.Int32
	endpoint := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		asked.Add(1)
		rw.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(rw, `{"ok": %t}`, healthy.Load())
	}))
	t.Cleanup(endpoint.Close)

	w := &world{t: t, top: t, ctx: context.Background(), env: env, workDir: t.TempDir(), built: ptrTime(time.Now().Add(-time.Hour)), managers: &[]*runningManager{}}
	w.reg = registrytest.New(t, registrytest.WithBasicAuth(registryUser, registryPassword))
	w.image = w.reg.Repo("demo/app")
	helm := helmtest.NewRepo(t)
	helm.AddChart(helmtest.ChartSpec{Name: "demo-chart", Version: "0.1.0"})
	git := gittest.NewServer(t, gittest.WithPush(), gittest.WithBasicAuth(gitUser, gitPassword))
	w.charts = helm.URL()
	w.repo = git.CreateRepo("gitops", demo.GitOpsFiles(w.image, w.charts))

	admission, err := env.Kubectl(w.ctx, nil, "kustomize", filepath.Join(env.Root, "config", "admission"))
	if err != nil {
		t.Fatal(err)
	}
	w.apply(admission)
	w.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}})
	w.startManager()
	w.argo = startArgoStandIn(t, env.Client)
	w.apply(demo.ProjectManifest)
	eventually(t, "the Project to create its namespace", func() (bool, string) {
		err := env.Client.Get(w.ctx, client.ObjectKey{Name: ns}, &corev1.Namespace{})
		return err == nil, fmt.Sprint(err)
	})
	w.apply(credentialSecrets(w.repo.URL, w.image))
	// Discovery is asked for by refresh (pushImage); the interval never fires.
	w.apply(demo.ProjectManifests(w.image, helm.URL(), w.repo.URL, 24*time.Hour))
	w.apply(demo.Applications(w.repo.URL))

	// The analysis and the test Stage's verification, before any Freight.
	rolloutstest.Create(t, env.Client, rolloutstest.Template(ns, "smoke", rolloutstest.WebMetric("smoke", endpoint.URL+"/healthz")))
	w.patchStage("test", `{"spec":{"verification":{"analysisTemplates":[{"name":"smoke"}]}}}`)

	var first *railyard.Freight
	ok := t.Run("a failing analysis keeps the Freight from staging", func(t *testing.T) {
		w := w.on(t)
		healthy.Store(false)
		first = w.pushImage("v1.0.0")
		p := w.waitPromotionOf("test", first.Name)
		w.waitPromotion(p.Name, railyard.PromotionPhaseSucceeded)
		w.waitCurrent("test", first.Name)

		w.waitCondition("test", railyard.ConditionVerified, metav1.ConditionFalse, railyard.ReasonVerificationFailed)
		st := w.stage("test")
		vi := w.lastVerification(st)
		if vi.Phase != railyard.VerificationPhaseFailed || vi.AnalysisRun == nil {
			t.Fatalf("verification = %+v, want Failed with an AnalysisRun", vi)
		}
		run := w.analysisRun(vi)
		runMsg, _, _ := unstructured.NestedString(run.Object, "status", "message")
		if rolloutstest.RunPhase(run) != "Failed" || runMsg == "" {
			t.Errorf("AnalysisRun %s: phase %q, message %q; want Failed with a message", run.GetName(), rolloutstest.RunPhase(run), runMsg)
		}
		c := meta.FindStatusCondition(st.Status.Conditions, railyard.ConditionVerified)
		for _, want := range []string{vi.AnalysisRun.Name, runMsg, "smoke"} {
			if !strings.Contains(c.Message, want) {
				t.Errorf("Verified condition message %q does not show %q", c.Message, want)
			}
		}
		t.Logf("test shows Verified=%s (%s): %s", c.Status, c.Reason, c.Message)
		// Reconciling again does not retry the analysis by itself.
		w.refreshStage("test")
		if again := w.lastVerification(w.stage("test")); again.ID != vi.ID || again.Phase != railyard.VerificationPhaseFailed {
			t.Errorf("after a refresh the verification is %+v, want still %s Failed", again, vi.ID)
		}
		if w.verifiedIn(first.Name, "test") {
			t.Error("the Freight is verified in test although its analysis failed")
		}

		// The CLI refuses to promote it to staging.
		out, code := w.cli("promote", "--stage", "staging", "--freight", first.Name)
		if code == cli.ExitOK || !strings.Contains(out, "not available to stage staging") || !strings.Contains(out, "not verified in stage test") {
			t.Errorf("railyard promote --stage staging --freight %s: exit %d, output:\n%s", first.Name, code, out)
		}
		// promote --from-upstream: the Promotion is created and fails, as
		// nothing is verified upstream.
		up := w.promoteFromUpstream("staging")
		failed := w.waitPromotion(up, railyard.PromotionPhaseFailed)
		if !strings.Contains(failed.Status.Message, "available to Stage staging") {
			t.Errorf("Promotion %s from upstream failed with %q, want it to say nothing is available to staging", up, failed.Status.Message)
		}
		if got := w.current("staging"); got != "" {
			t.Errorf("staging runs %s", got)
		}
	})
	if !ok {
		t.FailNow()
	}

	ok = t.Run("fixed endpoint and reverify: verified, staging promoted", func(t *testing.T) {
		w := w.on(t)
		healthy.Store(true)
		before := w.lastVerification(w.stage("test"))
		// A person asks with the CLI.
		if out, code := w.cli("verify", "stage", "test"); code != cli.ExitOK || !strings.Contains(out, "re-verification requested") {
			t.Fatalf("railyard verify stage test: exit %d, output:\n%s", code, out)
		}

		w.waitCondition("test", railyard.ConditionVerified, metav1.ConditionTrue, railyard.ReasonVerificationSucceeded)
		st := w.stage("test")
		vi := w.lastVerification(st)
		if vi.ID == before.ID || vi.Phase != railyard.VerificationPhaseSuccessful || vi.AnalysisRun == nil || vi.AnalysisRun.Name == before.AnalysisRun.Name || vi.Actor == "" {
			t.Errorf("re-verification = %+v (before: %+v), want a new, Successful one with a new AnalysisRun, by the CLI's user", vi, before)
		} else if phase := rolloutstest.RunPhase(w.analysisRun(vi)); phase != "Successful" {
			t.Errorf("AnalysisRun %s is %s", vi.AnalysisRun.Name, phase)
		}
		if n := len(st.Status.FreightHistory[0].VerificationHistory); n != 2 {
			t.Errorf("verification history has %d entries, want 2", n)
		}
		eventually(t, "the Freight to be verified in test", func() (bool, string) {
			return w.verifiedIn(first.Name, "test"), fmt.Sprintf("%+v", w.freight(first.Name).Status.VerifiedIn)
		})

		up := w.promoteFromUpstream("staging")
		p := w.waitPromotion(up, railyard.PromotionPhaseSucceeded)
		if p.Status.Freight == nil || p.Status.Freight.Name != first.Name {
			t.Errorf("Promotion %s moved %+v, want %s", up, p.Status.Freight, first.Name)
		}
		w.waitCurrent("staging", first.Name)
		if m := w.repo.ReadFile("kargo/demo/staging", "manifests.yaml"); !strings.Contains(m, w.image+":v1.0.0") {
			t.Errorf("kargo/demo/staging does not run v1.0.0:\n%s", m)
		}
	})
	if !ok {
		t.FailNow()
	}

	t.Run("a slow analysis runs until aborted", func(t *testing.T) {
		w := w.on(t)
		// The next measurement is an hour away: the run stays Running.
		slow := rolloutstest.WebMetric("smoke", endpoint.URL+"/healthz")
		slow["count"], slow["interval"] = int64(2), "1h"
		w.setMetrics("smoke", slow)

		second := w.pushImage("v1.0.1")
		p := w.waitPromotionOf("test", second.Name)
		w.waitPromotion(p.Name, railyard.PromotionPhaseSucceeded)
		w.waitCurrent("test", second.Name)

		w.waitCondition("test", railyard.ConditionVerified, metav1.ConditionUnknown, railyard.ReasonVerificationRunning)
		var running railyard.VerificationInfo
		eventually(t, "the AnalysisRun to be Running", func() (bool, string) {
			running = w.lastVerification(w.stage("test"))
			if running.AnalysisRun == nil {
				return false, fmt.Sprintf("%+v", running)
			}
			phase := rolloutstest.RunPhase(w.analysisRun(running))
			return running.Phase == railyard.VerificationPhaseRunning && phase == "Running", fmt.Sprintf("verification %+v, run %s", running, phase)
		})
		if w.verifiedIn(second.Name, "test") {
			t.Error("the Freight is verified in test while its verification runs")
		}

		// A person aborts with kubectl and Kargo's annotation.
		if _, err := w.env.Kubectl(w.ctx, nil, "annotate", "stage", "test", "-n", ns, "--overwrite", railyard.AnnotationKargoAbort+"="+running.ID); err != nil {
			t.Fatalf("kubectl annotate %s: %v", railyard.AnnotationKargoAbort, err)
		}
		w.waitCondition("test", railyard.ConditionVerified, metav1.ConditionFalse, railyard.ReasonVerificationAborted)
		st := w.stage("test")
		if got := w.lastVerification(st); got.ID != running.ID || got.Phase != railyard.VerificationPhaseAborted || got.FinishTime == nil {
			t.Errorf("verification after abort = %+v, want %s Aborted and finished", got, running.ID)
		}
		if term, _, _ := unstructured.NestedBool(w.analysisRun(running).Object, "spec", "terminate"); !term {
			t.Errorf("AnalysisRun %s was not terminated", running.AnalysisRun.Name)
		}
		if w.verifiedIn(second.Name, "test") {
			t.Error("the Freight is verified in test after its verification was aborted")
		}
		w.refreshStage("test")
		st = w.stage("test")
		if got := w.lastVerification(st); got.ID != running.ID || got.Phase != railyard.VerificationPhaseAborted {
			t.Errorf("after a refresh the verification is %+v, want still %s Aborted", got, running.ID)
		}
		if c := meta.FindStatusCondition(st.Status.Conditions, railyard.ConditionVerified); c == nil || c.Reason != railyard.ReasonVerificationAborted {
			t.Errorf("after a refresh Verified = %+v, want VerificationAborted", c)
		}
		out, code := w.cli("promote", "--stage", "staging", "--freight", second.Name)
		if code == cli.ExitOK || !strings.Contains(out, "not verified in stage test") {
			t.Errorf("railyard promote --stage staging --freight %s: exit %d, output:\n%s", second.Name, code, out)
		}
		if got := w.current("staging"); got != first.Name {
			t.Errorf("staging runs %s, want still %s", got, first.Name)
		}
	})
	if exited, err := rollouts.Exited(); exited {
		t.Errorf("rollouts-controller exited: %v", err)
	}
	t.Logf("the health endpoint was asked %d times", asked.Load())
}

func (w *world) patchStage(name, patch string) {
	w.t.Helper()
	st := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if err := w.env.Client.Patch(w.ctx, st, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		w.t.Fatalf("patching Stage %s with %s: %v", name, patch, err)
	}
}

// refreshStage asks for a reconcile of the Stage and waits until it was
// handled.
func (w *world) refreshStage(name string) {
	w.t.Helper()
	v := fmt.Sprint(time.Now().UnixNano())
	w.patchStage(name, fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, railyard.AnnotationRefresh, v))
	eventually(w.t, "Stage "+name+" to handle the refresh", func() (bool, string) {
		got := w.stage(name).Status.LastHandledRefresh
		return got == v, "last handled refresh " + got
	})
}

// setMetrics replaces the metrics of an AnalysisTemplate of the project.
func (w *world) setMetrics(template string, metrics ...map[string]any) {
	w.t.Helper()
	tmpl := rolloutstest.Template(ns, template)
	if err := w.env.Client.Get(w.ctx, client.ObjectKeyFromObject(tmpl), tmpl); err != nil {
		w.t.Fatal(err)
	}
	ms := make([]any, len(metrics))
	for i, m := range metrics {
		ms[i] = m
	}
	if err := unstructured.SetNestedSlice(tmpl.Object, ms, "spec", "metrics"); err != nil {
		w.t.Fatal(err)
	}
	if err := w.env.Client.Update(w.ctx, tmpl); err != nil {
		w.t.Fatal(err)
	}
}

// lastVerification is the newest verification of the Stage's current
// Freight.
func (w *world) lastVerification(st *railyard.Stage) railyard.VerificationInfo {
	w.t.Helper()
	if len(st.Status.FreightHistory) == 0 || len(st.Status.FreightHistory[0].VerificationHistory) == 0 {
		w.t.Fatalf("Stage %s has no verification: %+v", st.Name, st.Status.FreightHistory)
	}
	return st.Status.FreightHistory[0].VerificationHistory[0]
}

func (w *world) analysisRun(vi railyard.VerificationInfo) *unstructured.Unstructured {
	w.t.Helper()
	run, err := rolloutstest.GetRun(w.ctx, w.env.Client, client.ObjectKey{Namespace: vi.AnalysisRun.Namespace, Name: vi.AnalysisRun.Name})
	if err != nil {
		w.t.Fatalf("getting AnalysisRun %s: %v", vi.AnalysisRun.Name, err)
	}
	return run
}

func (w *world) verifiedIn(freightName, stage string) bool {
	w.t.Helper()
	_, ok := w.freight(freightName).Status.VerifiedIn[stage]
	return ok
}

// cli runs the railyard CLI in the project as the administrator and
// returns its output (stdout and stderr) and exit code.
func (w *world) cli(args ...string) (string, int) {
	w.t.Helper()
	var out bytes.Buffer
	code := cli.Execute(w.ctx, append(args, "--kubeconfig", w.env.Kubeconfig, "-n", ns), &out, &out)
	return out.String(), code
}
