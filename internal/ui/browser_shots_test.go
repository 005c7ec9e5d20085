package ui_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// TestScreenshots30Apps renders the pipeline of the users' project with 30
// applications, the Freight timeline, a Freight with what changes for a
// Stage, and a Promotion with its commit, and writes PNG screenshots (paths
// in the log; $RAILYARD_UI_SCREENSHOTS keeps them). It checks what makes
// the pipeline readable at 1400 px: every application shows, nothing
// needs scrolling sideways, and no card's text overflows it.
func TestScreenshots30Apps(t *testing.T) {
	seedBig(t)
	shots := t.TempDir()
	if dir := os.Getenv("RAILYARD_UI_SCREENSHOTS"); dir != "" {
		shots = dir
	}
	ctx := browser(t)
	base := uiURL + "/projects/" + bigNS
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(base),
		login("dev-admin"),
		waitFor(`[data-warehouse="support-portal"] [data-stage="support-portal-prod"]`),
	))
	pipeline := text(t, ctx, "#pipeline")
	for _, app := range bigApps {
		if !strings.Contains(pipeline, app) {
			t.Errorf("the pipeline lacks %s", app)
		}
	}
	// Staging runs the release, test the newer Freight: the card says so.
	if b := text(t, ctx, `[data-stage="titiler-staging"] .behind`); !strings.HasPrefix(b, "titiler-test runs newer ") {
		t.Errorf("titiler-staging's card: %q", b)
	}
	layout, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () {
	  var bad = [];
	  var doc = document.documentElement;
	  if (doc.scrollWidth > doc.clientWidth) { bad.push("the page scrolls sideways: " + doc.scrollWidth + " > " + doc.clientWidth); }
	  document.querySelectorAll("#pipeline .card").forEach(function (c) {
	    if (c.scrollWidth > c.clientWidth + 1) { bad.push("card overflows: " + c.innerText.split("\n")[0]); }
	  });
	  return bad;
	})()`))
	must(t, err)
	if len(layout) > 0 {
		t.Errorf("the 30-app pipeline is not readable:\n%s", strings.Join(layout, "\n"))
	}
	screenshot(t, ctx, shots, "pipeline-30-apps")
	// What fits on the first screen, too.
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	must(t, err)
	must(t, os.WriteFile(filepath.Join(shots, "pipeline-30-apps-first-screen.png"), png, 0o644))
	t.Logf("screenshot: %s", filepath.Join(shots, "pipeline-30-apps-first-screen.png"))

	must(t, chromedp.Do(ctx, chromedp.Navigate(base+"/freight"), waitFor("#freight-timeline")))
	screenshot(t, ctx, shots, "freight-timeline")

	var f railyard.Freight
	var list railyard.FreightList
	must(t, k8s.List(testCtx, &list))
	for i := range list.Items {
		if it := &list.Items[i]; it.Namespace == bigNS && it.Origin.Name == "titiler" && it.Images[0].Tag == "v1.4.0" {
			f = *it
		}
	}
	must(t, chromedp.Do(ctx, chromedp.Navigate(base+"/freight/"+f.Name+"?stage=titiler-staging"), waitFor("#changes")))
	if changes := text(t, ctx, "#changes"); !strings.Contains(changes, "titiler: configuration change 5") || !strings.Contains(changes, "v1.3.2") {
		t.Errorf("what changes for titiler-staging: %s", changes)
	}
	screenshot(t, ctx, shots, "freight-"+freight.AliasOf(&f))

	must(t, chromedp.Do(ctx, chromedp.Navigate(base+"/promotions/titiler-test."+f.Name[:12]), waitFor("pre.diff")))
	screenshot(t, ctx, shots, "promotion-with-commit")
}
