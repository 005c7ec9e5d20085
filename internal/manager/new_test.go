package manager_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// New registers the Freight checker next to the Warehouse controller and
// the Freight content index once for both (a second registration would
// fail New): hand-made Freight of a missing Warehouse is completed and
// rejected, and a second Freight with its content is found through the
// index and rejected as a repeat.
func TestNewChecksFreight(t *testing.T) {
	ctrl.SetLogger(logr.Discard())
	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pprofAddr := l.Addr().String()
	_ = l.Close()
	mgr, err := manager.New(env.Config, manager.Options{
		MetricsAddr: "0", ProbeAddr: "0", WorkDir: t.TempDir(), SkipControllerNameValidation: true, PprofAddr: pprofAddr,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})

	// --pprof-bind-address serves Go's profiles.
	testenv.Eventually(t, time.Minute, func() error {
		resp, err := http.Get("http://" + pprofAddr + "/debug/pprof/cmdline")
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/debug/pprof/cmdline: %s", resp.Status)
		}
		return nil
	})

	c := env.Client
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "mgr-"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	newFreight := func(name string) *railyard.Freight {
		return &railyard.Freight{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: name},
			Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "gone"},
			Images:     []railyard.Image{{RepoURL: "ghcr.io/org/app", Tag: "v1"}},
		}
	}
	// Names order Freight created in one second: "a" is the older.
	for _, f := range []*railyard.Freight{newFreight("a"), newFreight("b")} {
		if err := c.Create(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ name, wantRejected string }{
		{"a", "origin Warehouse gone does not exist"},
		{"b", "holds the same artifacts as Freight a"},
	}
	for _, tt := range tests {
		testenv.Eventually(t, time.Minute, func() error {
			f := &railyard.Freight{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: tt.name}, f); err != nil {
				return err
			}
			if f.Alias == "" || f.Labels[railyard.LabelAlias] != f.Alias || f.DiscoveredAt == nil {
				return fmt.Errorf("Freight %s not completed: alias %q, labels %v", f.Name, f.Alias, f.Labels)
			}
			if got := f.Annotations[railyard.AnnotationRejected]; !strings.Contains(got, tt.wantRejected) {
				return fmt.Errorf("Freight %s rejected with %q, want %q", f.Name, got, tt.wantRejected)
			}
			return nil
		})
	}

	// The manager's caches hold no managedFields (they are much of a
	// small object's size); the API server still has them.
	direct, cached := &railyard.Freight{}, &railyard.Freight{}
	key := client.ObjectKey{Namespace: ns.Name, Name: "a"}
	if err := c.Get(ctx, key, direct); err != nil {
		t.Fatal(err)
	}
	if err := mgr.GetClient().Get(ctx, key, cached); err != nil {
		t.Fatal(err)
	}
	if len(direct.ManagedFields) == 0 || len(cached.ManagedFields) != 0 {
		t.Errorf("managedFields: %d entries on the server, %d in the cache; want some and none", len(direct.ManagedFields), len(cached.ManagedFields))
	}
}
