package e2e

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/railyard-dev/railyard/internal/demo"
	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// managerLog holds everything the managers of this test binary logged.
var managerLog syncBuffer

var logsOnce sync.Once

// setupManagerLogs points controller-runtime's logger, which can be set only
// once per process, where every manager of this binary logs: into
// managerLog for tests that scan it, nowhere for benchmarks (their logs
// would count in the memory they measure); to stderr as well with
// RAILYARD_TEST_LOG=1. The first test or benchmark to start a manager
// decides.
func setupManagerLogs(tb testing.TB) {
	logsOnce.Do(func() {
		var out io.Writer = &managerLog
		if _, bench := tb.(*testing.B); bench {
			out = io.Discard
		}
		if os.Getenv("RAILYARD_TEST_LOG") != "" {
			out = io.MultiWriter(out, os.Stderr)
		}
		ctrl.SetLogger(zap.New(zap.UseDevMode(true), zap.WriteTo(out)))
	})
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runningManager is a Railyard manager started by a test; stop ends it and
// waits, as killing the process would.
type runningManager struct {
	// elected is closed once the manager leads (at once without leader
	// election).
	elected <-chan struct{}
	cancel  context.CancelFunc
	done    chan error
	err     error // what Start returned, once stopped
	stopped sync.Once
}

func startManager(t *testing.T, env *testenv.Env, workDir string) *runningManager {
	t.Helper()
	return startManagerWith(t, env, workDir, nil)
}

// startManagerWith starts a manager whose options tune may change.
func startManagerWith(t *testing.T, env *testenv.Env, workDir string, tune func(*manager.Options)) *runningManager {
	t.Helper()
	return startManagerOn(t, env.Config, workDir, tune)
}

// startManagerOn starts a manager that reaches the API server through cfg
// (failover tests cut one replica off through it).
func startManagerOn(t testing.TB, cfg *rest.Config, workDir string, tune func(*manager.Options)) *runningManager {
	t.Helper()
	setupManagerLogs(t)
	opts := manager.Options{
		MetricsAddr:                  "0",
		ProbeAddr:                    "0",
		WorkDir:                      workDir,
		SkipControllerNameValidation: true,
	}
	if tune != nil {
		tune(&opts)
	}
	mgr, err := manager.New(cfg, opts)
	if err != nil {
		t.Fatalf("creating the manager: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &runningManager{elected: mgr.Elected(), cancel: cancel, done: make(chan error, 1)}
	go func() { m.done <- mgr.Start(ctx) }()
	t.Cleanup(m.stop)
	return m
}

// stop may be called more than once (a test kills a manager, cleanup stops
// it again); only the first call waits.
func (m *runningManager) stop() {
	m.stopped.Do(func() {
		m.cancel()
		select {
		case m.err = <-m.done:
		case <-time.After(time.Minute):
		}
	})
}

// argoStandIn wraps the demo's stand-in for Argo CD's application
// controller, which cannot run here: it completes each sync operation that
// argocd-update requests and reports the Application Synced and Healthy.
// The test records what it synced and pauses it to keep a Promotion waiting
// in argocd-update.
type argoStandIn struct {
	demo.ArgoStandIn
	mu     sync.Mutex
	synced map[string][]string // Application -> revisions synced, in order
}

func startArgoStandIn(t *testing.T, c client.Client) *argoStandIn {
	a := &argoStandIn{synced: map[string][]string{}}
	a.Client = c
	a.OnSync = func(app, revision string) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.synced[app] = append(a.synced[app], revision)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return a
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
