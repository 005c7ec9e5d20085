package ui_test

import (
	"encoding/json"
	"html/template"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// diffText is a unified diff as the git-commit step records it, with
// markup that must show as text.
const diffText = `diff --git a/env/test/kustomization.yaml b/env/test/kustomization.yaml
--- a/env/test/kustomization.yaml
+++ b/env/test/kustomization.yaml
@@ -3,1 +3,1 @@
-  newTag: v1.0.0
+  newTag: v2.0.0 <script>window.__xss=3</script>
`

// seedFinishedPromotion creates a Promotion whose status is what the
// engine leaves after git-clone, kustomize-set-image, git-commit (with
// its commit and diff outputs) and git-push.
func seedFinishedPromotion(t *testing.T, name string, outputs map[string]any) *railyard.Promotion {
	t.Helper()
	p := &railyard.Promotion{ObjectMeta: metav1.ObjectMeta{Namespace: project, Name: name},
		Spec: railyard.PromotionSpec{Stage: "test", Freight: "f0", Steps: []railyard.PromotionStep{
			{Uses: "git-clone", As: "clone"}, {Uses: "kustomize-set-image"}, {Uses: "git-commit", As: "commit"}, {Uses: "git-push", As: "push"}}}}
	must(t, k8s.Create(testCtx, p))
	start := metav1.NewTime(time.Now().Add(-10 * time.Second))
	step := func(alias string, secs int) railyard.StepExecutionMetadata {
		s := metav1.NewTime(start.Add(time.Duration(secs) * time.Second))
		e := metav1.NewTime(s.Add(2 * time.Second)) // the API keeps seconds
		return railyard.StepExecutionMetadata{Alias: alias, Status: railyard.StepStatusSucceeded, StartedAt: &s, FinishedAt: &e}
	}
	raw, err := json.Marshal(outputs)
	must(t, err)
	p.Status.Phase = railyard.PromotionPhaseSucceeded
	p.Status.StepExecutionMetadata = []railyard.StepExecutionMetadata{step("clone", 0), step("step-2", 2), step("commit", 4), step("push", 6)}
	p.Status.State = &apiextensionsv1.JSON{Raw: raw}
	must(t, k8s.Status().Update(testCtx, p))
	return p
}

// escaped is s as html/template writes it in an element.
func escaped(s string) string { return strings.ReplaceAll(template.HTMLEscapeString(s), "+", "&#43;") }

func TestPromotionOutputsAndCommit(t *testing.T) {
	admin, _ := loggedIn(t, "dev-admin")
	for _, tc := range []struct {
		name, promotion string
		outputs         map[string]any
		want, absent    []string
	}{{
		name: "commit with its diff", promotion: "test.with-diff",
		outputs: map[string]any{
			"clone":  map[string]any{"commits": map[string]any{"./src": "abc123"}},
			"commit": map[string]any{"commit": "d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0", "diff": diffText},
			"push":   map[string]any{"commit": "d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0", "branch": "env/test"},
		},
		want: []string{
			`<div class="commit" data-step="commit">`,
			`committed <code class="commit-id">d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0</code>`,
			`<pre class="diff"><span class="file">diff --git a/env/test/kustomization.yaml b/env/test/kustomization.yaml</span>`,
			`<span class="hunk">@@ -3,1 &#43;3,1 @@</span>`,
			`<span class="del">-  newTag: v1.0.0</span>`,
			`<span class="add">` + escaped("+  newTag: v2.0.0 <script>window.__xss=3</script>") + "</span>\n</pre>",
			`<dt>commits</dt><dd>{&#34;./src&#34;:&#34;abc123&#34;}</dd>`,
			`<dt>branch</dt><dd>env/test</dd>`,
			"<td>2s</td>",
		},
		absent: []string{"<script>window.__xss=3", "The step recorded no diff"},
	}, {
		name: "commit without a diff", promotion: "test.no-diff",
		outputs: map[string]any{"commit": map[string]any{"commit": "0a1b2c3d"}},
		want:    []string{`<code class="commit-id">0a1b2c3d</code>`, "The step recorded no diff."},
	}, {
		name: "a long output is cut short", promotion: "test.long-output",
		outputs: map[string]any{"clone": map[string]any{"big": strings.Repeat("x", 5000)}},
		want:    []string{"<dd>" + strings.Repeat("x", 2048) + ` <span class="small">(cut short)</span></dd>`},
		absent:  []string{strings.Repeat("x", 2049), `<div class="commit"`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			seedFinishedPromotion(t, tc.promotion, tc.outputs)
			body := getPage(t, admin, "/projects/"+project+"/promotions/"+tc.promotion, tc.want...)
			for _, a := range tc.absent {
				if strings.Contains(body, a) {
					t.Errorf("the page has %q:\n%s", a, body)
				}
			}
		})
	}
}

// TestPromotionTaskSteps: a step that runs a PromotionTask is named by its
// alias and task until the engine inflates it; then the rows follow the
// engine's steps (task-1::clone, ...), and a commit with a diff shows.
func TestPromotionTaskSteps(t *testing.T) {
	admin, _ := loggedIn(t, "dev-admin")
	p := &railyard.Promotion{ObjectMeta: metav1.ObjectMeta{Namespace: project, Name: "test.task"},
		Spec: railyard.PromotionSpec{Stage: "test", Freight: "f0", Steps: []railyard.PromotionStep{
			{Task: &railyard.PromotionTaskReference{Name: "promote-app"}}}}}
	must(t, k8s.Create(testCtx, p))
	path := "/projects/" + project + "/promotions/" + p.Name
	getPage(t, admin, path, "<td>task-1 (task promote-app)</td>")

	raw, err := json.Marshal(map[string]any{"task-1::commit": map[string]any{"commit": "abc", "diff": "+x\n"}})
	must(t, err)
	p.Status.Phase = railyard.PromotionPhaseRunning
	p.Status.StepExecutionMetadata = []railyard.StepExecutionMetadata{
		{Alias: "task-1::clone", Status: railyard.StepStatusSucceeded}, {Alias: "task-1::commit", Status: railyard.StepStatusSucceeded}}
	p.Status.State = &apiextensionsv1.JSON{Raw: raw}
	must(t, k8s.Status().Update(testCtx, p))
	getPage(t, admin, path, "<td>task-1::clone</td>", "<td>task-1::commit</td>",
		`<div class="commit" data-step="task-1::commit">`, `<span class="add">&#43;x</span>`)
}
