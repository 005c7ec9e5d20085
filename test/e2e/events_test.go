package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd/argocdtest"
	"github.com/railyard-dev/railyard/internal/demo"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/helmtest"
	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/registrytest"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// benchPromotions is how many Promotions one benchmark iteration times.
const benchPromotions = 10

// BenchmarkPromotion times Promotion created → Succeeded on loopback
// servers, with an Argo CD stand-in that answers within milliseconds, ten
// Promotions per iteration, alternating between two Freight so every
// promotion commits a change. Reported: median-s and max-s over all
// promotions timed.
//
//   - task: the users' task (git-clone, git-clear, kustomize-set-image,
//     yaml-update, kustomize-build inflating the Helm chart, git-commit,
//     git-push, argocd-update) to staging;
//
//   - argocd-update-only: a Stage whose only step is argocd-update, so
//     what is timed is the controllers' own part: snapshot, hand-off by the
//     Stage, status saves and the wake-up when Argo CD has synced.
//
//     go test ./test/e2e -run '^$' -bench Promotion -benchtime 1x
func BenchmarkPromotion(b *testing.B) {
	pw := startPipelineWorld(b, demo.DefaultStandInInterval)
	pw.apply(b, bareStage)
	f1 := pw.freightVerifiedInTest(b, "v1.0.0")
	f2 := pw.freightVerifiedInTest(b, "v1.0.1")
	for _, bc := range []struct{ name, stage string }{
		{"task", "staging"},
		{"argocd-update-only", "bare"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			// One untimed promotion warms caches (clones, the chart).
			pw.promote(b, bc.stage, f1)
			var lat []time.Duration
			before := readStepTotals(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j := range benchPromotions {
					f := f2
					if j%2 == 1 {
						f = f1
					}
					pw.settle(b, bc.stage)
					lat = append(lat, pw.promote(b, bc.stage, f))
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(lat[len(lat)/2].Seconds(), "median-s")
			b.ReportMetric(lat[len(lat)-1].Seconds(), "max-s")
			b.ReportMetric(0, "ns/op")
			b.Logf("promotion latencies: %v", lat)
			b.Logf("mean time per step in the timed promotions: %s", stepMeans(b, before))
		})
	}
}

// bareStage takes Freight from the Warehouse directly and only asks Argo
// CD to sync its Application.
const bareStage = `apiVersion: railyard.dev/v1alpha1
kind: Stage
metadata:
  name: bare
  namespace: demo
spec:
  requestedFreight:
  - origin:
      kind: Warehouse
      name: demo
    sources:
      direct: true
  promotionTemplate:
    spec:
      steps:
      - uses: argocd-update
        config:
          apps:
          - name: demo-bare
            namespace: argocd
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: demo-bare
  namespace: argocd
  annotations:
    railyard.dev/authorized-stage: demo:bare
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: demo-bare
  source:
    repoURL: https://git.example.com/unused.git
    targetRevision: main
    path: .
`

// pipelineWorld is the demo project on loopback servers, for tests and
// benchmarks alike (the workflow's world is tied to *testing.T).
type pipelineWorld struct {
	ctx   context.Context
	env   *testenv.Env
	wc    client.WithWatch
	reg   *registrytest.Registry
	image string
	built time.Time
	argo  *demo.ArgoStandIn
}

// startControlPlane starts envtest with Argo CD's Application CRD and
// returns a pipelineWorld holding it and a watching client; the worlds of
// the benchmarks and the failover test add their servers to it.
func startControlPlane(tb testing.TB) *pipelineWorld {
	tb.Helper()
	crd, err := argocdtest.TestCRDPath()
	if err != nil {
		tb.Fatal(err)
	}
	env, err := testenv.Start(testenv.Options{ExtraCRDPaths: []string{crd}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = env.Stop() })
	wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Client.Scheme()})
	if err != nil {
		tb.Fatal(err)
	}
	pw := &pipelineWorld{ctx: context.Background(), env: env, wc: wc, built: time.Now().Add(-time.Hour)}
	return pw
}

