package preview_test

import (
	"context"
	"os"
	"testing"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/railyard-dev/railyard/internal/controller/index"
	"github.com/railyard-dev/railyard/internal/controller/preview"
	engine "github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/promotion/argocdstep"
	"github.com/railyard-dev/railyard/internal/promotion/gitsteps"
	"github.com/railyard-dev/railyard/internal/promotion/steps"
	"github.com/railyard-dev/railyard/internal/testenv"
)

var (
	env *testenv.Env
	// workRoot is the engine's work directory, checked for leftovers.
	workRoot string
)

// TestMain runs the preview reconciler alone, with the real steps,
// argocd-update among them (no Argo CD is installed: were it run, it
// would fail); each test brings a real git server.
func TestMain(m *testing.M) {
	ctrl.SetLogger(logr.Discard())
	var err error
	if workRoot, err = os.MkdirTemp("", "preview-test-"); err != nil {
		panic(err)
	}
	code := testenv.RunWithManager(m, func(mgr ctrl.Manager) error {
		if err := index.Register(context.Background(), mgr.GetFieldIndexer()); err != nil {
			return err
		}
		eng := &engine.Engine{
			Registry: Registry(),
			Client:   mgr.GetClient(),
			Reader:   mgr.GetAPIReader(),
			WorkRoot: workRoot,
		}
		return (&preview.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Engine: eng}).SetupWithManager(mgr)
	}, &env)
	_ = os.RemoveAll(workRoot)
	os.Exit(code)
}

// Registry holds the built-in steps a preview may meet.
func Registry() *engine.Registry {
	r := engine.NewRegistry(steps.Builtins(steps.Options{})...)
	for _, s := range gitsteps.Steps(gitsteps.Options{}) {
		r.Register(s)
	}
	r.Register(argocdstep.Step{Namespace: "argocd"})
	return r
}
