package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/demo"

	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

// BenchmarkWebhookToTest times image push → Harbor delivery to the
// receiver → the auto-promotion to test Succeeded (its git-push, the commit
// on kargo/demo/test, comes one step before the end), with the Warehouse's
// interval at 24h and no refresh annotation set by hand, ten pushes per
// iteration. Reported: median-s and max-s.
//
//	go test ./test/e2e -run '^$' -bench WebhookToTest -benchtime 1x
func BenchmarkWebhookToTest(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	pw := startPipelineWorld(b, demo.DefaultStandInInterval, func(o *manager.Options) {
		o.WebhookReceiverListener = ln
		o.WebhookReceiverBaseURL = base
	})
	pw.apply(b, fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: harbor-receiver, namespace: %[1]s}
stringData: {auth-header: %[2]q}
---
apiVersion: railyard.dev/v1alpha1
kind: ProjectConfig
metadata: {name: %[1]s, namespace: %[1]s}
spec:
  promotionPolicies:
  - stageSelector: {name: test}
    autoPromotionEnabled: true
  webhookReceivers:
  - name: registry
    harbor: {secretRef: {name: harbor-receiver}}
`, ns, harborAuthHeader))
	var url string
	pw.wait(b, "the receiver URL", func() (bool, string) {
		var pc railyard.ProjectConfig
		if err := pw.env.Client.Get(pw.ctx, client.ObjectKey{Namespace: ns, Name: ns}, &pc); err != nil || len(pc.Status.WebhookReceivers) == 0 {
			return false, fmt.Sprint(err)
		}
		url = pc.Status.WebhookReceivers[0].URL
		return true, ""
	})
	// One untimed push warms clones, the chart and informers.
	pw.pushAndDeliver(b, url, "v0.9.0")

	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		for j := range 10 {
			lat = append(lat, pw.pushAndDeliver(b, url, fmt.Sprintf("v1.%d.%d", i, j)))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(lat[len(lat)/2].Seconds(), "median-s")
	b.ReportMetric(lat[len(lat)-1].Seconds(), "max-s")
	b.Logf("push → test promoted: %v", lat)
}

// pushAndDeliver pushes tag, delivers Harbor's event for it and returns the
// time from the delivery to the test Stage's Promotion of that tag
// succeeding.
func (pw *pipelineWorld) pushAndDeliver(b *testing.B, url, tag string) time.Duration {
	b.Helper()
	pw.built = pw.built.Add(time.Minute)
	pw.reg.PushImage(b, "demo/app", tag, registrytest.NewImage(b, registrytest.ImageSpec{Created: pw.built, OS: "linux", Arch: "amd64"}))
	ctx, cancel := context.WithTimeout(pw.ctx, 2*time.Minute)
	defer cancel()
	w, err := pw.wc.Watch(ctx, &railyard.PromotionList{}, client.InNamespace(ns))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	var before railyard.PromotionList
	if err := pw.env.Client.List(ctx, &before, client.InNamespace(ns)); err != nil {
		b.Fatal(err)
	}
	existing := map[string]bool{}
	for _, p := range before.Items {
		existing[p.Name] = true
	}
	start := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(harborPush(pw.image, tag)))
	req.Header.Set("Authorization", harborAuthHeader)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("delivery answered %d", resp.StatusCode)
	}
	var created time.Duration
	for ev := range w.ResultChan() {
		p, ok := ev.Object.(*railyard.Promotion)
		// A watch begins by adding what exists: only a Promotion made
		// after the delivery counts as created.
		if ok && ev.Type == watch.Added && p.Spec.Stage == "test" && created == 0 && !existing[p.Name] {
			created = time.Since(start)
		}
		if !ok || ev.Type == watch.Deleted || p.Spec.Stage != "test" || p.Status.Phase != railyard.PromotionPhaseSucceeded ||
			p.Status.Freight == nil || len(p.Status.Freight.Images) != 1 || p.Status.Freight.Images[0].Tag != tag {
			continue
		}
		took := time.Since(start)
		if os.Getenv("BENCH_TRACE") != "" {
			b.Logf("%s: delivered → Promotion created %v, → Succeeded %v", tag, created, took)
		}
		return took
	}
	b.Fatalf("no Promotion of %s to test succeeded in time", tag)
	return 0
}
