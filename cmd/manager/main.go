// Command manager is the Railyard operator: it runs every reconciler, serves
// Prometheus metrics and health probes, and supports leader election.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/version"
)

func main() {
	ctx := ctrl.SetupSignalHandler()
	if err := run(ctx, os.Args[1:], nil); err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
		os.Exit(1)
	}
}

// run parses flags and runs the manager until ctx ends. cfg overrides the
// kubeconfig lookup (tests pass envtest's config).
func run(ctx context.Context, args []string, cfg *rest.Config) error {
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	var opts manager.Options
	manager.BindFlags(fs, &opts)
	zapOpts := zap.Options{Development: false}
	zapOpts.BindFlags(fs)
	printVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *printVersion {
		fmt.Println("manager", version.Get())
		return nil
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts), zap.RawZapOpts(lazyFields())))
	ctrl.Log.WithName("setup").Info("starting manager", "version", version.Get())

	if cfg == nil {
		var err error
		if cfg, err = ctrl.GetConfig(); err != nil {
			return fmt.Errorf("loading kubeconfig: %w", err)
		}
	}
	mgr, err := manager.New(cfg, opts)
	if err != nil {
		return err
	}
	return mgr.Start(ctx)
}