func startPipelineWorld(tb testing.TB, argoInterval time.Duration, tune ...func(*manager.Options)) *pipelineWorld {
	tb.Helper()
	pw := startControlPlane(tb)
	env := pw.env
	pw.reg = registrytest.New(tb, registrytest.WithBasicAuth(registryUser, registryPassword))
	pw.image = pw.reg.Repo("demo/app")
	helm := helmtest.NewRepo(tb)
	helm.AddChart(helmtest.ChartSpec{Name: "demo-chart", Version: "0.1.0"})
	git := gittest.NewServer(tb, gittest.WithPush(), gittest.WithBasicAuth(gitUser, gitPassword))
	repo := git.CreateRepo("gitops", demo.GitOpsFiles(pw.image, helm.URL()))

	if err := env.Client.Create(pw.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}}); err != nil {
		tb.Fatal(err)
	}
	pw.startManager(tb, tune...)
	pw.argo = &demo.ArgoStandIn{Client: env.Client, Interval: argoInterval}
	ctx, cancel := context.WithCancel(pw.ctx)
	done := make(chan struct{})
	go func() { defer close(done); pw.argo.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })

	pw.applyProject(tb)
	pw.apply(tb, credentialSecrets(repo.URL, pw.image))
	// Discovery is asked for by refresh; the interval never fires.
	pw.apply(tb, demo.ProjectManifests(pw.image, helm.URL(), repo.URL, 24*time.Hour))
	pw.apply(tb, demo.Applications(repo.URL))
	return pw
}

func (pw *pipelineWorld) startManager(tb testing.TB, tune ...func(*manager.Options)) {
	tb.Helper()
	setupManagerLogs(tb)
	opts := manager.Options{
		MetricsAddr: "0", ProbeAddr: "0", WorkDir: tb.TempDir(), SkipControllerNameValidation: true,
		// As the image ships it: the guard program next to the manager.
		HelmGuardCommand: helmGuardProgram(tb),
	}
	for _, t := range tune {
		t(&opts)
	}
	mgr, err := manager.New(pw.env.Config, opts)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(pw.ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("manager: %v", err)
		}
	})
}

// applyProject applies the demo Project and waits for the namespace it
// makes.
func (pw *pipelineWorld) applyProject(tb testing.TB) {
	tb.Helper()
	pw.apply(tb, demo.ProjectManifest)
	pw.wait(tb, "the project namespace", func() (bool, string) {
		err := pw.env.Client.Get(pw.ctx, client.ObjectKey{Name: ns}, &corev1.Namespace{})
		return err == nil, fmt.Sprint(err)
	})
}

func (pw *pipelineWorld) apply(tb testing.TB, manifests string) {
	tb.Helper()
	if _, err := pw.env.Kubectl(pw.ctx, strings.NewReader(manifests), "apply", "--server-side", "-f", "-"); err != nil {
		tb.Fatal(err)
	}
}

// wait polls cond; the bound only keeps a broken run from hanging.
func (pw *pipelineWorld) wait(tb testing.TB, what string, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("gave up waiting for %s; last state: %s", what, last)
}

// freightVerifiedInTest pushes a semver tag, which the Warehouse turns into
// Freight that is auto-promoted to test, and waits until it is verified
// there (so staging may receive it).
func (pw *pipelineWorld) freightVerifiedInTest(tb testing.TB, tag string) string {
	tb.Helper()
	pw.built = pw.built.Add(time.Minute)
	pw.reg.PushImage(tb, "demo/app", tag, registrytest.NewImage(tb, registrytest.ImageSpec{Created: pw.built, OS: "linux", Arch: "amd64"}))
	wh := &railyard.Warehouse{}
	if err := pw.env.Client.Get(pw.ctx, client.ObjectKey{Namespace: ns, Name: "demo"}, wh); err != nil {
		tb.Fatal(err)
	}
	base := wh.DeepCopy()
	metav1.SetMetaDataAnnotation(&wh.ObjectMeta, railyard.AnnotationRefresh, tag)
	if err := pw.env.Client.Patch(pw.ctx, wh, client.MergeFrom(base)); err != nil {
		tb.Fatal(err)
	}
	name := ""
	pw.wait(tb, "Freight "+tag+" verified in test", func() (bool, string) {
		var list railyard.FreightList
		if err := pw.env.Client.List(pw.ctx, &list, client.InNamespace(ns)); err != nil {
			return false, err.Error()
		}
		for _, f := range list.Items {
			if len(f.Images) == 1 && f.Images[0].Tag == tag {
				_, ok := f.Status.VerifiedIn["test"]
				name = f.Name
				return ok, "Freight " + f.Name + " not verified in test yet"
			}
		}
		return false, "no Freight for " + tag
	})
	return name
}

