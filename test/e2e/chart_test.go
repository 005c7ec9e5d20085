package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/test/chart"
)

// TestChartManagerPromotes runs the demo pipeline with a manager started
// from the arguments the Helm chart's Deployment passes, parsed by the
// manager's own flag set: a flag the chart renders wrongly, or one the
// manager does not know, fails here rather than in a user's cluster.
func TestChartManagerPromotes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The lease goes to "default", a namespace envtest has; leader election
	// stays on, as in a cluster. Shard and Argo CD values keep their
	// defaults: the demo's objects have no shard.
	manifests, err := chart.Template(ctx, nil, "--set", "leaderElection.namespace=default", "--set", "logLevel=debug", "--set", "promotionConcurrency=2")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := chart.Objects(manifests)
	if err != nil {
		t.Fatal(err)
	}
	args, err := chart.ManagerArgs(objs)
	if err != nil {
		t.Fatal(err)
	}
	flags, err := chart.ParseManagerArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	if len(flags.Pending) > 0 {
		t.Fatalf("the default values render flags the manager does not know yet: %q", flags.Pending)
	}
	if !flags.Options.LeaderElection || flags.Options.WebhookReceiverBindAddress == "" || flags.Options.PromotionConcurrency != 2 {
		t.Fatalf("the chart's arguments %q did not parse into leader election, receivers and a concurrency of 2: %+v", args, flags.Options)
	}

	pw := startPipelineWorld(t, demoArgoInterval, func(o *manager.Options) {
		workDir := o.WorkDir
		*o = flags.Options
		// Only what a test process must change: no fixed ports (tests run
		// in parallel packages), a temporary work directory instead of the
		// pod's emptyDir, and several managers in one process.
		o.MetricsAddr, o.ProbeAddr = "0", "0"
		o.WebhookReceiverBindAddress = "127.0.0.1:0"
		o.WorkDir = workDir
		o.SkipControllerNameValidation = true
	})
	// Auto-promotion to test, then a person's Promotion to staging.
	f := pw.freightVerifiedInTest(t, "v1.0.0")
	pw.promote(t, "staging", f)
}

// demoArgoInterval is how often the Argo CD stand-in looks at Applications.
const demoArgoInterval = 50 * time.Millisecond
