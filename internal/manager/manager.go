// Package manager assembles the controller-runtime manager: the scheme, the
// reconcilers, metrics, health probes and leader election.
package manager

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/go-logr/logr"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/railyard-dev/railyard/internal/controller/clusterconfig"
	"github.com/railyard-dev/railyard/internal/controller/freightcheck"
	"github.com/railyard-dev/railyard/internal/controller/project"
	"github.com/railyard-dev/railyard/internal/controller/projectconfig"
	"github.com/railyard-dev/railyard/internal/controller/shard"
	"github.com/railyard-dev/railyard/internal/controller/warehouse"
	"github.com/railyard-dev/railyard/internal/credentials"
	"github.com/railyard-dev/railyard/internal/discovery/image"
	"github.com/railyard-dev/railyard/internal/ecr"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/receiver"
	"github.com/railyard-dev/railyard/internal/scheme"
)

// Options configure the manager.
type Options struct {
	// MetricsAddr is where Prometheus metrics are served; "0" disables them.
	MetricsAddr string
	// ProbeAddr is where /healthz and /readyz are served.
	ProbeAddr string
	// PprofAddr is where Go's profiles (/debug/pprof/) are served; empty
	// (the default) serves none.
	PprofAddr string
	// LeaderElection makes replicas elect one leader.
	LeaderElection bool
	// LeaderElectionNamespace holds the lease; empty means the pod's.
	LeaderElectionNamespace string
	// LeaderElectionLeaseDuration, LeaderElectionRenewDeadline and
	// LeaderElectionRetryPeriod tune the lease; zero means
	// DefaultLeaseDuration, DefaultRenewDeadline and DefaultRetryPeriod.
	// A crashed leader's work resumes on another replica after up to
	// LeaseDuration plus RetryPeriod; shorter leases fail over sooner but
	// cost more API writes and lose leadership on a briefly slow API server.
	LeaderElectionLeaseDuration time.Duration
	LeaderElectionRenewDeadline time.Duration
	LeaderElectionRetryPeriod   time.Duration
	// Shard restricts reconcilers to objects of one shard
	// (docs/sharding.md); empty makes this the default manager, which
	// reconciles objects of no shard.
	Shard string
	// DefaultController makes a manager with a Shard also reconcile
	// objects of no shard and the kinds that have none (Projects,
	// ProjectConfigs, the ClusterConfig, webhook receivers), as Kargo's
	// controller.isDefault does.
	DefaultController bool
	// ArgoCDKubeconfig, when set, is the kubeconfig of the cluster where
	// Argo CD Applications live; empty means the manager's own cluster.
	ArgoCDKubeconfig string
	// ArgoCDNamespace is where argocd-update and argocd-wait look for
	// Applications unless a step names a namespace; empty means "argocd".
	ArgoCDNamespace string
	// ArgoCDProbeInterval is how often an ArgoCDKubeconfig cluster is
	// checked; zero means argocd.DefaultProbeInterval (tests shorten it).
	ArgoCDProbeInterval time.Duration
	// WorkDir holds Promotions' work directories; empty means
	// DefaultWorkDir. At start the manager removes the work directories of
	// Promotions that no longer need one.
	WorkDir string
	// GitCacheDir holds the git object cache; empty means "git-cache" in
	// the work directory (which is never swept).
	GitCacheDir string
	// GitCacheSize bounds the git object cache; nil means
	// DefaultGitCacheSize and zero turns the cache off.
	GitCacheSize *resource.Quantity
	// UIBaseURL is what expressions see as ctx.uiBaseUrl.
	UIBaseURL string
	// SharedResourcesNamespace is where sharedSecret() and
	// sharedConfigMap() read; empty means expr.DefaultSharedNamespace.
	SharedResourcesNamespace string
	// PromotionConcurrency is how many Promotions (of different Stages) run
	// at once; zero means the Promotion controller's default.
	PromotionConcurrency int
	// WarehouseConcurrency is how many Warehouses discover at once (each
	// registry's rate limit is shared by all); zero means
	// warehouse.DefaultConcurrency.
	WarehouseConcurrency int
	// StageConcurrency is how many Stages are reconciled at once; zero
	// means the Stage controller's default.
	StageConcurrency int
	// RegistryRequestsPerSecond bounds image discovery's requests to each
	// registry host, shared by every Warehouse; zero means
	// image.DefaultRequestsPerSecond (Kargo's 20), negative no bound.
	RegistryRequestsPerSecond float64
	// CacheByTagPolicy says what image subscriptions' cacheByTag may do
	// (Kargo's CACHE_BY_TAG_POLICY); empty is Allow.
	CacheByTagPolicy warehouse.CacheByTagPolicy
	// HelmCommand is the helm binary kustomize-build and helm-template run;
	// empty means $RAILYARD_HELM, bin/k8s/helm or helm on PATH.
	HelmCommand string
	// HelmGuardCommand is the program helm runs behind (package
	// helmguard); empty means railyard-helm-guard next to the manager,
	// else the manager itself.
	HelmGuardCommand string
	// InsecureIgnoreSSHHostKey skips SSH host key checks of git servers.
	// Only for development.
	InsecureIgnoreSSHHostKey bool
	// WebhookReceiverBindAddress is where webhook receivers listen; empty
	// disables them.
	WebhookReceiverBindAddress string
	// WebhookReceiverListener, when set, serves receivers instead of
	// binding WebhookReceiverBindAddress (tests).
	WebhookReceiverListener net.Listener
	// WebhookReceiverBaseURL is the receivers' public base URL, published
	// with each receiver's path in the config's status.
	WebhookReceiverBaseURL string
	// WebhookReceiverRate and WebhookReceiverBurst bound deliveries per
	// receiver; zero means receiver.DefaultRate and DefaultBurst.
	WebhookReceiverRate  float64
	WebhookReceiverBurst int
	// SystemResourcesNamespace holds the Secrets of the ClusterConfig's
	// webhook receivers; empty disables cluster-wide receivers.
	SystemResourcesNamespace string
	// SkipControllerNameValidation lets tests run several managers in one
	// process.
	SkipControllerNameValidation bool
}

