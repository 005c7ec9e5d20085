package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd/argocdtest"
	"github.com/railyard-dev/railyard/internal/demo"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/helmtest"
	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/registrytest"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// The receiver Secrets' values; the test checks none of them leaks.
const (
	harborAuthHeader = "Basic aGFyYm9yOndlYmhvb2stczNjcmV0LVpx"
	clusterSecret    = "cluster-receiver-s3cret-Wq"
	systemNamespace  = "railyard-system-resources"
)

// TestWebhookReceivers runs the users' workflow driven by a registry's
// webhook instead of a poll: the Warehouse's interval is 24h and nobody sets
// a refresh annotation, so only the delivery can explain the test branch
// moving. Harbor's payload stands in for the in-process registry's event
// (the registry itself sends none); the receiver, manager, registry, git
// server and Helm repository are real.
func TestWebhookReceivers(t *testing.T) {
	crd, err := argocdtest.TestCRDPath()
	if err != nil {
		t.Fatalf("getting Argo CD's Application CRD: %v", err)
	}
	env, err := testenv.Start(testenv.Options{ExtraCRDPaths: []string{crd}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })

	w := &world{t: t, top: t, ctx: context.Background(), env: env, workDir: t.TempDir(), built: ptrTime(time.Now().Add(-time.Hour)), managers: &[]*runningManager{}}
	w.reg = registrytest.New(t, registrytest.WithBasicAuth(registryUser, registryPassword))
	w.image = w.reg.Repo("demo/app")
	helm := helmtest.NewRepo(t)
	helm.AddChart(helmtest.ChartSpec{Name: "demo-chart", Version: "0.1.0"})
	git := gittest.NewServer(t, gittest.WithPush(), gittest.WithBasicAuth(gitUser, gitPassword))
	w.charts = helm.URL()
	w.repo = git.CreateRepo("gitops", demo.GitOpsFiles(w.image, w.charts))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	w.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}})
	w.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: systemNamespace}})
	*w.managers = append(*w.managers, startManagerWith(t, env, w.workDir, func(o *manager.Options) {
		o.WebhookReceiverListener = ln
		o.WebhookReceiverBaseURL = base
		o.SystemResourcesNamespace = systemNamespace
	}))
	w.argo = startArgoStandIn(t, env.Client)
	w.apply(demo.ProjectManifest)
	eventually(t, "the Project to create its namespace", func() (bool, string) {
		err := env.Client.Get(w.ctx, client.ObjectKey{Name: ns}, &corev1.Namespace{})
		return err == nil, fmt.Sprint(err)
	})
	w.apply(credentialSecrets(w.repo.URL, w.image))
	w.apply(demo.ProjectManifests(w.image, helm.URL(), w.repo.URL, 24*time.Hour))
	w.apply(demo.Applications(w.repo.URL))
	w.apply(receiverManifests())

	hook := &receivers{world: w, base: base}
	harbor := hook.waitPublished(ns, "registry")
	if !strings.HasPrefix(harbor, base+"/harbor/") {
		t.Fatalf("harbor receiver URL %q, want it under %s/harbor/", harbor, base)
	}
	// The first discovery, which creation triggers, must be over so that
	// a refresh is the only reason for the next.
	first := w.waitWarehouse(func(wh *railyard.Warehouse) bool { return wh.Status.DiscoveredArtifacts != nil })

	t.Run("a forged or unsigned delivery is refused and refreshes nothing", func(t *testing.T) {
		body := harborPush(w.image, "v9.9.9")
		hook.post(t, harbor, body, map[string]string{"Authorization": "Basic d3Jvbmc="}, http.StatusForbidden)
		hook.post(t, harbor, body, nil, http.StatusUnauthorized)
		hook.post(t, base+"/harbor/"+strings.Repeat("0", 64), body, map[string]string{"Authorization": harborAuthHeader}, http.StatusNotFound)
		if wh := w.warehouse(); wh.Annotations[railyard.AnnotationRefresh] != "" || wh.Status.LastHandledRefresh != first.Status.LastHandledRefresh {
			t.Errorf("a refused delivery refreshed the Warehouse: annotations %v", wh.Annotations)
		}
	})

	t.Run("a push named in a delivery reaches the test branch with no poll", func(t *testing.T) {
		*w.built = w.built.Add(time.Minute)
		w.reg.PushImage(t, "demo/app", "v1.2.3", registrytest.NewImage(t, registrytest.ImageSpec{Created: *w.built, OS: "linux", Arch: "amd64"}))
		resp := hook.post(t, harbor, harborPush(w.image, "v1.2.3"), map[string]string{"Authorization": harborAuthHeader}, http.StatusOK)
		if !strings.Contains(resp, `"name":"demo"`) {
			t.Errorf("response %s does not name the refreshed Warehouse", resp)
		}
		f := w.waitFreight(func(f *railyard.Freight) bool { return len(f.Images) == 1 && f.Images[0].Tag == "v1.2.3" })
		w.waitCurrent("test", f.Name)
		if m := w.repo.ReadFile("kargo/demo/test", "manifests.yaml"); !strings.Contains(m, w.image+":v1.2.3") {
			t.Errorf("kargo/demo/test does not render v1.2.3:\n%s", m)
		}
	})

	t.Run("a delivery for a repository nobody subscribes to refreshes nothing", func(t *testing.T) {
		before := w.warehouse().Annotations[railyard.AnnotationRefresh]
		resp := hook.post(t, harbor, harborPush(w.reg.Repo("other/app"), "v1.0.0"), map[string]string{"Authorization": harborAuthHeader}, http.StatusOK)
		if strings.Contains(resp, `"refreshed"`) || w.warehouse().Annotations[railyard.AnnotationRefresh] != before {
			t.Errorf("an unsubscribed repository refreshed a Warehouse: %s", resp)
		}
	})

	t.Run("a cluster-wide receiver refreshes the project's Warehouses", func(t *testing.T) {
		url := hook.waitClusterPublished("everything")
		before := w.warehouse().Annotations[railyard.AnnotationRefresh]
		hook.post(t, url, harborPush(w.image, "v1.2.3"), map[string]string{"Authorization": clusterSecret}, http.StatusOK)
		if w.warehouse().Annotations[railyard.AnnotationRefresh] == before {
			t.Error("the cluster receiver's delivery did not refresh the Warehouse")
		}
	})

	t.Run("rotating the Secret retires the old URL", func(t *testing.T) {
		var s corev1.Secret
		if err := env.Client.Get(w.ctx, client.ObjectKey{Namespace: ns, Name: "harbor-receiver"}, &s); err != nil {
			t.Fatal(err)
		}
		s.Data["auth-header"] = []byte(harborAuthHeader + "-rotated")
		if err := env.Client.Update(w.ctx, &s); err != nil {
			t.Fatal(err)
		}
		hook.post(t, harbor, harborPush(w.image, "v1.2.3"), map[string]string{"Authorization": harborAuthHeader + "-rotated"}, http.StatusNotFound)
		eventually(t, "the new URL to be published", func() (bool, string) {
			got := hook.published(ns, "registry")
			return got != "" && got != harbor, got
		})
	})

	t.Run("no receiver secret appears in status, Events or logs", func(t *testing.T) {
		for _, secret := range []string{harborAuthHeader, clusterSecret} {
			if strings.Contains(managerLog.String(), secret) {
				t.Errorf("the manager's log holds a receiver secret")
			}
			var pc railyard.ProjectConfig
			if err := env.Client.Get(w.ctx, client.ObjectKey{Namespace: ns, Name: ns}, &pc); err != nil {
				t.Fatal(err)
			}
			if b, _ := json.Marshal(pc.Status); bytes.Contains(b, []byte(secret)) {
				t.Errorf("ProjectConfig status holds a receiver secret")
			}
		}
	})
}

