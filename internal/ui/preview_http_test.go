package ui_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// TestPreviewHTTP: the Preview button's POST creates a PromotionPreview as
// the person and sends them to its page, which shows the steps and the
// diff, escaped; the remote is untouched. A person without the promote
// verb is refused with the verb named, and cannot read previews.
func TestPreviewHTTP(t *testing.T) {
	repo, before := previewStage(t, "test-http")
	admin, csrf := loggedIn(t, "dev-admin")
	viewer, viewerCSRF := loggedIn(t, "dev-viewer")
	stage := uiURL + "/projects/" + previewProject + "/stages/test-http"

	resp, err := noRedirects(admin).PostForm(stage+"/preview", url.Values{"csrf": {csrf}, "freight": {previewFreight.Name}})
	must(t, err)
	_ = resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/projects/"+previewProject+"/previews/test-http.") {
		t.Fatalf("POST preview: %d, Location %q", resp.StatusCode, loc)
	}
	var body string
	testenv.Eventually(t, time.Minute, func() error {
		resp, err := admin.Get(uiURL + loc)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		body = string(b)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<strong id="phase">Succeeded</strong>`) {
			return errorf("preview page: %d, not Succeeded yet", resp.StatusCode)
		}
		return nil
	})
	text := html.UnescapeString(body)
	for _, want := range []string{
		"--- a/test/kustomization.yaml", "-  newTag: v1.0.0", "+  newTag: v2.0.0", `<pre class="diff">`,
		"push (git-push)", "not run in a preview", "test: " + xss,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the preview page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script>window.__xss") {
		t.Error("the commit message's markup reached the page unescaped")
	}
	if repo.Head("main") != before {
		t.Error("the preview pushed to the remote")
	}

	// Preview from upstream: the Stage page's button next to Promote from
	// upstream previews the Freight that button would promote.
	getPage(t, admin, "/projects/"+previewProject+"/stages/test-http", `class="preview-upstream"`)
	resp, err = noRedirects(admin).PostForm(stage+"/preview", url.Values{"csrf": {csrf}, "upstream": {previewFreight.Origin.Name}})
	must(t, err)
	_ = resp.Body.Close()
	upLoc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(upLoc, "/projects/"+previewProject+"/previews/test-http.") || upLoc == loc {
		t.Fatalf("POST preview from upstream: %d, Location %q", resp.StatusCode, upLoc)
	}
	up := &railyard.PromotionPreview{}
	must(t, k8s.Get(testCtx, client.ObjectKey{Namespace: previewProject, Name: strings.SplitN(strings.TrimPrefix(upLoc, "/projects/"+previewProject+"/previews/"), "?", 2)[0]}, up))
	if up.Spec.Freight != previewFreight.Name || up.Spec.Stage != "test-http" {
		t.Errorf("preview from upstream: spec %+v, want Freight %s for test-http", up.Spec, previewFreight.Name)
	}

	resp, err = viewer.PostForm(stage+"/preview", url.Values{"csrf": {viewerCSRF}, "freight": {previewFreight.Name}})
	must(t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "promote") || !strings.Contains(string(b), "stages") {
		t.Errorf("dev-viewer's preview: %d, want 403 naming the promote verb on stages:\n%s", resp.StatusCode, b)
	}
	resp, err = admin.Get(uiURL + "/projects/" + previewProject + "/previews/gone")
	must(t, err)
	b, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), "deleted an hour after they finish") {
		t.Errorf("a missing preview: %d\n%s", resp.StatusCode, b)
	}
	resp, err = viewer.Get(uiURL + loc)
	must(t, err)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("dev-viewer reading a preview: %d, want 403", resp.StatusCode)
	}
}
