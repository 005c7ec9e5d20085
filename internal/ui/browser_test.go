package ui_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// xss is markup that must show as text: API objects carry it in messages.
const xss = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">`

// browser starts Debian's chromium (headless) for chromedp.
func browser(t testing.TB) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the UI test drives Debian's chromium, which is not installed: apt-get install -y chromium (.ci/run installs it): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1400, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(testCtx, opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	must(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	// A JavaScript dialog would mean injected script ran.
	must(t, chromedp.Listen(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			t.Errorf("a JavaScript dialog opened: %q", d.Message)
		}
	}))
	return ctx
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must(t, err)
	path := filepath.Join(dir, name+".png")
	must(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
}

func login(user string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		waitFor("#username"),
		chromedp.SendKeys(css("#username"), user),
		click("#login"),
	)
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// Live updates replace page regions at any time, so the helpers below find
// elements and act on them in one JavaScript evaluation, never holding a
// node across calls (which could be replaced in between).

// waitFor waits until an element matching sel is visible, across page
// loads; a region replaced while it looks is looked at again.
func waitFor(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		var err error
		for range 5 {
			if _, err = chromedp.WaitVisible(css(sel))(ctx, tg); err == nil || !strings.Contains(err.Error(), "No node with given id") {
				return err
			}
		}
		return err
	})
}

// click clicks the element sel (a real click event: forms submit).
func click(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(waitFor(sel), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf("(document.querySelector(%s).click(), true)", strconv.Quote(sel)))(ctx, tg)
		return err
	}))
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf("document.querySelector(%s).innerText", strconv.Quote(sel))))
	must(t, err)
	return s
}

