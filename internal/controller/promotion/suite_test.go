package promotion_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/railyard-dev/railyard/internal/argocd/argocdtest"
	"github.com/railyard-dev/railyard/internal/controller/index"
	promotionctrl "github.com/railyard-dev/railyard/internal/controller/promotion"
	engine "github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/promotion/argocdstep"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// env is the control plane shared by the tests, with Argo CD's
// Application CRD installed.
var env *testenv.Env

// fallbackPoll is the argocd steps' poll in these tests: far longer than
// any test waits, so only a watch can finish a step that waits.
const fallbackPoll = time.Hour

// TestMain runs the Promotion reconciler alone (no Stage reconciler: the
// tests publish status.currentPromotion themselves), so nothing but its
// own watches wakes a Promotion.
func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	crd, err := argocdtest.TestCRDPath()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if env, err = testenv.Start(testenv.Options{ExtraCRDPaths: []string{crd}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	ctrl.SetLogger(logr.Discard())
	skip := true
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                 env.Client.Scheme(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: &skip},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := index.Register(context.Background(), mgr.GetFieldIndexer()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	work, err := os.MkdirTemp("", "promotion-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(work) }()
	eng := &engine.Engine{
		Registry: engine.NewRegistry(
			argocdstep.Step{PollInterval: fallbackPoll},
			&argocdstep.Wait{PollInterval: fallbackPoll},
		),
		Client:   mgr.GetClient(),
		Reader:   mgr.GetAPIReader(),
		WorkRoot: work,
	}
	r := &promotionctrl.Reconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Engine: eng, WatchApplications: true,
	}
	if err := r.SetupWithManager(mgr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
	}
	return code
}