// DefaultGitCacheSize bounds the git object cache unless told otherwise.
const DefaultGitCacheSize = "2Gi"

// orDefault is d, or def when d is not positive, as controller-runtime's
// options take it.
func orDefault(d, def time.Duration) *time.Duration {
	if d <= 0 {
		d = def
	}
	return &d
}

// LeaderElectionID names the lease replicas compete for; each shard's
// replicas have their own (ShardLeaderElectionID).
const LeaderElectionID = "manager.railyard.dev"

// ShardLeaderElectionID is the lease of a shard's replicas, so that
// managers of different shards on one cluster do not wait on each other.
func ShardLeaderElectionID(shard string) string {
	if shard == "" {
		return LeaderElectionID
	}
	return shard + "." + LeaderElectionID
}

// managerLogger tags a shard manager's logs with its shard, so that the
// logs of several managers can be told apart.
func managerLogger(opts Options) logr.Logger {
	if opts.Shard == "" {
		return ctrl.Log
	}
	return ctrl.Log.WithValues("shard", opts.Shard)
}

// shardFilter is this manager's share of Warehouses, Stages and Promotions.
func (o Options) shardFilter() shard.Filter {
	return shard.Filter{Name: o.Shard, Default: o.DefaultController}
}

// NewScheme returns a scheme with the Kubernetes, Railyard and Argo CD
// kinds.
func NewScheme() (*runtime.Scheme, error) { return scheme.New() }

