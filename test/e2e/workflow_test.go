// Package e2e runs the user workflow of the platform team Railyard is built
// for, end to end: a real kube-apiserver and etcd (envtest), a real git
// server (git http-backend), a real OCI registry, a real Helm repository,
// Argo CD's real Application CRD and the Railyard manager with every
// reconciler. Only Argo CD's application controller is stood in for (see
// argoStandIn), because it cannot run here.
package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd/argocdtest"
	"github.com/railyard-dev/railyard/internal/demo"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/helmtest"
	"github.com/railyard-dev/railyard/internal/registrytest"
	"github.com/railyard-dev/railyard/internal/testenv"
)

const ns = "demo"

type world struct {
	t       *testing.T
	ctx     context.Context
	env     *testenv.Env
	reg     *registrytest.Registry
	image   string
	repo    *gittest.Repo
	charts  string // URL of the Helm repository
	argo    *argoStandIn
	workDir string
	built   *time.Time // build time of the last pushed image, shared by the steps
	// top is the whole test: managers live as long as it does.
	top      *testing.T
	managers *[]*runningManager
}

func TestUserWorkflow(t *testing.T) {
	crd, err := argocdtest.TestCRDPath()
	if err != nil {
		t.Fatalf("getting Argo CD's Application CRD: %v", err)
	}
	env, err := testenv.Start(testenv.Options{ExtraCRDPaths: []string{crd}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })

	w := &world{t: t, top: t, ctx: context.Background(), env: env, workDir: t.TempDir(), built: ptrTime(time.Now().Add(-time.Hour)), managers: &[]*runningManager{}}
	w.reg = registrytest.New(t, registrytest.WithBasicAuth(registryUser, registryPassword))
	w.image = w.reg.Repo("demo/app")
	helm := helmtest.NewRepo(t)
	helm.AddChart(helmtest.ChartSpec{Name: "demo-chart", Version: "0.1.0"})
	git := gittest.NewServer(t, gittest.WithPush(), gittest.WithBasicAuth(gitUser, gitPassword))
	w.charts = helm.URL()
	w.repo = git.CreateRepo("gitops", demo.GitOpsFiles(w.image, w.charts))

	// The admission policy (who may promote), the Argo CD namespace and
	// Applications, the Project and the manager.
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
	w.apply(demo.ProjectManifests(w.image, helm.URL(), w.repo.URL, 2*time.Second))
	w.apply(demo.Applications(w.repo.URL))

	steps := []struct {
		name string
		run  func(*world)
	}{
		{"a semver image creates Freight that goes to test by itself", semverImageGoesToTest},
		{"staging and prod move only when promoted from upstream", promoteFromUpstream},
		{"a change under the app's path on main goes to test", configChangeGoesToTest},
		{"a dev tag creates no Freight until a person creates it", devTagNeedsAPerson},
		{"a failing promotion is not retried in a loop", failingPromotion},
		{"a manager killed mid-promotion finishes it with one commit", killedManager},
		{"only users with the promote verb may promote to prod", promoteNeedsTheVerb},
		{"no credential appears in logs, Events or any object", noSecretsShown},
	}
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) { s.run(w.on(t)) }) {
			t.FailNow() // each step builds on the previous one
		}
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func (w *world) startManager() {
	*w.managers = append(*w.managers, startManager(w.top, w.env, w.workDir))
}

func (w *world) on(t *testing.T) *world {
	c := *w
	c.t = t
	return &c
}

// 1. Pushing v1.2.3 creates Freight, promoted to test by itself: the commit
// on kargo/demo/test renders the new image, the Application points at it,
// test becomes healthy and the Freight is verified there.
func semverImageGoesToTest(w *world) {
	f := w.pushImage("v1.2.3")
	w.waitCurrent("test", f.Name)
	manifests := w.repo.ReadFile("kargo/demo/test", "manifests.yaml")
	for _, want := range []string{w.image + ":v1.2.3", "name: test-demo", "chartVersion: 0.1.0", "running in test"} {
		if !strings.Contains(manifests, want) {
			w.t.Errorf("kargo/demo/test manifests lack %q:\n%s", want, manifests)
		}
	}
	head := w.repo.Head("kargo/demo/test")
	if got := w.argo.syncedRevisions("demo-test"); len(got) != 1 || got[0] != head {
		w.t.Errorf("Argo CD synced demo-test to %v, want [%s]", got, head)
	}
	w.waitReady("test")
	if _, ok := w.freight(f.Name).Status.VerifiedIn["test"]; !ok {
		w.t.Error("the Freight is not verified in test")
	}
}

