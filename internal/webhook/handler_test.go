package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

type fixture struct {
	srv        *httptest.Server
	mu         sync.Mutex
	refreshed  [][]types.NamespacedName
	refreshErr error
	woken      [][]string // gitURLs of each WakePromotions call
	logs       bytes.Buffer
	paths      map[string]string // provider → receiver path
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{paths: map[string]string{}}
	whs := []railyard.Warehouse{
		warehouse("config", gitSub("https://github.com/acme/deploy-config")),
		warehouse("gitlab-config", gitSub("git@gitlab.acme.example:platform/deploy-config.git")),
		warehouse("gitea-config", gitSub("https://gitea.acme.example/platform/deploy-config")),
		warehouse("bitbucket-config", gitSub("git@bitbucket.org:acme/deploy-config.git")),
		warehouse("ghcr-api", imageSub("ghcr.io/acme/api")),
		warehouse("hub-api", imageSub("acme/api")),
		warehouse("quay-api", imageSub("quay.io/acme/api")),
		warehouse("harbor-api", imageSub("harbor.acme.example/platform/api")),
		warehouse("acr-api", imageSub("acmeregistry.azurecr.io/platform/api")),
		warehouse("devops-config", gitSub("https://dev.azure.com/acme/Platform/_git/deploy-config")),
		warehouse("jfrog-api", imageSub("acme.jfrog.io/docker-local/platform/api")),
		warehouse("jfrog-chart", chartSub("oci://acme.jfrog.io/helm-oci/charts/api", "")),
		warehouse("ecr-api", imageSub("123456789012.dkr.ecr.us-west-2.amazonaws.com/platform/api")),
	}
	receivers := map[string]*Receiver{}
	for name := range providers {
		p := providers[name]
		secret := []byte(testSecret)
		path := ReceiverPath(name, "kargo-demo", name+"-receiver", secret)
		f.paths[name] = path
		receivers[path] = &Receiver{
			Project: "kargo-demo", Name: name + "-receiver", Provider: p,
			Secret:     map[string][]byte{p.SecretKey(): secret},
			Warehouses: func(context.Context) ([]railyard.Warehouse, error) { return whs, nil },
		}
	}
	h := &Handler{
		Lookup: func(_ context.Context, path string) (*Receiver, bool, error) {
			r, ok := receivers[path]
			return r, ok, nil
		},
		Refresh: func(_ context.Context, ws []types.NamespacedName) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.refreshed = append(f.refreshed, ws)
			return f.refreshErr
		},
		WakePromotions: func(_ context.Context, project string, gitURLs []string) ([]types.NamespacedName, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.woken = append(f.woken, gitURLs)
			return []types.NamespacedName{{Namespace: project, Name: "prod-1"}}, nil
		},
		Log: slog.New(slog.NewTextHandler(&f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// post delivers body to provider p's receiver, signed with signWith ("" = unsigned).
func (f *fixture) post(t *testing.T, p, event string, body []byte, signWith string, header ...string) (int, response) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.srv.URL+f.paths[p], bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if h := eventHeader[p]; h != "" {
		req.Header.Set(h, event)
	}
	if signWith != "" {
		authorize(p, req.Header, body, signWith)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), testSecret) {
		t.Fatalf("response leaks the secret: %s", raw)
	}
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("response is not JSON: %q", raw)
	}
	return resp.StatusCode, r
}

func TestHandlerProviders(t *testing.T) {
	cases := []struct {
		provider, event, file string
		want                  []string // Warehouses refreshed
		ua                    string
	}{
		{"github", "push", "github/push.json", []string{"config"}, ""},
		{"github", "package", "github/package.json", []string{"ghcr-api"}, ""},
		{"gitlab", "Push Hook", "gitlab/push.json", []string{"gitlab-config"}, ""},
		{"gitea", "push", "gitea/push.json", []string{"gitea-config"}, ""},
		{"bitbucket", "repo:push", "bitbucket/repo_push.json", []string{"bitbucket-config"}, ""},
		{"dockerhub", "", "dockerhub/push.json", []string{"hub-api"}, ""},
		{"quay", "", "quay/repo_push.json", []string{"quay-api"}, ""},
		{"harbor", "", "harbor/push_artifact.json", []string{"harbor-api"}, ""},
		{"azure", "", "azure/acr_push.json", []string{"acr-api"}, "AzureContainerRegistry/1.0"},
		{"azure", "", "azure/devops_push.json", []string{"devops-config"}, "VSServices/16.255.0.0"},
		{"artifactory", "", "artifactory/docker_pushed.json", []string{"jfrog-api"}, ""},
		{"artifactory", "", "artifactory/oci_chart_pushed.json", []string{"jfrog-chart"}, ""},
		{"ecr", "", "ecr/push.json", []string{"ecr-api"}, ""},
		// Authentic deliveries that refresh nothing, answered 2xx.
		{"github", "ping", "github/ping.json", nil, ""},
		{"bitbucket", "diagnostics:ping", "bitbucket/ping.json", nil, ""},
		{"github", "registry_package", "github/registry_package_helm.json", nil, ""}, // nobody subscribes
		{"gitea", "issues", "gitea/push.json", nil, ""},
		{"harbor", "", "harbor/pull_artifact.json", nil, ""},
		{"azure", "", "azure/acr_ping.json", nil, "AzureContainerRegistry/1.0"},
		{"ecr", "", "ecr/delete.json", nil, ""},
		{"ecr", "", "ecr/scan.json", nil, ""},
		// A repository nobody subscribes to.
		{"quay", "", "quay/other_repo_push.json", nil, ""},
		{"dockerhub", "", "dockerhub/other_repo_push.json", nil, ""},
		{"gitlab", "Tag Push Hook", "gitlab/tag_push.json", nil, ""}, // branch subscription, tag pushed
	}
	for _, c := range cases {
		t.Run(c.provider+"/"+c.file+"/"+c.event, func(t *testing.T) {
			f := newFixture(t)
			code, r := f.post(t, c.provider, c.event, readTestdata(t, c.file), testSecret, "User-Agent", c.ua)
			if code != http.StatusOK {
				t.Fatalf("status %d (%s), want 200", code, r.Message)
			}
			var want []types.NamespacedName
			for _, n := range c.want {
				want = append(want, types.NamespacedName{Namespace: "kargo-demo", Name: n})
			}
			if !reflect.DeepEqual(r.Refreshed, refreshedOf(want)) {
				t.Fatalf("response names %v, want %v", r.Refreshed, want)
			}
			var wantCalls [][]types.NamespacedName
			if want != nil {
				wantCalls = [][]types.NamespacedName{want}
			}
			if !reflect.DeepEqual(f.refreshed, wantCalls) {
				t.Fatalf("Refresh calls %v, want %v", f.refreshed, wantCalls)
			}
			f.assertLogsClean(t)
		})
	}
}

