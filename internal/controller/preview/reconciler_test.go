package preview_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/testenv"
)

func step(alias, uses string, cfg map[string]any) railyard.PromotionStep {
	raw, _ := json.Marshal(cfg)
	return railyard.PromotionStep{As: alias, Uses: uses, Config: &apiextensionsv1.JSON{Raw: raw}}
}

// project creates a namespace with a Stage taking Freight of Warehouse w
// directly, running steps, and one Freight of image app:v2.
func project(t *testing.T, ns string, steps []railyard.PromotionStep) {
	t.Helper()
	ctx := context.Background()
	c := env.Client
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "w"}
	stage := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "test"}}
	stage.Spec.RequestedFreight = []railyard.FreightRequest{{Origin: origin, Sources: railyard.FreightSources{Direct: true}}}
	stage.Spec.PromotionTemplate = &railyard.PromotionTemplate{Spec: railyard.PromotionTemplateSpec{Steps: steps}}
	if err := c.Create(ctx, stage); err != nil {
		t.Fatal(err)
	}
	f := &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "f1", Labels: map[string]string{railyard.LabelAlias: "brave-otter"}},
		Alias:      "brave-otter",
		Origin:     origin,
		Images:     []railyard.Image{{RepoURL: "registry.example/app", Tag: "v2"}},
	}
	if err := c.Create(ctx, f); err != nil {
		t.Fatal(err)
	}
}

func waitFinished(t *testing.T, ns, name string) *railyard.PromotionPreview {
	t.Helper()
	p := &railyard.PromotionPreview{}
	testenv.Eventually(t, time.Minute, func() error {
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
			return err
		}
		if !p.Status.Phase.IsTerminal() {
			return fmt.Errorf("preview is %q: %s", p.Status.Phase, p.Status.Message)
		}
		return nil
	})
	return p
}