// receivers delivers webhooks to the manager's receiver listener.
type receivers struct {
	*world
	base string
}

func (h *receivers) published(namespace, name string) string {
	var pc railyard.ProjectConfig
	if err := h.env.Client.Get(h.ctx, client.ObjectKey{Namespace: namespace, Name: namespace}, &pc); err != nil {
		return ""
	}
	for _, r := range pc.Status.WebhookReceivers {
		if r.Name == name {
			return r.URL
		}
	}
	return ""
}

func (h *receivers) waitPublished(namespace, name string) string {
	h.t.Helper()
	var url string
	eventually(h.t, "receiver "+name+" to be published", func() (bool, string) {
		url = h.published(namespace, name)
		return url != "", "not yet"
	})
	return url
}

func (h *receivers) waitClusterPublished(name string) string {
	h.t.Helper()
	var url string
	eventually(h.t, "cluster receiver "+name+" to be published", func() (bool, string) {
		var cc railyard.ClusterConfig
		if err := h.env.Client.Get(h.ctx, client.ObjectKey{Name: railyard.ClusterConfigName}, &cc); err != nil {
			return false, err.Error()
		}
		for _, r := range cc.Status.WebhookReceivers {
			if r.Name == name {
				url = r.URL
			}
		}
		return url != "", fmt.Sprintf("%+v", cc.Status)
	})
	return url
}

// post delivers body and checks the status code; it returns the response.
func (h *receivers) post(t *testing.T, url string, body []byte, headers map[string]string, want int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d %s, want %d", url, resp.StatusCode, b, want)
	}
	return string(b)
}

func (w *world) warehouse() *railyard.Warehouse {
	w.t.Helper()
	var wh railyard.Warehouse
	if err := w.env.Client.Get(w.ctx, client.ObjectKey{Namespace: ns, Name: "demo"}, &wh); err != nil {
		w.t.Fatal(err)
	}
	return &wh
}

// harborPush is a Harbor PUSH_ARTIFACT event as Harbor documents it.
func harborPush(repo, tag string) []byte {
	b, _ := json.Marshal(map[string]any{
		"type":     "PUSH_ARTIFACT",
		"occur_at": time.Now().Unix(),
		"operator": "ci",
		"event_data": map[string]any{
			"resources": []map[string]any{{
				"digest":       "sha256:3b0e2a1ad8a4d0b3a1ba3a2e4c5bfb2a9d6a8cbe0f0f1e2d3c4b5a697887a6b5",
				"tag":          tag,
				"resource_url": repo + ":" + tag,
			}},
			"repository": map[string]any{"name": "app", "namespace": "demo", "repo_full_name": "demo/app", "repo_type": "private"},
		},
	})
	return b
}

func receiverManifests() string {
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: harbor-receiver
  namespace: %[1]s
stringData:
  auth-header: %[2]q
---
apiVersion: v1
kind: Secret
metadata:
  name: cluster-receiver
  namespace: %[3]s
stringData:
  auth-header: %[4]q
---
apiVersion: railyard.dev/v1alpha1
kind: ProjectConfig
metadata:
  name: %[1]s
  namespace: %[1]s
spec:
  promotionPolicies:
  - stageSelector:
      name: test
    autoPromotionEnabled: true
  webhookReceivers:
  - name: registry
    harbor:
      secretRef:
        name: harbor-receiver
---
apiVersion: railyard.dev/v1alpha1
kind: ClusterConfig
metadata:
  name: cluster
spec:
  webhookReceivers:
  - name: everything
    harbor:
      secretRef:
        name: cluster-receiver
`, ns, harborAuthHeader, systemNamespace, clusterSecret)
}
