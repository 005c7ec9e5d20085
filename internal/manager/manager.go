// Package manager assembles the controller-runtime manager: the scheme, the
// reconcilers, metrics, health probes and leader election.
package manager

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Options configure the manager.
type Options struct {
	// MetricsAddr is where Prometheus metrics are served; "0" disables them.
	MetricsAddr string
	// ProbeAddr is where /healthz and /readyz are served.
	ProbeAddr string
	// LeaderElection makes replicas elect one leader.
	LeaderElection bool
	// LeaderElectionNamespace holds the lease; empty means the pod's.
	LeaderElectionNamespace string
	// Shard restricts reconcilers to objects of one shard.
	Shard string
}

// LeaderElectionID names the lease replicas compete for.
const LeaderElectionID = "manager.railyard.dev"

// NewScheme returns a scheme with the Kubernetes and Railyard kinds.
func NewScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("adding Kubernetes kinds to the scheme: %w", err)
	}
	if err := railyard.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("adding Railyard kinds to the scheme: %w", err)
	}
	return scheme, nil
}

// New builds a manager with every Railyard reconciler registered.
func New(cfg *rest.Config, opts Options) (ctrl.Manager, error) {
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsserver.Options{BindAddress: opts.MetricsAddr},
		HealthProbeBindAddress:  opts.ProbeAddr,
		LeaderElection:          opts.LeaderElection,
		LeaderElectionID:        LeaderElectionID,
		LeaderElectionNamespace: opts.LeaderElectionNamespace,
	})
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding readiness check: %w", err)
	}
	return mgr, nil
}
