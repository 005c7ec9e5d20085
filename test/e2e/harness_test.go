package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// runningManager is a Railyard manager started by a test; stop ends it and
// waits, as killing the process would.
type runningManager struct {
	cancel context.CancelFunc
	done   chan error
	err    error // what Start returned, once stopped
}

func startManager(t *testing.T, env *testenv.Env, workDir string) *runningManager {
	t.Helper()
	// The manager's logs go to stderr with RAILYARD_TEST_LOG=1, else nowhere.
	if os.Getenv("RAILYARD_TEST_LOG") != "" {
		ctrl.SetLogger(zap.New(zap.UseDevMode(true)))
	} else {
		ctrl.SetLogger(logr.Discard())
	}
	mgr, err := manager.New(env.Config, manager.Options{
		MetricsAddr:                  "0",
		ProbeAddr:                    "0",
		WorkDir:                      workDir,
		SkipControllerNameValidation: true,
	})
	if err != nil {
		t.Fatalf("creating the manager: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &runningManager{cancel: cancel, done: make(chan error, 1)}
	go func() { m.done <- mgr.Start(ctx) }()
	t.Cleanup(m.stop)
	return m
}

func (m *runningManager) stop() {
	m.cancel()
	select {
	case m.err = <-m.done:
	case <-time.After(time.Minute):
	}
}

// argoStandIn stands in for Argo CD's application controller, which cannot
// run here: it picks up each sync operation that argocd-update requests,
// "syncs" the requested revision, and reports the Application Synced and
// Healthy, the way Argo CD records a finished operation. Pause it to keep a
// Promotion waiting in argocd-update.
type argoStandIn struct {
	c      client.Client
	paused atomic.Bool
	mu     sync.Mutex
	synced map[string][]string // Application -> revisions synced, in order
}

func startArgoStandIn(t *testing.T, c client.Client) *argoStandIn {
	a := &argoStandIn{c: c, synced: map[string][]string{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if !a.paused.Load() {
					a.syncAll(ctx)
				}
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return a
}

func (a *argoStandIn) syncAll(ctx context.Context) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(argocd.ApplicationListKind)
	if err := a.c.List(ctx, list, client.InNamespace("argocd")); err != nil {
		return
	}
	for i := range list.Items {
		app := &list.Items[i]
		op, ok := app.Object["operation"].(map[string]any)
		if !ok {
			continue
		}
		revision, _, _ := unstructured.NestedString(op, "sync", "revision")
		now := time.Now().UTC()
		delete(app.Object, "operation")
		opState := map[string]any{
			"operation":  runtime.DeepCopyJSONValue(op),
			"phase":      "Succeeded",
			"message":    "successfully synced (stand-in)",
			"startedAt":  now.Format(time.RFC3339),
			"finishedAt": now.Format(time.RFC3339),
			"syncResult": map[string]any{"revision": revision},
		}
		_ = unstructured.SetNestedField(app.Object, opState, "status", "operationState")
		_ = unstructured.SetNestedField(app.Object, map[string]any{"status": "Synced", "revision": revision}, "status", "sync")
		_ = unstructured.SetNestedField(app.Object, map[string]any{"status": "Healthy"}, "status", "health")
		_ = unstructured.SetNestedField(app.Object, now.Add(time.Second).Format(time.RFC3339), "status", "reconciledAt")
		if err := a.c.Update(ctx, app); err != nil {
			continue
		}
		a.mu.Lock()
		a.synced[app.GetName()] = append(a.synced[app.GetName()], revision)
		a.mu.Unlock()
	}
}

func (a *argoStandIn) syncedRevisions(app string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.synced[app]...)
}

// eventually polls cond until it holds or the bound passes. The bound only
// keeps a broken run from hanging; no test asserts how fast things happen.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("gave up waiting for %s; last state: %s", what, last)
}

// removeWorkDirs deletes every Promotion work directory, as a manager moved
// to another node would find them gone.
func removeWorkDirs(t *testing.T, root string) int {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "promotion-") {
			if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	return n
}
