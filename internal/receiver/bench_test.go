package receiver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/registrytest"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// burst is how many deliveries one iteration sends, senders how many at
// once (a CI job fanning out, or a registry replaying its queue).
const (
	burst   = 1000
	senders = 64
)

// BenchmarkBurst sends 1,000 Harbor deliveries naming one new tag to one
// receiver of a real manager (envtest, in-process registry; the
// Warehouse's interval is 24h so only deliveries cause discoveries) and
// reports how many discoveries they caused, how long until the tag was
// discovered, and the heap after the burst compared with before. It fails
// if any delivery is refused or the tag is never discovered.
//
// Bursts after the first find the receiver's bucket (1,000 deliveries,
// refilled at 50/s) partly drained and are throttled, as a provider
// replaying faster than that would be.
//
//	go test ./internal/receiver -run '^$' -bench Burst -benchtime 1x
func BenchmarkBurst(b *testing.B) {
	ctrl.SetLogger(logr.Discard())
	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = env.Stop() })
	reg := registrytest.New(b)
	image := reg.Repo("demo/app")
	reg.PushImage(b, "demo/app", "v1.0.0", registrytest.NewImage(b, registrytest.ImageSpec{Created: time.Now().Add(-time.Hour), OS: "linux", Arch: "amd64"}))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	mgr, err := manager.New(env.Config, manager.Options{
		MetricsAddr: "0", ProbeAddr: "0", WorkDir: b.TempDir(), SkipControllerNameValidation: true,
		WebhookReceiverListener: ln, WebhookReceiverBaseURL: "http://" + ln.Addr().String(),
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("manager: %v", err)
		}
	})

	c := env.Client
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "hook"}, Data: map[string][]byte{"auth-header": []byte("Bearer s3cret")}},
		&railyard.ProjectConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "demo"}, Spec: railyard.ProjectConfigSpec{
			WebhookReceivers: []railyard.WebhookReceiverConfig{{Name: "registry", Harbor: &railyard.WebhookReceiverDetails{SecretRef: corev1.LocalObjectReference{Name: "hook"}}}},
		}},
		&railyard.Warehouse{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "app"}, Spec: railyard.WarehouseSpec{
			Interval:      &metav1.Duration{Duration: 24 * time.Hour},
			Subscriptions: []railyard.RepoSubscription{{Image: &railyard.ImageSubscription{RepoURL: image}}},
		}},
	} {
		if err := c.Create(ctx, o); err != nil {
			b.Fatal(err)
		}
	}
	url := waitFor(b, func() (string, bool) {
		var pc railyard.ProjectConfig
		if c.Get(ctx, client.ObjectKey{Namespace: "demo", Name: "demo"}, &pc) != nil || len(pc.Status.WebhookReceivers) == 0 {
			return "", false
		}
		return pc.Status.WebhookReceivers[0].URL, true
	})
	discovered := func(tag string) bool {
		var wh railyard.Warehouse
		if c.Get(ctx, client.ObjectKey{Namespace: "demo", Name: "app"}, &wh) != nil || wh.Status.DiscoveredArtifacts == nil {
			return false
		}
		for _, img := range wh.Status.DiscoveredArtifacts.Images {
			for _, r := range img.References {
				if r.Tag == tag {
					return true
				}
			}
		}
		return false
	}
	waitFor(b, func() (string, bool) { return "", discovered("v1.0.0") })

	var discoveries, heapGrowth, toDiscovered, throttled float64
	b.ResetTimer()
	for i := range b.N {
		tag := fmt.Sprintf("v1.1.%d", i)
		reg.PushImage(b, "demo/app", tag, registrytest.NewImage(b, registrytest.ImageSpec{Created: time.Now(), OS: "linux", Arch: "amd64"}))
		heapBefore := heapInUse()
		reg.ResetCounts()
		start := time.Now()
		throttled += float64(sendBurst(b, url, harborPush(image, tag)))
		waitFor(b, func() (string, bool) { return "", discovered(tag) })
		toDiscovered += time.Since(start).Seconds()
		// Let a discovery that a late delivery queued finish before counting.
		time.Sleep(500 * time.Millisecond)
		discoveries += float64(reg.Counts().TagsList)
		heapGrowth += float64(heapInUse()-heapBefore) / (1 << 20)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(discoveries/n, "discoveries/burst")
	b.ReportMetric(toDiscovered/n, "s-to-discovered")
	b.ReportMetric(heapGrowth/n, "heap-growth-MiB")
	b.ReportMetric(throttled/n, "429s/burst")
}

// sendBurst posts body burst times from senders goroutines, retrying a 429
// after its Retry-After as EventBridge and Harbor do, and fails on any
// other answer but 200. It returns how many 429s were answered.
func sendBurst(b *testing.B, url string, body []byte) int {
	b.Helper()
	var wg sync.WaitGroup
	jobs := make(chan struct{})
	errs := make(chan error, burst)
	var throttled atomic.Int32
	tr := &http.Transport{MaxIdleConnsPerHost: senders}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	for range senders {
		wg.Go(func() {
			for range jobs {
				for {
					req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer s3cret")
					resp, err := hc.Do(req)
					if err != nil {
						errs <- err
						break
					}
					msg, _ := io.ReadAll(resp.Body)
					_ = resp.Body.Close()
					if resp.StatusCode == http.StatusTooManyRequests {
						throttled.Add(1)
						secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
						time.Sleep(time.Duration(secs) * time.Second)
						continue
					}
					if resp.StatusCode != http.StatusOK {
						errs <- fmt.Errorf("%d %s", resp.StatusCode, msg)
					}
					break
				}
			}
		})
	}
	for range burst {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatalf("a delivery was refused: %v", err)
	}
	return int(throttled.Load())
}

func harborPush(repo, tag string) []byte {
	body, _ := json.Marshal(map[string]any{
		"type": "PUSH_ARTIFACT",
		"event_data": map[string]any{"resources": []map[string]any{{
			"tag": tag, "resource_url": repo + ":" + tag,
		}}},
	})
	return body
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

func waitFor(b *testing.B, cond func() (string, bool)) string {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if v, ok := cond(); ok {
			return v
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatal("timed out")
	return ""
}
