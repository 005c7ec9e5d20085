package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

const previewDiff = `diff --git a/test/kustomization.yaml b/test/kustomization.yaml
index 9c5ff8c..23824db 100644
--- a/test/kustomization.yaml
+++ b/test/kustomization.yaml
@@ -1,3 +1,3 @@
 images:
 - name: ghcr.io/example/titiler
-  newTag: v1.0.0
+  newTag: v1.1.0
`

// TestPromoteDryRun plays the manager's part: the CLI creates the
// PromotionPreview, the test writes the outcome, the CLI prints it.
func TestPromoteDryRun(t *testing.T) {
	steps := []railyard.PreviewStep{
		{Alias: "clone", Uses: "git-clone", Status: railyard.PreviewStepRan},
		{Alias: "set-image", Uses: "kustomize-set-image", Status: railyard.PreviewStepRan},
		{Alias: "commit", Uses: "git-commit", Status: railyard.PreviewStepRan},
		{Alias: "push", Uses: "git-push", Status: railyard.PreviewStepSkipped, Message: "writes outside the work directory: not run in a preview"},
	}
	tests := []struct {
		name     string
		args     []string
		status   railyard.PromotionPreviewStatus
		wantCode int
		wantErr  string
	}{
		{
			name: "succeeded",
			status: railyard.PromotionPreviewStatus{
				Phase: railyard.PreviewPhaseSucceeded, Message: "1 commit(s) would change 1 file(s): +1 -1", Steps: steps,
				Commits: []railyard.PreviewCommit{{Step: "commit", Path: "./out", Branch: "main", Base: "0123456789abcdef0123456789abcdef01234567",
					Message: "test: v1.1.0\n\nbody", FilesChanged: 1, Additions: 1, Deletions: 1, Diff: previewDiff}},
			},
		},
		{
			name: "failed",
			status: railyard.PromotionPreviewStatus{
				Phase: railyard.PreviewPhaseFailed, Message: `Stage "test"'s promotion steps have no git-commit step: promoting commits nothing a preview could show`,
			},
			wantCode: ExitError,
			wantErr:  "preview did not succeed: promotionpreview/",
		},
		{
			name: "json",
			args: []string{"-o", "json"},
			status: railyard.PromotionPreviewStatus{
				Phase: railyard.PreviewPhaseSucceeded, Message: "promoting this Freight would commit nothing: every checkout is unchanged",
				Commits: []railyard.PreviewCommit{{Step: "commit", Path: "./out", NothingToCommit: true}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newNamespace(t)
			seedWarehouse(t, ns, "titiler")
			seedStages(t, ns, "titiler")
			f := seedFreight(t, ns, "titiler", "calm-otter", "v1.1.0", "1.3.0", commitOld)
			out := &lockedBuffer{}
			done := make(chan result, 1)
			args := append([]string{"promote", "--stage", "test", "--alias", "calm-otter", "--dry-run", "--timeout", "30s"}, tt.args...)
			go func() { done <- railyardTo(out, ns, args...) }()

			var p railyard.PromotionPreview
			waitFor(t, "the PromotionPreview", func() bool {
				var list railyard.PromotionPreviewList
				must(t, k8s.List(testCtx, &list, client.InNamespace(ns)))
				if len(list.Items) == 1 {
					p = list.Items[0]
				}
				return len(list.Items) == 1
			})
			if p.Spec.Stage != "test" || p.Spec.Freight != f.Name {
				t.Errorf("spec = %+v, want stage test, freight %s", p.Spec, f.Name)
			}
			now := metav1.NewTime(time.Now())
			p.Status = tt.status
			p.Status.FinishedAt = &now
			must(t, k8s.Status().Update(testCtx, &p))

			r := <-done
			if r.code != tt.wantCode || !strings.Contains(r.stderr, tt.wantErr) {
				t.Fatalf("exit code %d, stderr %q; want %d, %q", r.code, r.stderr, tt.wantCode, tt.wantErr)
			}
			if tt.name == "json" {
				var got railyard.PromotionPreview
				if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Name != p.Name || !got.Status.Commits[0].NothingToCommit {
					t.Fatalf("-o json printed %q (%v)", r.stdout, err)
				}
				return
			}
			golden(t, "promote_dry_run/"+tt.name+".golden", normalizeNames(r.stdout+"--- stderr\n"+r.stderr))
		})
	}
}

// TestPromoteDryRunForbidden: previewing needs the promote verb, as
// promoting does, and the refusal says so.
func TestPromoteDryRunForbidden(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	seedStages(t, ns, "titiler")
	seedFreight(t, ns, "titiler", "calm-otter", "v1.1.0", "1.3.0", commitOld)
	policy, err := os.ReadFile(filepath.Join(env.Root, "config", "admission", "preview_policy.yaml"))
	must(t, err)
	if _, err := env.Kubectl(testCtx, strings.NewReader(string(policy)), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	must(t, k8s.Create(testCtx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "previewer"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"railyard.dev"}, Resources: []string{"stages", "freights", "warehouses"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{"railyard.dev"}, Resources: []string{"promotionpreviews"}, Verbs: []string{"get", "list", "create"}},
	}}))
	must(t, k8s.Create(testCtx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "previewer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "previewer"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "previewer"}},
	}))
	user, _, err := env.AddUser("previewer")
	must(t, err)
	var last result
	waitFor(t, "the admission policy to refuse", func() bool {
		last = railyardAs(user, ns, "promote", "--stage", "test", "--alias", "calm-otter", "--dry-run", "--timeout", "1s")
		return strings.Contains(last.stderr, "may not preview")
	})
	last.mustFail(t, "may not preview promoting to Stage test: it needs the verb promote on stages/test")
	last.mustFail(t, "you need the verb promote on stages/test and create on promotionpreviews")
}
