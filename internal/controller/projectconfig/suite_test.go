package projectconfig

import (
	"os"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/railyard-dev/railyard/internal/testenv"
)

// k is an uncached client of the envtest API server shared by the tests.
var k client.Client

func TestMain(m *testing.M) {
	var env *testenv.Env
	os.Exit(testenv.RunWithManager(m, func(mgr ctrl.Manager) error {
		k = env.Client
		return (&Reconciler{}).SetupWithManager(mgr)
	}, &env))
}

// eventually retries check until it returns nil (a hang guard, not a timing
// assertion).
func eventually(t *testing.T, check func() error) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, check)
}
