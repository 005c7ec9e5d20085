package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// TestLivePageCatchesUpOnConnect: a change written after the server
// rendered a page but before the page's event stream opened sends that
// page no event; the page still shows it, because it fetches itself once
// the stream opens. The browser holds the stream's request until the
// UI's cache has the change, so without the catch-up the page stays stale.
func TestLivePageCatchesUpOnConnect(t *testing.T) {
	name := "live-catch-up"
	origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"}
	st := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: project, Name: name},
		Spec: railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{Origin: origin, Sources: railyard.FreightSources{Direct: true}}}}}
	must(t, k8s.Create(testCtx, st))
	admin, _ := loggedIn(t, "dev-admin")
	path := "/projects/" + project + "/stages/" + name
	getPage(t, admin, path, `id="stage-status"`)

	ctx := browser(t)
	must(t, chromedp.Do(ctx, chromedp.Navigate(uiURL+path), login("dev-admin"), waitFor(`body[data-live-connected="true"]`)))
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	must(t, chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/events?*"}}})
			return err
		}),
		chromedp.Navigate(uiURL+path),
		waitFor("#stage-status"),
	))
	var held fetch.RequestID
	for ev, err := range paused {
		must(t, err)
		held = ev.RequestID
		break
	}

	const want = "changed before the stream opened"
	must(t, k8s.Get(testCtx, objectKey(project, name), st))
	st.Status.Conditions = []metav1.Condition{{Type: railyard.ConditionReady, Status: metav1.ConditionTrue, Reason: "Healthy",
		Message: want, LastTransitionTime: metav1.Now()}}
	must(t, k8s.Status().Update(testCtx, st))
	getPage(t, admin, path, want)
	if shown := text(t, ctx, "#stage-status"); strings.Contains(shown, want) {
		t.Fatalf("the page was rendered after the change, so the test shows nothing: %s", shown)
	}

	must(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: held})
		return err
	})))
	must(t, chromedp.Do(ctx, chromedp.Poll[chromedp.Void](
		`document.getElementById("stage-status").innerText.includes("`+want+`")`,
		chromedp.WithPollingTimeout(20*time.Second))))
}
