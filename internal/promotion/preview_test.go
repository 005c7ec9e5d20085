package promotion_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/promotion/argocdstep"
	"github.com/railyard-dev/railyard/internal/promotion/gitsteps"
	"github.com/railyard-dev/railyard/internal/promotion/steps"
)

func previewStep(alias, uses string, cfg map[string]any) railyard.PromotionStep {
	raw, _ := json.Marshal(cfg)
	return railyard.PromotionStep{As: alias, Uses: uses, Config: &apiextensionsv1.JSON{Raw: raw}}
}

// TestPreview runs the Stage's real steps against a real git server: the
// steps up to the last git-commit run, git-push and argocd-update do not,
// and the remote branch stays as it was.
func TestPreview(t *testing.T) {
	srv := gittest.NewServer(t, gittest.WithPush())
	repo := srv.CreateRepo("app", map[string]string{
		"stage/kustomization.yaml": "images:\n- name: registry.example/app\n  newTag: v1\n",
	})
	before := repo.Head("main")

	clone := previewStep("clone", "git-clone", map[string]any{
		"repoURL":  repo.URL,
		"checkout": []any{map[string]any{"branch": "main", "path": "./out"}},
	})
	setImage := previewStep("set-image", "kustomize-set-image", map[string]any{
		"path":   "./out/stage",
		"images": []any{map[string]any{"image": "registry.example/app", "tag": "v2"}},
	})
	commit := previewStep("commit", "git-commit", map[string]any{"path": "./out", "message": "app to v2"})
	push := previewStep("push", "git-push", map[string]any{"path": "./out"})
	argo := previewStep("argo", "argocd-update", map[string]any{"apps": []any{map[string]any{"name": "app"}}})
	useOutput := previewStep("use-push", "kustomize-set-image", map[string]any{
		"path":   "./out/${{ outputs.push.commit }}",
		"images": []any{map[string]any{"image": "registry.example/app", "tag": "v3"}},
	})
	wait := previewStep("wait", "argocd-update", map[string]any{"apps": []any{map[string]any{"name": "app"}}})

	tests := []struct {
		name        string
		steps       []railyard.PromotionStep
		wantPhase   railyard.PreviewPhase
		wantReason  string
		wantStatus  map[string]railyard.PreviewStepStatus
		wantMessage string
		wantDiff    []string
	}{
		{
			name:       "commit shown, push and argocd-update skipped",
			steps:      []railyard.PromotionStep{clone, setImage, commit, push, argo},
			wantPhase:  railyard.PreviewPhaseSucceeded,
			wantReason: railyard.ReasonPreviewed,
			wantStatus: map[string]railyard.PreviewStepStatus{
				"clone": railyard.PreviewStepRan, "set-image": railyard.PreviewStepRan, "commit": railyard.PreviewStepRan,
				"push": railyard.PreviewStepSkipped, "argo": railyard.PreviewStepSkipped,
			},
			wantMessage: "1 commit(s) would change 1 file(s): +1 -1",
			wantDiff:    []string{"--- a/stage/kustomization.yaml", "-  newTag: v1", "+  newTag: v2"},
		},
		{
			name:       "a step between the commits that writes outside is skipped",
			steps:      []railyard.PromotionStep{clone, wait, setImage, commit},
			wantPhase:  railyard.PreviewPhaseSucceeded,
			wantReason: railyard.ReasonPreviewed,
			wantStatus: map[string]railyard.PreviewStepStatus{"wait": railyard.PreviewStepSkipped, "commit": railyard.PreviewStepRan},
			wantDiff:   []string{"+  newTag: v2"},
		},
		{
			name:        "no git-commit",
			steps:       []railyard.PromotionStep{clone, setImage, push},
			wantPhase:   railyard.PreviewPhaseFailed,
			wantReason:  railyard.ReasonNothingToPreview,
			wantMessage: "have no git-commit step",
		},
		{
			name:        "an expression reads a skipped step's output",
			steps:       []railyard.PromotionStep{clone, push, useOutput, commit},
			wantPhase:   railyard.PreviewPhaseFailed,
			wantReason:  railyard.ReasonPreviewFailed,
			wantStatus:  map[string]railyard.PreviewStepStatus{"push": railyard.PreviewStepSkipped, "use-push": railyard.PreviewStepFailed},
			wantMessage: `step "push" is not run in a preview`,
		},
		{
			name:        "nothing to commit",
			steps:       []railyard.PromotionStep{clone, commit},
			wantPhase:   railyard.PreviewPhaseSucceeded,
			wantReason:  railyard.ReasonPreviewed,
			wantStatus:  map[string]railyard.PreviewStepStatus{"commit": railyard.PreviewStepRan},
			wantMessage: "would commit nothing",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			eng := &promotion.Engine{Registry: registry(), WorkRoot: root}
			res, err := eng.Preview(context.Background(), promotion.PreviewInput{
				Namespace: "demo", Name: "p1", UID: "uid-1", Stage: "test", Steps: tt.steps,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Phase != tt.wantPhase || res.Reason != tt.wantReason {
				t.Fatalf("phase %s (%s), want %s (%s): %s", res.Phase, res.Reason, tt.wantPhase, tt.wantReason, res.Message)
			}
			if !strings.Contains(res.Message, tt.wantMessage) {
				t.Errorf("message %q lacks %q", res.Message, tt.wantMessage)
			}
			if len(res.Steps) != len(tt.steps) {
				t.Errorf("%d steps reported, want %d", len(res.Steps), len(tt.steps))
			}
			for _, s := range res.Steps {
				if want, ok := tt.wantStatus[s.Alias]; ok && s.Status != want {
					t.Errorf("step %s: %s (%s), want %s", s.Alias, s.Status, s.Message, want)
				}
				if tt.wantReason != railyard.ReasonNothingToPreview && s.Uses == "git-push" && !strings.Contains(s.Message, "not run in a preview") {
					t.Errorf("skipped git-push does not say why: %q", s.Message)
				}
			}
			if len(tt.wantDiff) > 0 {
				if len(res.Commits) != 1 {
					t.Fatalf("commits = %+v", res.Commits)
				}
				c := res.Commits[0]
				if c.Base != before || c.Branch != "main" || c.Message != "app to v2" || c.FilesChanged != 1 {
					t.Errorf("commit = %+v", c)
				}
				for _, w := range tt.wantDiff {
					if !strings.Contains(c.Diff, w) {
						t.Errorf("diff lacks %q:\n%s", w, c.Diff)
					}
				}
			}
			if srv.Stats().Pushes != 0 {
				t.Error("the preview pushed")
			}
			if got := repo.Head("main"); got != before {
				t.Errorf("the remote branch moved to %s: the preview pushed", got)
			}
			if left, _ := os.ReadDir(root); len(left) != 0 {
				t.Errorf("scratch left behind: %v", names(left))
			}
		})
	}
}

func registry() *promotion.Registry {
	r := promotion.NewRegistry(steps.Builtins(steps.Options{})...)
	for _, s := range gitsteps.Steps(gitsteps.Options{}) {
		r.Register(s)
	}
	// No Argo CD exists here: were argocd-update run, it would fail.
	r.Register(argocdstep.Step{Namespace: "argocd"})
	return r
}

func names(entries []os.DirEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// confinedStep is a work-directory step whose answer a test scripts.
type confinedStep struct {
	name string
	res  promotion.Result
	err  error
	runs *int
}

func (s confinedStep) Name() string { return s.name }
func (confinedStep) WorkDirOnly()   {}
func (s confinedStep) Run(context.Context, *promotion.StepContext) (promotion.Result, error) {
	*s.runs++
	return s.res, s.err
}

// TestPreviewRunsEachStepOnce: a step that would wait, or fail in a way a
// Promotion would retry, fails the preview at once with its message.
func TestPreviewRunsEachStepOnce(t *testing.T) {
	tests := []struct {
		name    string
		res     promotion.Result
		err     error
		wantMsg string
	}{
		{name: "waits", res: promotion.Result{Status: railyard.StepStatusRunning, Message: "waiting for the chart"}, wantMsg: "the step would wait, and a preview does not: waiting for the chart"},
		{name: "retryable error", err: errors.New("connection reset"), wantMsg: "connection reset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := 0
			r := registry()
			r.Register(confinedStep{name: "scripted", res: tt.res, err: tt.err, runs: &runs})
			eng := &promotion.Engine{Registry: r, WorkRoot: t.TempDir()}
			steps := []railyard.PromotionStep{
				{As: "scripted", Uses: "scripted", Retry: &railyard.PromotionStepRetry{ErrorThreshold: 5}},
				previewStep("commit", "git-commit", map[string]any{"path": "./out", "message": "m"}),
			}
			res, err := eng.Preview(context.Background(), promotion.PreviewInput{Namespace: "demo", Name: "p1", Stage: "test", Steps: steps})
			if err != nil {
				t.Fatal(err)
			}
			if res.Phase != railyard.PreviewPhaseFailed || runs != 1 {
				t.Fatalf("phase %s after %d runs, want Failed after 1", res.Phase, runs)
			}
			if s := res.Steps[0]; s.Status != railyard.PreviewStepFailed || !strings.Contains(s.Message, tt.wantMsg) {
				t.Errorf("step = %+v, want Failed with %q", s, tt.wantMsg)
			}
			if s := res.Steps[1]; s.Status != railyard.PreviewStepSkipped {
				t.Errorf("the step after a failure = %+v, want Skipped", s)
			}
		})
	}
}