// TestPreviewShowsTheImageChangeAndPushesNothing is the whole path: a
// user's PromotionPreview, the Stage's real steps against a real git
// server, the diff in status, the remote untouched.
func TestPreviewShowsTheImageChangeAndPushesNothing(t *testing.T) {
	srv := gittest.NewServer(t, gittest.WithPush())
	repo := srv.CreateRepo("app", map[string]string{
		"stage/kustomization.yaml": "images:\n- name: registry.example/app\n  newTag: v1\n",
	})
	before := repo.Head("main")
	srv.ResetStats()
	project(t, "preview-ok", []railyard.PromotionStep{
		step("clone", "git-clone", map[string]any{"repoURL": repo.URL, "checkout": []any{map[string]any{"branch": "main", "path": "./out"}}}),
		step("set-image", "kustomize-set-image", map[string]any{"path": "./out/stage"}),
		step("commit", "git-commit", map[string]any{"path": "./out", "message": "test: ${{ ctx.targetFreight.name }}"}),
		step("push", "git-push", map[string]any{"path": "./out"}),
		step("argo", "argocd-update", map[string]any{"apps": []any{map[string]any{"name": "app"}}}),
	})

	tests := []struct {
		name string
		spec railyard.PromotionPreviewSpec
	}{
		{name: "by-name", spec: railyard.PromotionPreviewSpec{Stage: "test", Freight: "f1"}},
		{name: "by-alias", spec: railyard.PromotionPreviewSpec{Stage: "test", Freight: "brave-otter"}},
		{name: "from-upstream", spec: railyard.PromotionPreviewSpec{Stage: "test", Origin: &railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "w"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &railyard.PromotionPreview{ObjectMeta: metav1.ObjectMeta{Namespace: "preview-ok", Name: tt.name}, Spec: tt.spec}
			if err := env.Client.Create(context.Background(), p); err != nil {
				t.Fatal(err)
			}
			p = waitFinished(t, "preview-ok", tt.name)
			if p.Status.Phase != railyard.PreviewPhaseSucceeded {
				t.Fatalf("phase %s: %s (steps %+v)", p.Status.Phase, p.Status.Message, p.Status.Steps)
			}
			if p.Status.Freight == nil || p.Status.Freight.Name != "f1" {
				t.Errorf("freight = %+v", p.Status.Freight)
			}
			want := map[string]railyard.PreviewStepStatus{
				"clone": railyard.PreviewStepRan, "set-image": railyard.PreviewStepRan, "commit": railyard.PreviewStepRan,
				"push": railyard.PreviewStepSkipped, "argo": railyard.PreviewStepSkipped,
			}
			for _, s := range p.Status.Steps {
				if s.Status != want[s.Alias] {
					t.Errorf("step %s: %s (%s), want %s", s.Alias, s.Status, s.Message, want[s.Alias])
				}
			}
			if len(p.Status.Commits) != 1 {
				t.Fatalf("commits = %+v", p.Status.Commits)
			}
			c := p.Status.Commits[0]
			if !strings.Contains(c.Diff, "-  newTag: v1") || !strings.Contains(c.Diff, "+  newTag: v2") {
				t.Errorf("diff does not show the tag change:\n%s", c.Diff)
			}
			if c.Base != before || c.Message != "test: f1" || c.Additions != 1 || c.Deletions != 1 {
				t.Errorf("commit = %+v", c)
			}
			if repo.Head("main") != before || repo.CommitCount("main") != 1 {
				t.Error("the preview changed the remote")
			}
			if ready := cond(p); ready == nil || ready.Status != metav1.ConditionTrue || ready.Reason != railyard.ReasonPreviewed {
				t.Errorf("Ready = %+v", ready)
			}
		})
	}
	if left, _ := os.ReadDir(workRoot); len(left) != 0 {
		t.Errorf("scratch directories left: %d", len(left))
	}
	// Each preview ran once (a second run would have cloned again by now)
	// and none pushed.
	time.Sleep(time.Second)
	if st := srv.Stats(); st.Fetches != len(tests) || st.Pushes != 0 {
		t.Errorf("git server saw %d fetches and %d pushes, want %d and none", st.Fetches, st.Pushes, len(tests))
	}
}

// TestPreviewFailures: what cannot be previewed says why.
func TestPreviewFailures(t *testing.T) {
	project(t, "preview-bad", []railyard.PromotionStep{
		step("argo", "argocd-update", map[string]any{"apps": []any{map[string]any{"name": "app"}}}),
	})
	tests := []struct {
		name, stage, freight, reason, message string
	}{
		{name: "no-commit", stage: "test", freight: "f1", reason: railyard.ReasonNothingToPreview, message: "no git-commit step"},
		{name: "no-stage", stage: "prod", freight: "f1", reason: railyard.ReasonStageNotFound, message: `Stage "prod" does not exist`},
		{name: "no-freight", stage: "test", freight: "nope", reason: railyard.ReasonFreightUnavailable, message: `no Freight is named or aliased "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &railyard.PromotionPreview{
				ObjectMeta: metav1.ObjectMeta{Namespace: "preview-bad", Name: tt.name},
				Spec:       railyard.PromotionPreviewSpec{Stage: tt.stage, Freight: tt.freight},
			}
			if err := env.Client.Create(context.Background(), p); err != nil {
				t.Fatal(err)
			}
			p = waitFinished(t, "preview-bad", tt.name)
			ready := cond(p)
			if p.Status.Phase != railyard.PreviewPhaseFailed || ready == nil || ready.Reason != tt.reason || !strings.Contains(p.Status.Message, tt.message) {
				t.Errorf("phase %s, Ready %+v, message %q; want Failed, %s, %q", p.Status.Phase, ready, p.Status.Message, tt.reason, tt.message)
			}
		})
	}
}

func cond(p *railyard.PromotionPreview) *metav1.Condition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == railyard.ConditionReady {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}