// New builds a manager with every Railyard reconciler registered.
func New(cfg *rest.Config, opts Options) (ctrl.Manager, error) {
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: opts.MetricsAddr},
		HealthProbeBindAddress: opts.ProbeAddr,
		PprofBindAddress:       opts.PprofAddr,
		// No reconciler reads managedFields, and at 1,000 apps (10,000
		// Freight, 3,000 Stages and Applications) they are a large part
		// of what the caches hold. An Update without them leaves the
		// server's as they are.
		Cache:                   cache.Options{DefaultTransform: cache.TransformStripManagedFields()},
		LeaderElection:          opts.LeaderElection,
		LeaderElectionID:        ShardLeaderElectionID(opts.Shard),
		LeaderElectionNamespace: opts.LeaderElectionNamespace,
		LeaseDuration:           orDefault(opts.LeaderElectionLeaseDuration, DefaultLeaseDuration),
		RenewDeadline:           orDefault(opts.LeaderElectionRenewDeadline, DefaultRenewDeadline),
		RetryPeriod:             orDefault(opts.LeaderElectionRetryPeriod, DefaultRetryPeriod),
		// A replica that stops cleanly (rollout, drain) gives the lease up
		// at once instead of leaving it to expire: its promotions resume on
		// the next leader within a retry period. controller-runtime
		// releases it only after the reconcilers have stopped, and
		// cmd/manager exits as soon as Start returns, so two replicas do
		// not run a promotion at once.
		LeaderElectionReleaseOnCancel: true,
		Controller:                    config.Controller{SkipNameValidation: &opts.SkipControllerNameValidation},
		Logger:                        managerLogger(opts),
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
	creds, err := setupFreightSources(mgr, opts)
	if err != nil {
		return nil, err
	}
	// Kinds without a shard are the default manager's alone, so that shard
	// managers against the same cluster never race it.
	if opts.shardFilter().TakesUnlabelled() {
		if err := (&project.Reconciler{}).SetupWithManager(mgr); err != nil {
			return nil, fmt.Errorf("setting up the Project reconciler: %w", err)
		}
		if err := setupReceivers(mgr, opts); err != nil {
			return nil, err
		}
	}
	if err := setupPipeline(mgr, opts, creds); err != nil {
		return nil, err
	}
	return mgr, nil
}

// setupFreightSources registers the Warehouse reconciler, which makes
// Freight, the Freight checker, which completes and checks it, and the
// Freight content index both look Freight up by (registered once: a
// second registration of one index fails).
func setupFreightSources(mgr ctrl.Manager, opts Options) (credentials.Store, error) {
	if err := freight.IndexContent(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return credentials.Store{}, err
	}
	ecrProvider, err := ecr.New(ecr.Options{})
	if err != nil {
		return credentials.Store{}, fmt.Errorf("creating the ECR token provider: %w", err)
	}
	creds, err := warehouse.SetupWithManager(mgr, warehouse.Options{
		Shard: opts.shardFilter(), ECR: ecrProvider, MaxConcurrentReconciles: opts.WarehouseConcurrency,
		Image: image.Config{RequestsPerSecond: opts.RegistryRequestsPerSecond}, CacheByTagPolicy: opts.CacheByTagPolicy,
	})
	if err != nil {
		return credentials.Store{}, err
	}
	return creds, (&freightcheck.Reconciler{Shard: opts.shardFilter()}).SetupWithManager(mgr)
}

// DefaultSystemResourcesNamespace holds cluster-wide receivers' Secrets
// (Kargo's is kargo-system-resources).
const DefaultSystemResourcesNamespace = "railyard-system-resources"

// setupReceivers registers the ProjectConfig and ClusterConfig reconcilers,
// which publish receivers, and the receiver server when it has an address.
func setupReceivers(mgr ctrl.Manager, opts Options) error {
	if err := receiver.RegisterIndexes(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	if err := (&projectconfig.Reconciler{BaseURL: opts.WebhookReceiverBaseURL}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the ProjectConfig reconciler: %w", err)
	}
	cc := &clusterconfig.Reconciler{BaseURL: opts.WebhookReceiverBaseURL, SystemNamespace: opts.SystemResourcesNamespace}
	if err := cc.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the ClusterConfig reconciler: %w", err)
	}
	if opts.WebhookReceiverBindAddress == "" && opts.WebhookReceiverListener == nil {
		return nil
	}
	srv := receiver.NewServer(mgr.GetClient(), mgr.GetAPIReader(), receiver.Options{
		BindAddress:     opts.WebhookReceiverBindAddress,
		Listener:        opts.WebhookReceiverListener,
		SystemNamespace: opts.SystemResourcesNamespace,
		RatePerSecond:   opts.WebhookReceiverRate,
		Burst:           opts.WebhookReceiverBurst,
		Log:             slog.New(logr.ToSlogHandler(mgr.GetLogger().WithName("webhook-receiver"))),
	})
	if err := mgr.Add(srv); err != nil {
		return fmt.Errorf("adding the webhook receiver server: %w", err)
	}
	return nil
}