// 2. Staging does not move by itself; promoting it from upstream commits to
// kargo/demo/staging, and prod likewise.
func promoteFromUpstream(w *world) {
	current := w.current("test")
	for _, stage := range []string{"staging", "prod"} {
		if got := w.current(stage); got != "" {
			w.t.Fatalf("Stage %s moved by itself to %s", stage, got)
		}
		if n := len(w.promotions(stage)); n != 0 {
			w.t.Fatalf("Stage %s has %d Promotions nobody asked for", stage, n)
		}
		p := w.promoteFromUpstream(stage)
		w.waitPromotion(p, railyard.PromotionPhaseSucceeded)
		w.waitCurrent(stage, current)
		w.waitReady(stage)
		manifests := w.repo.ReadFile("kargo/demo/"+stage, "manifests.yaml")
		if !strings.Contains(manifests, w.image+":v1.2.3") || !strings.Contains(manifests, "running in "+stage) {
			w.t.Errorf("kargo/demo/%s does not render v1.2.3 for %s:\n%s", stage, stage, manifests)
		}
	}
}

// 4 (of the user story). A change merged to main under the app's path
// creates Freight that goes to test.
func configChangeGoesToTest(w *world) {
	before := w.current("test")
	files := demo.GitOpsFiles(w.image, w.charts)
	deployment := strings.Replace(files["apps/demo/base/deployment.yaml"], "replicas: 1", "replicas: 3", 1)
	id := w.repo.Commit("main", "scale demo to 3 replicas", map[string]string{"apps/demo/base/deployment.yaml": deployment})
	f := w.waitFreight(func(f *railyard.Freight) bool { return len(f.Commits) == 1 && f.Commits[0].ID == id })
	if f.Name == before {
		w.t.Fatal("the new commit did not make new Freight")
	}
	w.waitCurrent("test", f.Name)
	if m := w.repo.ReadFile("kargo/demo/test", "manifests.yaml"); !strings.Contains(m, "replicas: 3") {
		w.t.Errorf("kargo/demo/test does not have the change:\n%s", m)
	}
}

// 3. Pushing abc123f creates no Freight; Freight created by hand from it
// goes to test by itself.
func devTagNeedsAPerson(w *world) {
	w.pushImageOnly("abc123f")
	wh := w.waitWarehouse(func(wh *railyard.Warehouse) bool {
		return newestTag(wh) == "abc123f"
	})
	c := meta.FindStatusCondition(wh.Status.Conditions, railyard.ConditionFreightCreationCriteriaSatisfied)
	if c == nil || c.Status != metav1.ConditionFalse {
		w.t.Errorf("FreightCreationCriteriaSatisfied = %+v, want False", c)
	}
	for _, f := range w.allFreight() {
		if len(f.Images) > 0 && f.Images[0].Tag == "abc123f" {
			w.t.Fatalf("Freight %s was created for the dev tag", f.Name)
		}
	}

	// A person creates Freight from the discovered artifacts.
	arts := wh.Status.DiscoveredArtifacts
	img := arts.Images[0].References[0]
	f := &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns},
		Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "demo"},
		Images:     []railyard.Image{{RepoURL: w.image, Tag: img.Tag, Digest: img.Digest}},
		Charts:     []railyard.Chart{{RepoURL: arts.Charts[0].RepoURL, Name: arts.Charts[0].Name, Version: arts.Charts[0].Versions[0]}},
		Commits:    []railyard.GitCommit{{RepoURL: arts.Git[0].RepoURL, ID: arts.Git[0].Commits[0].ID, Branch: "main"}},
	}
	f.Name = freight.IDOf(f)
	w.create(f)
	w.waitCurrent("test", f.Name)
	if m := w.repo.ReadFile("kargo/demo/test", "manifests.yaml"); !strings.Contains(m, w.image+":abc123f") {
		w.t.Errorf("kargo/demo/test does not run the dev tag:\n%s", m)
	}
}