// promote creates a Promotion of freightName to stage and returns how long
// it took from the create call to a watch event showing it Succeeded.
func (pw *pipelineWorld) promote(tb testing.TB, stage, freightName string) time.Duration {
	tb.Helper()
	ctx, cancel := context.WithTimeout(pw.ctx, 2*time.Minute)
	defer cancel()
	w, err := pw.wc.Watch(ctx, &railyard.PromotionList{}, client.InNamespace(ns))
	if err != nil {
		tb.Fatal(err)
	}
	defer w.Stop()
	p := &railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{GenerateName: stage + "-", Namespace: ns},
		Spec:       railyard.PromotionSpec{Stage: stage, Freight: freightName},
	}
	var trace []string
	start := time.Now()
	if err := pw.env.Client.Create(pw.ctx, p); err != nil {
		tb.Fatal(err)
	}
	for ev := range w.ResultChan() {
		got, ok := ev.Object.(*railyard.Promotion)
		if !ok || ev.Type == watch.Deleted || got.Name != p.Name {
			continue
		}
		trace = append(trace, fmt.Sprintf("%6.0fms %s step=%d %q", float64(time.Since(start).Microseconds())/1000,
			got.Status.Phase, got.Status.CurrentStep, got.Status.Message))
		switch phase := got.Status.Phase; {
		case phase == railyard.PromotionPhaseSucceeded:
			took := time.Since(start)
			// BENCH_TRACE=<seconds> logs what a slower Promotion went through.
			if limit, err := time.ParseDuration(os.Getenv("BENCH_TRACE") + "s"); err == nil && took > limit {
				tb.Logf("Promotion %s took %v:\n%s", got.Name, took, strings.Join(trace, "\n"))
			}
			return took
		case phase.IsTerminal():
			tb.Fatalf("Promotion %s ended %s: %s", got.Name, phase, got.Status.Message)
		}
	}
	tb.Fatalf("Promotion %s did not succeed in time", p.Name)
	return 0
}

// settle waits until the Stage has recorded its last Promotion and is idle
// (no Promotion current, nothing queued), then a little longer for the
// reconcile that recorded it to finish: a person promotes to a Stage at
// rest, not within a millisecond of its previous Promotion ending, and a
// Stage still digesting that one holds the next one's hand-off.
func (pw *pipelineWorld) settle(tb testing.TB, stage string) {
	tb.Helper()
	pw.wait(tb, "Stage "+stage+" at rest", func() (bool, string) {
		var st railyard.Stage
		if err := pw.env.Client.Get(pw.ctx, client.ObjectKey{Namespace: ns, Name: stage}, &st); err != nil {
			return false, err.Error()
		}
		return st.Status.CurrentPromotion == nil && st.Status.LastPromotion != nil, fmt.Sprint(st.Status.CurrentPromotion)
	})
	time.Sleep(settleTime)
}

// settleTime is how long after a Stage looks idle the next Promotion of a
// benchmark is created.
const settleTime = 200 * time.Millisecond

// stepMeans reads the engine's step-duration histogram from the metrics
// registry and lists each step's mean run time, slowest first.
func stepMeans(tb testing.TB, since stepTotals) string {
	tb.Helper()
	type mean struct {
		step string
		d    time.Duration
	}
	var means []mean
	for step, now := range readStepTotals(tb) {
		was := since[step]
		if n := now.count - was.count; n > 0 {
			means = append(means, mean{step, time.Duration((now.sum - was.sum) / float64(n) * float64(time.Second))})
		}
	}
	slices.SortFunc(means, func(a, b mean) int { return int(b.d - a.d) })
	var parts []string
	for _, m := range means {
		parts = append(parts, fmt.Sprintf("%s %v", m.step, m.d.Round(time.Millisecond)))
	}
	return strings.Join(parts, ", ")
}

// stepTotals are the engine's step-duration histogram totals by step.
type stepTotals map[string]struct {
	count uint64
	sum   float64
}

// readStepTotals reads the histogram from the metrics registry, so that
// stepMeans can leave out the runs before a benchmark's timer started.
func readStepTotals(tb testing.TB) stepTotals {
	tb.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	out := stepTotals{}
	for _, f := range families {
		if f.GetName() != "railyard_promotion_step_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "step" {
					out[l.GetValue()] = struct {
						count uint64
						sum   float64
					}{m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()}
				}
			}
		}
	}
	return out
}

// helmGuardProgram builds cmd/railyard-helm-guard, which the image ships
// next to the manager, for a manager started in the test process.
func helmGuardProgram(tb testing.TB) string {
	tb.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	exe := filepath.Join(tb.TempDir(), "railyard-helm-guard")
	cmd := exec.Command("go", "build", "-o", exe, "./cmd/railyard-helm-guard")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("building the helm guard: %v\n%s", err, out)
	}
	return exe
}
