package ui_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// TestBrowserPreview: dev-admin clicks Preview on the Stage page and the
// preview page fills in live with the steps and the diff of the image
// change, nothing pushed; dev-viewer, without the promote verb, is
// refused with the verb named.
func TestBrowserPreview(t *testing.T) {
	shots := t.TempDir()
	if dir := os.Getenv("RAILYARD_UI_SCREENSHOTS"); dir != "" {
		shots = dir
	}
	repo, before := previewStage(t, "test-browser")
	stagePage := uiURL + "/projects/" + previewProject + "/stages/test-browser"
	row := `tr[data-freight="` + previewFreight.Alias + `"]`

	ctx := browser(t)
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(stagePage),
		login("dev-admin"),
		click(row+" button.preview"),
		waitFor("#phase"),
		waitFor(`body[data-live-connected="true"]`),
	))
	must(t, chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.getElementById("phase").textContent === "Succeeded" &&
		document.querySelector("pre.diff") !== null`, chromedp.WithPollingTimeout(60*time.Second))))
	diff := text(t, ctx, "pre.diff")
	for _, want := range []string{"--- a/test/kustomization.yaml", "-  newTag: v1.0.0", "+  newTag: v2.0.0"} {
		if !strings.Contains(diff, want) {
			t.Errorf("the diff lacks %q:\n%s", want, diff)
		}
	}
	status := text(t, ctx, "#preview-status")
	if !strings.Contains(status, "push (git-push)\tSkipped") || !strings.Contains(status, "test: "+xss) {
		t.Errorf("the preview's steps and commit:\n%s", status)
	}
	injected, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__xss !== undefined`))
	must(t, err)
	if injected {
		t.Error("markup in the commit message ran")
	}
	if repo.Head("main") != before {
		t.Error("the preview pushed to the remote")
	}
	screenshot(t, ctx, shots, "preview")

	// dev-viewer may create PromotionPreviews but lacks the promote verb:
	// the admission policy refuses, and the page names the verb.
	var list railyard.PromotionPreviewList
	must(t, k8s.List(testCtx, &list, client.InNamespace(previewProject)))
	count := len(list.Items)
	viewer := browser(t)
	must(t, chromedp.Do(viewer,
		chromedp.Navigate(stagePage),
		login("dev-viewer"),
		click(row+" button.preview"),
		waitFor("#error"),
	))
	refusal := text(t, viewer, "#error")
	for _, want := range []string{"oidc:dev-viewer", "promote", "stages/test-browser"} {
		if !strings.Contains(refusal, want) {
			t.Errorf("the refusal lacks %q: %s", want, refusal)
		}
	}
	must(t, k8s.List(testCtx, &list, client.InNamespace(previewProject)))
	if len(list.Items) != count {
		t.Errorf("a refused preview changed the cluster: %d previews, was %d", len(list.Items), count)
	}
	screenshot(t, viewer, shots, "preview-refused")
}