// 5. A promotion that fails (a broken kustomization) ends Failed with the
// reason; the Stage keeps its Freight; auto-promotion does not retry it in
// a loop; the next good Freight still goes through.
func failingPromotion(w *world) {
	before := w.current("test")
	broken := demo.Overlay("test", w.charts, "0.1.0") + "patches:\n- path: does-not-exist.yaml\n"
	brokenID := w.repo.Commit("main", "break the test overlay", map[string]string{"apps/demo/overlays/test/kustomization.yaml": broken})
	bad := w.pushImage("v1.2.4", func(f *railyard.Freight) bool { return f.Commits[0].ID == brokenID })
	p := w.waitPromotionOf("test", bad.Name)
	p = w.waitPromotion(p.Name, railyard.PromotionPhaseFailed)
	if !strings.Contains(p.Status.Message, "does-not-exist.yaml") {
		w.t.Errorf("the failure does not say what is wrong: %q", p.Status.Message)
	}
	if got := w.current("test"); got != before {
		w.t.Errorf("test lost its Freight: %s, want %s", got, before)
	}
	w.waitCondition("test", railyard.ConditionReady, metav1.ConditionFalse, railyard.ReasonLastPromotionFailed)
	// A refresh reconciles the Stage again; still no second attempt.
	w.refresh(&railyard.Stage{}, "test")
	w.refresh(&railyard.Stage{}, "test")
	time.Sleep(3 * time.Second)
	if n := len(w.promotionsOfFreight("test", bad.Name)); n != 1 {
		w.t.Fatalf("auto-promotion retried the failed Freight: %d Promotions", n)
	}

	fixedID := w.repo.Commit("main", "fix the test overlay", map[string]string{"apps/demo/overlays/test/kustomization.yaml": demo.Overlay("test", w.charts, "0.1.0")})
	good := w.waitFreight(func(f *railyard.Freight) bool { return f.Commits[0].ID == fixedID })
	w.waitCurrent("test", good.Name)
}

// 6. Killing the manager in the middle of a promotion and starting it again
// finishes that promotion with exactly one commit on the stage branch. The
// work directory is gone after the restart, so the steps run again from the
// first one and must not commit or push twice.
func killedManager(w *world) {
	w.argo.Paused.Store(true) // argocd-update will wait
	commitsBefore := w.repo.CommitCount("kargo/demo/test")
	f := w.pushImage("v1.2.5")
	p := w.waitPromotionOf("test", f.Name)
	eventually(w.t, "the promotion to push and wait in argocd-update", func() (bool, string) {
		cur := w.promotion(p.Name)
		n := len(cur.Status.StepExecutionMetadata)
		return n > 0 && strings.HasSuffix(cur.Status.StepExecutionMetadata[n-1].Alias, "::argocd-update") &&
			cur.Status.StepExecutionMetadata[n-1].Status == railyard.StepStatusRunning, fmt.Sprintf("%+v", cur.Status.StepExecutionMetadata)
	})
	if got := w.repo.CommitCount("kargo/demo/test"); got != commitsBefore+1 {
		w.t.Fatalf("kargo/demo/test has %d new commits before the restart, want 1", got-commitsBefore)
	}

	// Kill: stop every manager of this test, lose the work directories,
	// start a new manager.
	for _, m := range *w.managers {
		m.stop()
	}
	if removeWorkDirs(w.t, w.workDir) == 0 {
		w.t.Fatal("no work directory to lose: the promotion was not in progress")
	}
	w.startManager()
	w.argo.Paused.Store(false)
	w.waitPromotion(p.Name, railyard.PromotionPhaseSucceeded)
	w.waitCurrent("test", f.Name)
	if got := w.repo.CommitCount("kargo/demo/test"); got != commitsBefore+1 {
		w.t.Errorf("kargo/demo/test has %d new commits after the restart, want exactly 1", got-commitsBefore)
	}
	if m := w.repo.ReadFile("kargo/demo/test", "manifests.yaml"); !strings.Contains(m, w.image+":v1.2.5") {
		w.t.Errorf("kargo/demo/test does not run v1.2.5:\n%s", m)
	}
}

// 7. A user without the promote verb on prod cannot create a Promotion for
// prod, while one allowed for staging can promote staging.
func promoteNeedsTheVerb(w *world) {
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "promote-staging", Namespace: ns},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"railyard.dev"}, Resources: []string{"stages"}, ResourceNames: []string{"staging"}, Verbs: []string{"promote"}},
			{APIGroups: []string{"railyard.dev"}, Resources: []string{"promotions"}, Verbs: []string{"create", "get"}},
		},
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "dev-promote-staging", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "dev"}},
	}
	w.create(role)
	w.create(binding)
	kubeconfig, _, err := w.env.AddUser("dev")
	if err != nil {
		w.t.Fatal(err)
	}
	promo := func(stage string) string {
		return fmt.Sprintf("apiVersion: railyard.dev/v1alpha1\nkind: Promotion\nmetadata:\n  name: by-dev-%s\n  namespace: demo\nspec:\n  stage: %s\n  origin:\n    kind: Warehouse\n    name: demo\n", stage, stage)
	}
	_, err = w.env.KubectlAs(w.ctx, kubeconfig, strings.NewReader(promo("prod")), "create", "-f", "-")
	if err == nil || !strings.Contains(err.Error(), "may not promote to Stage prod") {
		w.t.Errorf("dev created a Promotion for prod: %v", err)
	}
	if _, err := w.env.KubectlAs(w.ctx, kubeconfig, strings.NewReader(promo("staging")), "create", "-f", "-"); err != nil {
		w.t.Errorf("dev may promote staging: %v", err)
	}
}
