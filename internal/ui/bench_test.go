package ui_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// Benchmarks of the web UI (make bench-ui; numbers in docs/benchmarks.md).
// They run against the suite's envtest API server and UI server, which
// acts as its ServiceAccount and reviews access as a real one does.

// BenchmarkPipelinePage30Apps: one GET of the pipeline page of the 30-app
// project (90 Stages, 60 Freight, 90 Promotions) by a logged-in person,
// rendered by the server from its cache; access reviews are cached for 10 s
// as in production, so some iterations pay for them.
func BenchmarkPipelinePage30Apps(b *testing.B) {
	seedBig(b)
	admin, _ := loggedIn(b, "dev-admin")
	path := uiURL + "/projects/" + bigNS
	waitForCache(b, admin, path, `data-stage="support-portal-prod"`)
	var size int
	b.ResetTimer()
	for b.Loop() {
		resp, err := admin.Get(path)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
		size = int(n)
	}
	b.ReportMetric(float64(size), "bytes/page")
}

// BenchmarkStageChangeToEvent: how long a change of a Stage's status
// written to the API server takes to reach an open page's event stream
// (/events): the watch, the UI's informer, the access check, the stream.
// Each iteration changes one Stage's health and waits for its event; the
// median and the max are reported.
func BenchmarkStageChangeToEvent(b *testing.B) {
	seedBig(b)
	admin, _ := loggedIn(b, "dev-admin")
	ctx, cancel := context.WithCancel(testCtx)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", uiURL+"/events?ns="+bigNS, nil)
	resp, err := admin.Do(req)
	must(b, err)
	defer func() { _ = resp.Body.Close() }()
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var took []time.Duration
	i := 0
	for b.Loop() {
		i++
		name := bigApps[i%len(bigApps)] + "-staging"
		var st railyard.Stage
		must(b, k8s.Get(testCtx, objectKey(bigNS, name), &st))
		st.Status.Health = &railyard.Health{Status: railyard.HealthStateHealthy, Issues: []string{fmt.Sprintf("change %d", i)}}
		start := time.Now()
		must(b, k8s.Status().Update(testCtx, &st))
		took = append(took, awaitEvent(b, lines, `"kind":"Stage"`, `"name":"`+name+`"`).Sub(start))
	}
	reportSpread(b, took)
}

// BenchmarkStageChangeReachesPage: the same change, measured in chromium
// until the Stage page shows it: the event, the page's 200 ms debounce
// (internal/ui/static/app.js), its fetch of the page and the swap.
func BenchmarkStageChangeReachesPage(b *testing.B) {
	seedBig(b)
	ctx := browser(b)
	name := "titiler-staging"
	must(b, chromedp.Do(ctx,
		chromedp.Navigate(uiURL+"/projects/"+bigNS+"/stages/"+name),
		login("dev-admin"),
		waitFor(`body[data-live-connected="true"]`),
	))
	var took []time.Duration
	i := 0
	for b.Loop() {
		i++
		want := fmt.Sprintf("reached %d", i)
		var st railyard.Stage
		must(b, k8s.Get(testCtx, objectKey(bigNS, name), &st))
		st.Status.Conditions = []metav1.Condition{{Type: railyard.ConditionReady, Status: metav1.ConditionTrue, Reason: "Healthy",
			Message: want, LastTransitionTime: metav1.Now()}}
		start := time.Now()
		must(b, k8s.Status().Update(testCtx, &st))
		must(b, chromedp.Do(ctx, chromedp.Poll[chromedp.Void](
			fmt.Sprintf(`document.getElementById("stage-status").innerText.includes(%q)`, want),
			chromedp.WithPollingTimeout(10*time.Second))))
		took = append(took, time.Since(start))
	}
	reportSpread(b, took)
}

// awaitEvent reads the event stream until a line holds every string of
// want, and returns when it arrived.
func awaitEvent(b *testing.B, lines <-chan string, want ...string) time.Time {
	b.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				b.Fatal("the event stream ended")
			}
			if all(l, want) {
				return time.Now()
			}
		case <-timeout:
			b.Fatalf("no event with %q within 10s", want)
		}
	}
}

func all(s string, subs []string) bool {
	for _, w := range subs {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// reportSpread reports the median and the max of durations in ms.
func reportSpread(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(len(took)), "changes")
}

// waitForCache GETs path until the page holds want (the UI's cache has
// caught up with the seeding).
func waitForCache(b *testing.B, c *http.Client, path, want string) {
	b.Helper()
	testenv.Eventually(b, 30*time.Second, func() error {
		resp, err := c.Get(path)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if !strings.Contains(string(body), want) {
			return fmt.Errorf("%s lacks %s", path, want)
		}
		return nil
	})
}
