package ui_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/index"
	"github.com/railyard-dev/railyard/internal/controller/preview"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	engine "github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/promotion/argocdstep"
	"github.com/railyard-dev/railyard/internal/promotion/gitsteps"
	"github.com/railyard-dev/railyard/internal/promotion/steps"
)

// The UI suite runs no manager, so the preview tests run the real
// PromotionPreview reconciler themselves, with the real steps, against a
// real git server, in project "previewing": Stage test clones, sets the
// image, commits (a message with markup) and would push.

const previewProject = "previewing"

var (
	previewOnce    sync.Once
	previewFreight *railyard.Freight
	previewErr     error
)

// previewStage seeds the project once, then creates Stage name there with
// its own git repository, and runs the reconciler until the test ends.
// It returns the repository and its main branch's head.
func previewStage(t *testing.T, name string) (*gittest.Repo, string) {
	t.Helper()
	previewOnce.Do(func() { previewFreight, previewErr = seedPreviewProject() })
	if previewErr != nil {
		t.Fatal(previewErr)
	}
	srv := gittest.NewServer(t, gittest.WithPush())
	repo := srv.CreateRepo("deploy", map[string]string{
		"test/kustomization.yaml": "images:\n- name: " + imgRepo + "\n  newTag: v1.0.0\n",
	})
	stage := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: previewProject, Name: name}}
	stage.Spec.RequestedFreight = []railyard.FreightRequest{{Origin: previewFreight.Origin, Sources: railyard.FreightSources{Direct: true}}}
	stage.Spec.PromotionTemplate = &railyard.PromotionTemplate{Spec: railyard.PromotionTemplateSpec{Steps: []railyard.PromotionStep{
		previewStep("clone", "git-clone", map[string]any{"repoURL": repo.URL, "checkout": []any{map[string]any{"branch": "main", "path": "./out"}}}),
		previewStep("set-image", "kustomize-set-image", map[string]any{"path": "./out/test"}),
		previewStep("commit", "git-commit", map[string]any{"path": "./out", "message": "test: " + xss}),
		previewStep("push", "git-push", map[string]any{"path": "./out"}),
		previewStep("argo", "argocd-update", map[string]any{"apps": []any{map[string]any{"name": "app"}}}),
	}}}
	must(t, k8s.Create(testCtx, stage))
	startPreviewManager(t)
	return repo, repo.Head("main")
}

// seedPreviewProject creates the project, its Freight, and the RBAC of
// its users: dev-viewer reads and may create PromotionPreviews but lacks
// the promote verb, so the admission policy refuses them.
func seedPreviewProject() (*railyard.Freight, error) {
	ctx := testCtx
	if out, err := env.Kubectl(ctx, nil, "apply", "-f", env.Root+"/config/admission/preview_policy.yaml"); err != nil {
		return nil, errorf("applying the preview policy: %w: %s", err, out)
	}
	f := &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: previewProject, Labels: map[string]string{railyard.LabelAlias: "quiet-heron"}},
		Alias:      "quiet-heron",
		Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"},
		Images:     []railyard.Image{{RepoURL: imgRepo, Tag: "v2.0.0", Digest: "sha256:" + strings.Repeat("c", 64)}},
	}
	f.Name = freight.IDOf(f)
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: previewProject}},
		&railyard.Project{ObjectMeta: metav1.ObjectMeta{Name: previewProject}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "viewer", Namespace: previewProject},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "railyard-viewer"},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "oidc:dev-viewer"}}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "previewer", Namespace: previewProject}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{railyard.GroupVersion.Group}, Resources: []string{"promotionpreviews"}, Verbs: []string{"create"}}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "previewer", Namespace: previewProject},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "previewer"},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "oidc:dev-viewer"}}},
		f,
	}
	for _, o := range objs {
		if err := k8s.Create(ctx, o); err != nil {
			return nil, errorf("creating %T %s: %w", o, o.GetName(), err)
		}
	}
	return f, nil
}

func previewStep(alias, uses string, cfg map[string]any) railyard.PromotionStep {
	raw, _ := json.Marshal(cfg)
	return railyard.PromotionStep{As: alias, Uses: uses, Config: &apiextensionsv1.JSON{Raw: raw}}
}

// startPreviewManager runs the PromotionPreview reconciler until the test
// ends.
func startPreviewManager(t *testing.T) {
	t.Helper()
	ctrl.SetLogger(logr.Discard())
	skip := true
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                 k8s.Scheme(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: &skip},
	})
	must(t, err)
	must(t, index.Register(testCtx, mgr.GetFieldIndexer()))
	reg := engine.NewRegistry(steps.Builtins(steps.Options{})...)
	for _, s := range gitsteps.Steps(gitsteps.Options{}) {
		reg.Register(s)
	}
	reg.Register(argocdstep.Step{Namespace: "argocd"})
	eng := &engine.Engine{Registry: reg, Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), WorkRoot: t.TempDir()}
	must(t, (&preview.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Engine: eng}).SetupWithManager(mgr))
	ctx, cancel := context.WithCancel(testCtx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the preview manager: %v", err)
		}
	})
}
