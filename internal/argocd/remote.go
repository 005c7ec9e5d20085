package argocd

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
)

const (
	// DefaultRemoteTimeout bounds every request to a remote Argo CD
	// cluster, so an unreachable server fails a read within it instead of
	// holding a reconcile.
	DefaultRemoteTimeout = 10 * time.Second
	// DefaultProbeInterval is how often a remote Argo CD cluster is checked
	// for reachability.
	DefaultProbeInterval = 30 * time.Second
)

// ErrUnreachable wraps why the Argo CD cluster cannot be used; Stages that
// need Argo CD show it as the ArgoCDUnreachable reason.
var ErrUnreachable = errors.New("the Argo CD cluster is unreachable")

// Remote is the cluster Argo CD's Applications live in when that is not the
// manager's own (--argocd-kubeconfig). It is a manager Runnable: it probes
// the cluster until it answers, then starts a cluster.Cluster whose cache
// serves the Application watches registered with OnReady. A kubeconfig that
// does not load or a server that does not answer never stops the manager;
// Client and Err report it instead, and the probe keeps trying.
type Remote struct {
	// Kubeconfig is the path of the remote cluster's kubeconfig.
	Kubeconfig string
	// Scheme knows the Application kind.
	Scheme *runtime.Scheme
	// Timeout bounds each request; DefaultRemoteTimeout if zero.
	Timeout time.Duration
	// ProbeInterval is the time between probes; DefaultProbeInterval if zero.
	ProbeInterval time.Duration
	// Log receives reachability changes; ctrl.Log if unset.
	Log logr.Logger

	mu       sync.Mutex
	err      error
	client   client.Client
	cluster  cluster.Cluster
	onReady  []func(cache.Cache) error
	watching bool
}

// NewRemote returns a Remote that reports unreachable until its first
// successful probe.
func NewRemote(kubeconfig string, scheme *runtime.Scheme) *Remote {
	return &Remote{Kubeconfig: kubeconfig, Scheme: scheme,
		err: fmt.Errorf("%w: not contacted yet (kubeconfig %s)", ErrUnreachable, kubeconfig)}
}

// Err is nil while the remote cluster answered its last probe, else says
// why not (wrapping ErrUnreachable).
func (r *Remote) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Client returns a client of the remote cluster that reads past any cache,
// each request bounded by Timeout, or the reason it is unreachable.
func (r *Remote) Client() (client.Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return nil, r.err
	}
	return r.client, nil
}

// OnReady registers fn to run once with the remote cluster's cache when the
// cluster first answers: controllers add their Application watches there,
// since an informer for an unreachable cluster would never sync and a
// controller that waits for it would stop the manager.
func (r *Remote) OnReady(fn func(cache.Cache) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onReady = append(r.onReady, fn)
}

// NeedLeaderElection implements manager.LeaderElectionRunnable: watches
// are only useful to the leader's controllers.
func (r *Remote) NeedLeaderElection() bool { return true }

// Start implements manager.Runnable: probe until ctx ends.
func (r *Remote) Start(ctx context.Context) error {
	log := r.logger()
	interval := r.ProbeInterval
	if interval <= 0 {
		interval = DefaultProbeInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		err := r.probe(ctx)
		r.mu.Lock()
		prev := r.err
		r.err = err
		r.mu.Unlock()
		// Log changes only, not every probe of a lasting outage.
		switch {
		case err != nil && (prev == nil || prev.Error() != err.Error()):
			log.Error(err, "the Argo CD cluster cannot be used")
		case err == nil && prev != nil:
			log.Info("the Argo CD cluster answers", "kubeconfig", r.Kubeconfig)
		}
		if err == nil {
			if werr := r.startWatches(); werr != nil {
				log.Error(werr, "watching Argo CD Applications")
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// probe loads the kubeconfig (it may appear or be fixed while running, a
// Secret mounted late) and asks the server whether it serves Applications.
// The first success builds the clients, which are kept.
func (r *Remote) probe(ctx context.Context) error {
	cfg, err := r.restConfig()
	if err != nil {
		return err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	resources, err := dc.ServerResourcesForGroupVersion(GroupVersion.String())
	if err != nil {
		return fmt.Errorf("%w: asking %s for %s: %w", ErrUnreachable, cfg.Host, GroupVersion, err)
	}
	served := false
	for _, res := range resources.APIResources {
		served = served || res.Kind == ApplicationKind.Kind
	}
	if !served {
		return fmt.Errorf("%w: %s does not serve Argo CD Applications", ErrUnreachable, cfg.Host)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client == nil {
		c, err := client.New(cfg, client.Options{Scheme: r.Scheme})
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
		r.client = c
	}
	if r.cluster == nil {
		// Watches are long requests: a client timeout would cut them
		// every Timeout and make the informer list again. The server ends
		// watches itself, and the reflector reconnects.
		watchCfg := rest.CopyConfig(cfg)
		watchCfg.Timeout = 0
		cl, err := cluster.New(watchCfg, func(o *cluster.Options) { o.Scheme = r.Scheme })
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
		r.cluster = cl
		go func() {
			if err := cl.Start(ctx); err != nil {
				r.logger().Error(err, "the Argo CD cluster's cache stopped", "kubeconfig", r.Kubeconfig)
			}
		}()
	}
	return nil
}

func (r *Remote) logger() logr.Logger {
	if r.Log.GetSink() == nil {
		return ctrl.Log.WithName("argocd-remote")
	}
	return r.Log
}

func (r *Remote) restConfig() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", r.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("%w: loading kubeconfig %s: %w", ErrUnreachable, r.Kubeconfig, err)
	}
	cfg.Timeout = r.Timeout
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultRemoteTimeout
	}
	return cfg, nil
}

// startWatches runs the OnReady functions once.
func (r *Remote) startWatches() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.watching || r.cluster == nil {
		return nil
	}
	var errs []error
	for _, fn := range r.onReady {
		errs = append(errs, fn(r.cluster.GetCache()))
	}
	r.watching = true
	return errors.Join(errs...)
}