func TestHandlerRejectsBadAuth(t *testing.T) {
	for _, p := range []string{"github", "gitlab", "gitea", "bitbucket", "harbor", "artifactory", "ecr"} {
		file := map[string]string{
			"ecr":    "ecr/push.json",
			"github": "github/push.json", "gitlab": "gitlab/push.json", "gitea": "gitea/push.json",
			"bitbucket": "bitbucket/repo_push.json", "harbor": "harbor/push_artifact.json",
			"artifactory": "artifactory/docker_pushed.json",
		}[p]
		event := map[string]string{"github": "push", "gitlab": "Push Hook", "gitea": "push", "bitbucket": "repo:push"}[p]
		t.Run(p, func(t *testing.T) {
			f := newFixture(t)
			body := readTestdata(t, file)
			if code, r := f.post(t, p, event, body, ""); code != http.StatusUnauthorized {
				t.Fatalf("unsigned: status %d (%s), want 401", code, r.Message)
			}
			if code, r := f.post(t, p, event, body, "wrong-secret"); code != http.StatusForbidden {
				t.Fatalf("wrong secret: status %d (%s), want 403", code, r.Message)
			}
			if len(f.refreshed) != 0 {
				t.Fatalf("refreshed %v on a rejected delivery", f.refreshed)
			}
			f.assertLogsClean(t)
		})
	}
}

func TestHandlerRequestErrors(t *testing.T) {
	f := newFixture(t)
	body := readTestdata(t, "github/push.json")

	big := append([]byte(`{"pad":"`), bytes.Repeat([]byte("a"), MaxBodyBytes)...)
	big = append(big, `"}`...)
	if code, _ := f.post(t, "github", "push", big, testSecret); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: status %d, want 413", code)
	}

	if code, _ := f.post(t, "github", "push", []byte(`{"ref":`), testSecret); code != http.StatusBadRequest {
		t.Fatalf("malformed JSON: status %d, want 400", code)
	}

	// A path for another secret is another, unknown receiver.
	f.paths["github"] = ReceiverPath("github", "kargo-demo", "github-receiver", []byte("guess"))
	if code, _ := f.post(t, "github", "push", body, testSecret); code != http.StatusNotFound {
		t.Fatalf("unknown path: status %d, want 404", code)
	}

	resp, err := http.Get(f.srv.URL + f.paths["quay"])
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: status %d, want 405", resp.StatusCode)
	}
	if len(f.refreshed) != 0 {
		t.Fatalf("refreshed %v", f.refreshed)
	}
}

func TestHandlerRefreshFailure(t *testing.T) {
	f := newFixture(t)
	f.refreshErr = errors.New("apiserver unavailable")
	code, _ := f.post(t, "quay", "", readTestdata(t, "quay/repo_push.json"), "")
	if code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", code)
	}
}

func TestHandlerMisconfiguredSecret(t *testing.T) {
	h := &Handler{
		Lookup: func(context.Context, string) (*Receiver, bool, error) {
			return &Receiver{Provider: providers["github"], Secret: map[string][]byte{"token": []byte(testSecret)}}, true, nil
		},
		Refresh: func(context.Context, []types.NamespacedName) error { t.Fatal("refresh called"); return nil },
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/github/x", strings.NewReader("{}")))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), testSecret) {
		t.Fatalf("status %d body %q", rec.Code, rec.Body.String())
	}
}

// assertLogsClean fails if the logs carry the secret or a receiver path,
// which is derived from it and authenticates Docker Hub and Quay.
func (f *fixture) assertLogsClean(t *testing.T) {
	t.Helper()
	logs := f.logs.String()
	if logs == "" {
		t.Fatal("handler logged nothing")
	}
	if strings.Contains(logs, testSecret) {
		t.Fatalf("logs leak the secret:\n%s", logs)
	}
	for _, p := range f.paths {
		if strings.Contains(logs, strings.TrimPrefix(p, "/")) || strings.Contains(logs, p[strings.LastIndex(p, "/")+1:]) {
			t.Fatalf("logs leak a receiver path:\n%s", logs)
		}
	}
}

func TestHandlerLookupFailure(t *testing.T) {
	h := &Handler{
		Lookup: func(context.Context, string) (*Receiver, bool, error) {
			return nil, false, errors.New("cache not synced")
		},
		Refresh: func(context.Context, []types.NamespacedName) error { t.Fatal("refresh called"); return nil },
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/quay/x", strings.NewReader("{}")))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
}
