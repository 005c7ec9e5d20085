package ui_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// TestApprove: approving Freight for a Stage needs patch on
// freights/status; dev-viewer is refused with that named, dev-admin
// approves and the Freight becomes available to staging.
func TestApprove(t *testing.T) {
	f := &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: project, Labels: map[string]string{railyard.LabelAlias: "hotfix"}},
		Alias:      "hotfix",
		Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"},
		Images:     []railyard.Image{{RepoURL: imgRepo, Tag: "v9.9.9", Digest: "sha256:" + strings.Repeat("c", 64)}},
	}
	f.Name = freight.IDOf(f)
	must(t, k8s.Create(testCtx, f))
	stage := uiURL + "/projects/" + project + "/stages/staging"
	post := func(c *http.Client, csrf string) (int, string) {
		resp, err := noRedirects(c).PostForm(stage+"/approve", url.Values{"csrf": {csrf}, "freight": {f.Name}})
		must(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	viewer, viewerCSRF := loggedIn(t, "dev-viewer")
	if code, body := post(viewer, viewerCSRF); code != http.StatusForbidden || !strings.Contains(body, "oidc:dev-viewer may not patch freights/status/"+f.Name) {
		t.Errorf("dev-viewer approving: %d %s", code, body)
	}
	admin, adminCSRF := loggedIn(t, "dev-admin")
	// The page offers the approval while the Freight is not available.
	testenv.Eventually(t, 10*time.Second, func() error {
		resp, err := admin.Get(stage)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if !strings.Contains(string(body), `<tr data-freight="hotfix">`) || !strings.Contains(string(body), "Approve for staging") {
			return errorf("the stage page offers no approval for hotfix: %s", body)
		}
		return nil
	})
	if code, body := post(admin, adminCSRF); code != http.StatusSeeOther {
		t.Fatalf("dev-admin approving: %d %s", code, body)
	}
	must(t, k8s.Get(testCtx, objectKey(project, f.Name), f))
	if _, ok := f.Status.ApprovedFor["staging"]; !ok {
		t.Errorf("status.approvedFor: %v", f.Status.ApprovedFor)
	}
}