func TestBrowserWorkflow(t *testing.T) {
	start := time.Now()
	// Screenshots go to the test's temporary directory (paths are logged),
	// or to $RAILYARD_UI_SCREENSHOTS to keep them.
	shots := t.TempDir()
	if dir := os.Getenv("RAILYARD_UI_SCREENSHOTS"); dir != "" {
		shots = dir
	}
	release := seedRunningRelease(t)
	ctx := browser(t)
	stagePage := uiURL + "/projects/" + project + "/stages/test"

	// dev-admin logs in through the provider and sees the pipeline.
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(uiURL+"/projects/"+project),
		login("dev-admin"),
		waitFor(`[data-warehouse="app"] [data-stage="staging"]`),
	))
	pipeline := text(t, ctx, "#pipeline")
	for _, want := range []string{"Warehouse app", "test", "staging", freight.AliasOf(release), "app:v1.0.0", "Healthy"} {
		if !strings.Contains(pipeline, want) {
			t.Errorf("the pipeline lacks %q:\n%s", want, pipeline)
		}
	}
	screenshot(t, ctx, shots, "pipeline")
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(uiURL+"/"),
		waitFor(`.project a[href="/projects/demo"]`),
	))
	if projects := text(t, ctx, "#projects"); !strings.Contains(projects, "demo") || !strings.Contains(projects, "secret") {
		t.Errorf("dev-admin's projects: %s", projects)
	}
	screenshot(t, ctx, shots, "projects")
	must(t, chromedp.Do(ctx, chromedp.Navigate(uiURL+"/projects/"+project), waitFor(`[data-warehouse="app"]`)))

	// Refresh the Warehouse, then create Freight from the dev tag.
	var wh railyard.Warehouse
	must(t, k8s.Get(testCtx, objectKey(project, "app"), &wh))
	delete(wh.Annotations, railyard.AnnotationRefresh)
	must(t, k8s.Update(testCtx, &wh))
	must(t, chromedp.Do(ctx,
		click(`[data-warehouse="app"] .warehouse a`),
		waitFor("#refresh"),
		click("#refresh"),
		waitFor("#notice"),
	))
	must(t, k8s.Get(testCtx, objectKey(project, "app"), &wh))
	if wh.Annotations[railyard.AnnotationRefresh] == "" {
		t.Fatal("Refresh did not set the refresh annotation")
	}
	must(t, chromedp.Do(ctx,
		chromedp.SetValue(css(`select[name="image-0"]`), "dev-abc123"),
		chromedp.SendKeys(css(`input[name="alias"]`), "dev-build"),
		click("#create"),
		waitFor(`tr[data-freight="dev-build"]`),
	))
	dev := freightByAlias(t, "dev-build")
	if len(dev.Images) != 1 || dev.Images[0].Tag != "dev-abc123" || dev.Images[0].Digest != "sha256:"+strings.Repeat("b", 64) {
		t.Fatalf("the Freight created: %+v", dev.Images)
	}
	screenshot(t, ctx, shots, "warehouse")

	// Promote it to test; the Promotion page follows its steps live.
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(stagePage),
		click(`tr[data-freight="dev-build"] button.promote`),
		waitFor("#phase"),
	))
	promo := onlyPromotion(t, "test", dev.Name)
	must(t, chromedp.Do(ctx, waitFor(`body[data-live-connected="true"]`)))
	runSteps(t, promo)
	must(t, chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.getElementById("phase").textContent === "Running" &&
		document.querySelector(".step-Succeeded") !== null`, chromedp.WithPollingTimeout(10*time.Second))))
	status := text(t, ctx, "#promotion-status")
	injected, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__xss !== undefined`))
	must(t, err)
	if injected || !strings.Contains(status, "<script>window.__xss=1</script>") {
		t.Errorf("markup in a message must show as text and never run (ran: %v): %s", injected, status)
	}
	screenshot(t, ctx, shots, "promotion")

	// Abort it.
	must(t, chromedp.Do(ctx,
		click("#abort"),
		waitFor("#abort-requested"),
	))
	must(t, k8s.Get(testCtx, client.ObjectKeyFromObject(promo), promo))
	if v := promo.Annotations[railyard.AnnotationAbort]; !strings.Contains(v, `"actor":"oidc:dev-admin"`) || !strings.Contains(v, "terminate") {
		t.Errorf("abort annotation %q", v)
	}

	// Promote staging from upstream: refused while nothing is verified in
	// test, then it takes what test runs once verified there.
	stagingPage := uiURL + "/projects/" + project + "/stages/staging"
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(stagingPage),
		click("button.promote-upstream"),
		waitFor("#error"),
	))
	if refusal := text(t, ctx, "#error"); !strings.Contains(refusal, "no Freight from warehouse app is available to stage staging yet (it must be running in stage test and verified there)") {
		t.Errorf("promote from upstream before verification: %s", refusal)
	}
	now := metav1.Now()
	release.Status.CurrentlyIn = map[string]railyard.CurrentStage{"test": {Since: &now}}
	release.Status.VerifiedIn = map[string]railyard.VerifiedStage{"test": {VerifiedAt: &now}}
	must(t, k8s.Status().Update(testCtx, release))
	testenv.Eventually(t, 10*time.Second, func() error {
		if err := chromedp.Do(ctx, chromedp.Navigate(stagingPage), click("button.promote-upstream"),
			waitFor("#phase, #error")); err != nil {
			return err
		}
		// The cache may not hold the verification yet: then it is refused.
		onPromotion, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("phase") !== null`))
		if err == nil && !onPromotion {
			err = errors.New("not on a Promotion page")
		}
		if err != nil {
			return fmt.Errorf("promote from upstream after verification: %w (page: %s)", err, text(t, ctx, "main"))
		}
		return nil
	})
	onlyPromotion(t, "staging", release.Name)

	// Log out, at the provider too (RP-initiated logout): the browser comes
	// back to the UI, which sends it to log in again; dev-viewer logs in
	// and may not promote.
	ended := len(op.EndedSessions())
	must(t, chromedp.Do(ctx,
		click("#logout"),
		waitFor("#username"),
	))
	if got := op.EndedSessions(); len(got) != ended+1 || got[len(got)-1].User != "dev-admin" {
		t.Errorf("logout did not end dev-admin's session at the provider: %+v", got)
	}
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(stagePage),
		login("dev-viewer"),
		waitFor(`tr[data-freight="dev-build"] button.promote`),
	))
	before := promotionCount(t)
	user := text(t, ctx, "#user")
	must(t, chromedp.Do(ctx,
		click(`tr[data-freight="dev-build"] button.promote`),
		waitFor("#error"),
	))
	refusal := text(t, ctx, "#error")
	if user != "dev-viewer" {
		t.Errorf("logged in as %q", user)
	}
	for _, want := range []string{"oidc:dev-viewer may not create promotions in namespace demo", "you need the verb create on promotions"} {
		if !strings.Contains(refusal, want) {
			t.Errorf("the refusal lacks %q: %s", want, refusal)
		}
	}
	if after := promotionCount(t); after != before {
		t.Errorf("a refused promote changed the cluster: %d Promotions, was %d", after, before)
	}
	screenshot(t, ctx, shots, "refused")
	t.Logf("browser workflow took %s", time.Since(start).Round(time.Millisecond))
}

// seedRunningRelease creates Freight of v1.0.0 running in test (healthy),
// as the controllers would, with markup in the Stage's Ready message.
func seedRunningRelease(t *testing.T) *railyard.Freight {
	t.Helper()
	f := &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: project, Labels: map[string]string{railyard.LabelAlias: "first-light"}},
		Alias:      "first-light",
		Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"},
		Images:     []railyard.Image{{RepoURL: imgRepo, Tag: "v1.0.0", Digest: "sha256:" + strings.Repeat("a", 64)}},
	}
	f.Name = freight.IDOf(f)
	must(t, k8s.Create(testCtx, f))
	var st railyard.Stage
	must(t, k8s.Get(testCtx, objectKey(project, "test"), &st))
	st.Status.FreightHistory = []railyard.FreightCollection{{ID: "c1", Freight: map[string]railyard.FreightReference{
		f.Origin.String(): {Name: f.Name, Origin: f.Origin, Images: f.Images}}}}
	st.Status.Health = &railyard.Health{Status: railyard.HealthStateHealthy}
	st.Status.Conditions = []metav1.Condition{{Type: railyard.ConditionReady, Status: metav1.ConditionTrue, Reason: "Healthy",
		Message: xss, LastTransitionTime: metav1.Now()}}
	must(t, k8s.Status().Update(testCtx, &st))
	return f
}

// runSteps writes what the Promotion controller would while it runs: two
// steps, the first done; and markup in the message.
func runSteps(t *testing.T, p *railyard.Promotion) {
	t.Helper()
	p.Spec.Steps = []railyard.PromotionStep{{Uses: "git-clone", As: "clone"}, {Uses: "git-push", As: "push"}}
	must(t, k8s.Update(testCtx, p))
	started := metav1.NewTime(time.Now().Add(-3 * time.Second))
	done := metav1.NewTime(time.Now().Add(-time.Second))
	p.Status.Phase = railyard.PromotionPhaseRunning
	p.Status.Message = xss
	p.Status.StepExecutionMetadata = []railyard.StepExecutionMetadata{
		{Alias: "clone", Status: railyard.StepStatusSucceeded, StartedAt: &started, FinishedAt: &done},
		{Alias: "push", Status: railyard.StepStatusRunning, StartedAt: &done},
	}
	must(t, k8s.Status().Update(testCtx, p))
}

func freightByAlias(t *testing.T, alias string) *railyard.Freight {
	t.Helper()
	var list railyard.FreightList
	must(t, k8s.List(testCtx, &list, client.InNamespace(project)))
	for i := range list.Items {
		if freight.AliasOf(&list.Items[i]) == alias {
			return &list.Items[i]
		}
	}
	t.Fatalf("no Freight has alias %s", alias)
	return nil
}

func onlyPromotion(t *testing.T, stage, freightName string) *railyard.Promotion {
	t.Helper()
	var list railyard.PromotionList
	must(t, k8s.List(testCtx, &list, client.InNamespace(project)))
	var found []*railyard.Promotion
	for i := range list.Items {
		if p := &list.Items[i]; p.Spec.Stage == stage && p.Spec.Freight == freightName {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d Promotions of %s to %s, want 1", len(found), freightName, stage)
	}
	return found[0]
}

func promotionCount(t *testing.T) int {
	t.Helper()
	var list railyard.PromotionList
	must(t, k8s.List(testCtx, &list, client.InNamespace(project)))
	return len(list.Items)
}
