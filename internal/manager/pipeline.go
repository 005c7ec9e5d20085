package manager

import (
	"context"
	"fmt"
	"path/filepath"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/controller/index"
	"github.com/railyard-dev/railyard/internal/controller/preview"
	promotionctrl "github.com/railyard-dev/railyard/internal/controller/promotion"
	"github.com/railyard-dev/railyard/internal/controller/stage"
	"github.com/railyard-dev/railyard/internal/credentials"
	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/promotion/argocdstep"
	"github.com/railyard-dev/railyard/internal/promotion/gitsteps"
	"github.com/railyard-dev/railyard/internal/promotion/metasteps"
	"github.com/railyard-dev/railyard/internal/promotion/netsteps"
	"github.com/railyard-dev/railyard/internal/promotion/prsteps"
	"github.com/railyard-dev/railyard/internal/promotion/steps"
)

// NewStepRegistry returns every built-in promotion step, cloning without
// a git object cache, with Argo CD in the manager's cluster.
func NewStepRegistry(opts Options) *promotion.Registry { return newStepRegistry(opts, nil, nil) }

// newStepRegistry returns every built-in promotion step, cloning through
// cache when set, the Argo CD ones working on remote's cluster when set.
func newStepRegistry(opts Options, cache *git.Cache, remote *argocd.Remote) *promotion.Registry {
	stepOpts := steps.Options{HelmCommand: opts.HelmCommand, GuardCommand: opts.HelmGuardCommand}
	if cache != nil {
		// Charts are cached when git objects are, in the work directory
		// (never swept; outside every Promotion's own directory).
		stepOpts.ChartCacheDir = filepath.Join(workDir(opts), "helm-charts")
	}
	r := promotion.NewRegistry(steps.Builtins(stepOpts)...)
	gitOpts := gitsteps.Options{InsecureIgnoreHostKey: opts.InsecureIgnoreSSHHostKey, Cache: cache}
	for _, s := range gitsteps.Steps(gitOpts) {
		r.Register(s)
	}
	r.Register(argocdstep.Step{Namespace: opts.ArgoCDNamespace, Remote: remote})
	// argocd-wait remembers the health it saw last, so it is registered once.
	r.Register(&argocdstep.Wait{Namespace: opts.ArgoCDNamespace, Remote: remote})
	for _, s := range netsteps.Steps(netsteps.Options{}) {
		r.Register(s)
	}
	for _, s := range metasteps.Steps() {
		r.Register(s)
	}
	for _, s := range prsteps.Steps(prsteps.Options{Git: gitOpts}) {
		r.Register(s)
	}
	return r
}

