package argocd

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// fakeServer answers discovery of argoproj.io/v1alpha1 with kinds.
func fakeServer(t *testing.T, kinds ...string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/apis/"+GroupVersion.String() {
			http.NotFound(w, r)
			return
		}
		list := metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: GroupVersion.String()}
		for _, k := range kinds {
			list.APIResources = append(list.APIResources, metav1.APIResource{Name: strings.ToLower(k) + "s", Kind: k, Namespaced: true})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(list)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func kubeconfigFor(t *testing.T, server string) string {
	path := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + server +
		"\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRemoteProbe(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(garbage, []byte("{not yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		kubeconfig func(t *testing.T) string
		wantErr    string // empty: reachable
	}{
		{"missing kubeconfig", func(t *testing.T) string { return filepath.Join(t.TempDir(), "missing") }, "loading kubeconfig"},
		{"kubeconfig that does not parse", func(*testing.T) string { return garbage }, "loading kubeconfig"},
		{"server that does not answer", func(t *testing.T) string { return kubeconfigFor(t, "http://127.0.0.1:1") }, "connection refused"},
		{"server without Argo CD", func(t *testing.T) string { return kubeconfigFor(t, fakeServer(t, "AppProject")) }, "does not serve Argo CD Applications"},
		{"server with Argo CD", func(t *testing.T) string { return kubeconfigFor(t, fakeServer(t, "Application")) }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRemote(tc.kubeconfig(t), scheme)
			r.ProbeInterval = time.Hour
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.Start(ctx) }()
			// Start probes at once; wait until the first probe left its mark.
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) && r.Err() != nil && strings.Contains(r.Err().Error(), "not contacted yet") {
				time.Sleep(20 * time.Millisecond)
			}
			c, err := r.Client()
			if tc.wantErr == "" {
				if err != nil || c == nil {
					t.Errorf("Client() = %v, %v; want a client", c, err)
				}
			} else if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Client() error %v; want ErrUnreachable mentioning %q", err, tc.wantErr)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Start returned %v", err)
			}
		})
	}
}
