package manager

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/railyard-dev/railyard/internal/controller/warehouse"
	"github.com/railyard-dev/railyard/internal/expr"
	"github.com/railyard-dev/railyard/internal/promotion/argocdstep"
	"github.com/railyard-dev/railyard/internal/receiver"
)

// Lease timings, as controller-runtime's defaults.
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// BindFlags registers the manager's command-line flags on fs, writing into
// opts. cmd/manager uses it, and tests use it to start a manager from the
// arguments a rendered Deployment passes.
func BindFlags(fs *flag.FlagSet, opts *Options) {
	fs.StringVar(&opts.MetricsAddr, "metrics-bind-address", ":8080", "address the Prometheus metrics endpoint binds to; 0 disables it")
	fs.StringVar(&opts.ProbeAddr, "health-probe-bind-address", ":8081", "address the /healthz and /readyz probes bind to")
	fs.StringVar(&opts.PprofAddr, "pprof-bind-address", "", "address Go's profiles (/debug/pprof/) are served on, such as 127.0.0.1:6060; empty serves none")
	fs.BoolVar(&opts.LeaderElection, "leader-elect", false, "elect a leader so that only one replica reconciles at a time")
	fs.StringVar(&opts.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader election lease (defaults to the pod's)")
	fs.DurationVar(&opts.LeaderElectionLeaseDuration, "leader-election-lease-duration", DefaultLeaseDuration, "how long standby replicas wait after the leader's last renewal before taking the lease; a crashed leader's promotions resume after about this long")
	fs.DurationVar(&opts.LeaderElectionRenewDeadline, "leader-election-renew-deadline", DefaultRenewDeadline, "how long the leader keeps trying to renew before it stops leading; less than the lease duration")
	fs.DurationVar(&opts.LeaderElectionRetryPeriod, "leader-election-retry-period", DefaultRetryPeriod, "how often replicas try to acquire or renew the lease")
	fs.StringVar(&opts.Shard, "shard", "", "reconcile only objects of this shard (empty: objects without a shard)")
	fs.StringVar(&opts.WorkDir, "work-dir", "", "directory for Promotions' work directories, cleaned of stale ones at start (defaults to $TMPDIR/railyard-work)")
	fs.StringVar(&opts.GitCacheDir, "git-cache-dir", "", "directory of the git object cache promotions clone from (defaults to git-cache in the work directory)")
	fs.Func("git-cache-size", "bound of the git object cache, as a quantity such as 2Gi; 0 turns the cache off (default "+DefaultGitCacheSize+")", func(v string) error {
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return fmt.Errorf("not a quantity such as 2Gi: %w", err)
		}
		if q.Sign() < 0 {
			return errors.New("must not be negative")
		}
		opts.GitCacheSize = &q
		return nil
	})
	fs.StringVar(&opts.UIBaseURL, "ui-base-url", "", "base URL of the web UI, which expressions see as ctx.uiBaseUrl")
	fs.StringVar(&opts.SharedResourcesNamespace, "shared-resources-namespace", expr.DefaultSharedNamespace, "namespace whose generic-credential Secrets and ConfigMaps sharedSecret() and sharedConfigMap() read")
	fs.IntVar(&opts.PromotionConcurrency, "promotion-concurrency", 0, "how many Promotions of different Stages run at once (0: 4)")
	fs.IntVar(&opts.WarehouseConcurrency, "warehouse-concurrency", 0, fmt.Sprintf("how many Warehouses discover at once, sharing each registry's rate limit (0: %d)", warehouse.DefaultConcurrency))
	fs.IntVar(&opts.StageConcurrency, "stage-concurrency", 0, "how many Stages are reconciled at once (0: 4)")
	fs.Float64Var(&opts.RegistryRequestsPerSecond, "registry-requests-per-second", 0, "image discovery's requests per second to each registry host, shared by all Warehouses (0: 20, as Kargo; negative: no bound)")
	fs.Func("cache-by-tag-policy", "what image subscriptions' cacheByTag may do: Forbid, Allow (default), Require or Force, as Kargo's CACHE_BY_TAG_POLICY", func(v string) error {
		p, err := warehouse.ParseCacheByTagPolicy(v)
		if err != nil {
			return err
		}
		opts.CacheByTagPolicy = p
		return nil
	})
	fs.StringVar(&opts.HelmCommand, "helm", "", "helm binary for Helm chart inflation (defaults to $RAILYARD_HELM, then helm on PATH)")
	fs.StringVar(&opts.HelmGuardCommand, "helm-guard", "", "the helm guard program every helm run goes through (defaults to railyard-helm-guard next to the manager, else the manager itself)")
	fs.StringVar(&opts.WebhookReceiverBindAddress, "webhook-receiver-bind-address", "", "address webhook receivers listen on, such as :8090; empty disables them")
	fs.StringVar(&opts.WebhookReceiverBaseURL, "webhook-receiver-base-url", "", "public base URL of the webhook receivers, published with each receiver's path")
	fs.Float64Var(&opts.WebhookReceiverRate, "webhook-receiver-rate", receiver.DefaultRate, "deliveries per second each webhook receiver accepts, sustained")
	fs.IntVar(&opts.WebhookReceiverBurst, "webhook-receiver-burst", receiver.DefaultBurst, "deliveries each webhook receiver accepts in a burst before answering 429")
	fs.StringVar(&opts.SystemResourcesNamespace, "system-resources-namespace", DefaultSystemResourcesNamespace, "namespace holding the Secrets of the ClusterConfig's webhook receivers")
	// Sharding and a remote Argo CD (docs/sharding.md).
	fs.BoolVar(&opts.DefaultController, "default-controller", false, "with --shard, also reconcile objects of no shard and Projects, ProjectConfigs and receivers (Kargo's controller.isDefault)")
	fs.StringVar(&opts.ArgoCDKubeconfig, "argocd-kubeconfig", "", "kubeconfig of the cluster where Argo CD Applications live (defaults to the manager's cluster)")
	fs.StringVar(&opts.ArgoCDNamespace, "argocd-namespace", argocdstep.DefaultNamespace, "namespace of Argo CD Applications that argocd-update and argocd-wait steps name without one")
}