// setupPipeline registers the Stage and Promotion reconcilers and the field
// indexes they list by. Promotions find credentials through store, the
// watch-backed Store discovery uses.
func setupPipeline(mgr ctrl.Manager, opts Options, store credentials.Store) error {
	if err := index.Register(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	if opts.LeaderElection {
		removed, err := removeWorkDirs(workDir(opts))
		if err != nil {
			return err
		}
		if removed > 0 {
			ctrl.Log.WithName("setup").Info("removed Promotion work directories another replica may have outdated", "count", removed)
		}
	}
	cache, err := gitCache(opts)
	if err != nil {
		return err
	}
	remote, err := argoCDRemote(mgr, opts)
	if err != nil {
		return err
	}
	eng := &promotion.Engine{
		Registry:    newStepRegistry(opts, cache, remote),
		Client:      mgr.GetClient(),
		Reader:      mgr.GetAPIReader(),
		Credentials: promotionCredentials{store: store},
		WorkRoot:    workDir(opts),
		Expressions: promotion.ExpressionSettings{UIBaseURL: opts.UIBaseURL, SharedResourcesNamespace: opts.SharedResourcesNamespace},
	}
	if cache != nil {
		// Pooled trees move in and out of work directories by renaming,
		// so the pool lives beside them.
		if err := cache.PoolTrees(eng.WorkRoot, 0); err != nil {
			return err
		}
		eng.Reclaim = cache.Reclaim
	}
	if err := mgr.Add(&workDirSweeper{Reader: mgr.GetAPIReader(), Engine: eng}); err != nil {
		return fmt.Errorf("adding the work directory sweeper: %w", err)
	}
	// With a remote Argo CD, Applications are watched there (Remote), and
	// the manager's own cluster need not serve them.
	watchApps := remote == nil && applicationsServed(mgr)
	if err := (&promotionctrl.Reconciler{
		Client:            mgr.GetClient(),
		APIReader:         mgr.GetAPIReader(),
		Engine:            eng,
		Recorder:          mgr.GetEventRecorder("promotion-controller"),
		WatchApplications: watchApps,
		ArgoCD:            remote,
		Shard:             opts.shardFilter(),

		MaxConcurrentReconciles: opts.PromotionConcurrency,
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the Promotion reconciler: %w", err)
	}
	if err := (&stage.Reconciler{
		Client:            mgr.GetClient(),
		APIReader:         mgr.GetAPIReader(),
		Recorder:          mgr.GetEventRecorder("stage-controller"),
		WatchApplications: watchApps,
		ArgoCD:            remote,
		Shard:             opts.shardFilter(),

		MaxConcurrentReconciles: opts.StageConcurrency,
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the Stage reconciler: %w", err)
	}
	if err := (&preview.Reconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Engine:    eng,
		Recorder:  mgr.GetEventRecorder("preview-controller"),
		Shard:     opts.shardFilter(),
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the PromotionPreview reconciler: %w", err)
	}
	return nil
}

// argoCDRemote returns the Argo CD cluster of --argocd-kubeconfig, added to
// the manager so it probes and watches it; nil without the flag. Whether
// the kubeconfig loads and the server answers is its business at run time,
// not a reason to fail here.
func argoCDRemote(mgr ctrl.Manager, opts Options) (*argocd.Remote, error) {
	if opts.ArgoCDKubeconfig == "" {
		return nil, nil
	}
	remote := argocd.NewRemote(opts.ArgoCDKubeconfig, mgr.GetScheme())
	remote.ProbeInterval = opts.ArgoCDProbeInterval
	remote.Log = mgr.GetLogger().WithName("argocd-remote")
	if err := mgr.Add(remote); err != nil {
		return nil, fmt.Errorf("adding the Argo CD cluster: %w", err)
	}
	return remote, nil
}

// applicationsServed reports whether Argo CD's Application CRD is
// installed, so Stages and Promotions can watch Applications (an informer
// for a kind the API server does not serve would keep the manager from
// starting). Without it, health checks
// still read Applications directly and report the CRD missing.
func applicationsServed(mgr ctrl.Manager) bool {
	_, err := mgr.GetRESTMapper().RESTMapping(schema.GroupKind{Group: argocd.GroupVersion.Group, Kind: argocd.ApplicationKind.Kind}, argocd.GroupVersion.Version)
	if err != nil && !meta.IsNoMatchError(err) {
		ctrl.Log.WithName("setup").Error(err, "checking for Argo CD's Application CRD")
	}
	return err == nil
}

// promotionCredentials serves the promotion steps from credential Secrets.
type promotionCredentials struct{ store credentials.Store }

func (p promotionCredentials) Get(ctx context.Context, namespace, credType, repoURL string) (*promotion.Credentials, error) {
	c, err := p.store.Get(ctx, namespace, credentials.Kind(credType), repoURL)
	if err != nil || c == nil {
		return nil, err
	}
	return &promotion.Credentials{Username: c.Username, Password: c.Password, SSHPrivateKey: string(c.SSHPrivateKey),
		GitHubAppID: c.GitHubAppID, GitHubAppClientID: c.GitHubAppClientID,
		GitHubAppInstallationID: c.GitHubAppInstallationID, GitHubAppPrivateKey: string(c.GitHubAppPrivateKey),
		Provider: c.Provider}, nil
}

// gitCache opens the git object cache promotions clone from, or returns
// nil when it is turned off (a size of zero).
func gitCache(opts Options) (*git.Cache, error) {
	size := opts.GitCacheSize
	if size == nil {
		q := resource.MustParse(DefaultGitCacheSize)
		size = &q
	}
	if size.IsZero() {
		return nil, nil
	}
	dir := opts.GitCacheDir
	if dir == "" {
		dir = filepath.Join(workDir(opts), "git-cache")
	}
	cache, err := git.NewCache(dir, size.Value())
	if err != nil {
		return nil, fmt.Errorf("opening the git cache: %w", err)
	}
	return cache, nil
}
