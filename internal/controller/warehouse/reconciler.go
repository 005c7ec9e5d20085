// Package warehouse reconciles Warehouses: it discovers the images, charts
// and commits a Warehouse subscribes to, records them in its status and
// creates Freight from the newest of them. Freight that people create by
// hand is checked by package freightcheck.
//
// One pass: get the Warehouse; decide with shouldDiscover whether (and why)
// to discover now; discover every subscription, keeping the previous
// artifacts of any that fail, and publish Reconciling if that takes a while
// (unless the discovery is only periodic, see announce and announceLate);
// set conditions; create Freight; patch status once more. When new Freight
// depends only on the newest artifacts, it is created before the rest of
// the image discovery, which finishes in the background and is written by
// a later pass (finishings). Spec problems (a bad constraint, regex,
// criteria or credentials Secret) end in a condition and wait for a change;
// outages return an error so the work queue retries with backoff.
package warehouse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
	"github.com/railyard-dev/railyard/internal/controller/shard"
	"github.com/railyard-dev/railyard/internal/credentials"
	"github.com/railyard-dev/railyard/internal/discovery/chart"
	gitdisc "github.com/railyard-dev/railyard/internal/discovery/git"
	"github.com/railyard-dev/railyard/internal/discovery/image"
)

// ControllerName names the controller in logs, metrics and Events.
const ControllerName = "warehouse"

// Options configure the reconciler. The zero value works.
type Options struct {
	// Clock is injected so tests control "now"; default the real clock.
	Clock clock.PassiveClock
	// Image tunes the image discoverer (rate limits, retries); its OnRequest
	// defaults to the registry request metric.
	Image image.Config
	// Chart options for the chart discoverer; a transport wrapper counting
	// requests is always added first.
	Chart []chart.Option
	// ECR enables private Amazon ECR (tokens, push times); nil disables it
	// and ECR repositories are then treated like any registry.
	ECR ECR
	// Shard says which Warehouses this manager reconciles.
	Shard shard.Filter
	// MaxConcurrentReconciles defaults to DefaultConcurrency.
	MaxConcurrentReconciles int
	// DiscoveryTimeout bounds the discovery of one subscription;
	// DefaultDiscoveryTimeout when zero.
	DiscoveryTimeout time.Duration
	// CacheByTagPolicy says what image subscriptions' cacheByTag may do;
	// CacheByTagAllow when empty.
	CacheByTagPolicy CacheByTagPolicy
	// AnnounceAfter is how long a discovery someone waits on runs before
	// Reconciling is written; DefaultAnnounceAfter when zero, at once when
	// negative.
	AnnounceAfter time.Duration
}

// DefaultConcurrency is how many Warehouses discover at once by default.
// A discovery mostly waits: on registries (whose per-host rate limit the
// discoveries share, so more of them at once never asks a registry more
// often), on git servers (whose listings they share) and on the API
// server. With 4, as Kargo has, 100 Warehouses applied on a busy machine
// queued for seconds behind each other's round trips while the registry
// was asked 14 times a second of the 20 it allows.
const DefaultConcurrency = 16

const (
	// DefaultDiscoveryTimeout bounds the discovery of one subscription, so
	// that a registry, chart repository or git server that stops answering
	// shows as failing on the Warehouse (condition, lastError, Event)
	// within 30s of the poll starting. Healthy discoveries take seconds:
	// registries are rate limited to 20 requests/s per host and listings
	// are cached by digest.
	DefaultDiscoveryTimeout = 25 * time.Second
	// maxParallelDiscoveries is how many subscriptions of one Warehouse
	// are discovered at once, so that several stuck servers still fail
	// within one DefaultDiscoveryTimeout.
	maxParallelDiscoveries = 4
)

func (r *Reconciler) announceAfter() time.Duration {
	switch {
	case r.opts.AnnounceAfter < 0:
		return 0
	case r.opts.AnnounceAfter == 0:
		return DefaultAnnounceAfter
	}
	return r.opts.AnnounceAfter
}

// finishTimeout bounds the deferred part of an image discovery: its
// low-priority requests may first wait behind others for up to the image
// discoverer's MaxLowWait.
func (r *Reconciler) finishTimeout() time.Duration {
	wait := r.opts.Image.MaxLowWait
	if wait <= 0 {
		wait = image.DefaultMaxLowWait
	}
	return r.discoveryTimeout() + wait
}

func (r *Reconciler) discoveryTimeout() time.Duration {
	if r.opts.DiscoveryTimeout > 0 {
		return r.opts.DiscoveryTimeout
	}
	return DefaultDiscoveryTimeout
}

// Reconciler reconciles Warehouses. Its discoverers are created once and
// shared by every reconcile, so their caches (image metadata by digest,
// index validators, registry clients) last.
type Reconciler struct {
	client   client.Client
	creds    credentials.Store
	recorder reconcilehelp.Events
	clock    clock.PassiveClock
	images   *image.Discoverer
	charts   *chart.Discoverer
	ecr      ECR
	opts     Options
	// credChanges marks Warehouses whose credential Secrets changed.
	credChanges credentialChanges
	// quiet holds periodic discoveries that found nothing new.
	quiet quietDiscoveries
	// gitRefs shares git ref listings among periodic discoveries, and
	// among refreshes and specs seen before a listing began (sightings).
	gitRefs   *gitdisc.RefCache
	sightings sightings
	// gitHistories shares the branch histories discoveries fetch: every
	// Warehouse following a path of one repository reads the same commits.
	gitHistories *gitdisc.HistoryCache
	// finishing holds discoveries whose Freight exists while the rest of
	// their image discoveries goes on in the background.
	finishing *finishings
}

// New returns a Reconciler. apiReader reads Secrets without a cache.
func New(c client.Client, apiReader client.Reader, recorder events.EventRecorder, opts Options) *Reconciler {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Image.OnRequest == nil {
		opts.Image.OnRequest = countImageRequest
	}
	if opts.MaxConcurrentReconciles <= 0 {
		opts.MaxConcurrentReconciles = DefaultConcurrency
	}
	chartOpts := append([]chart.Option{chart.WithTransportWrapper(func(rt http.RoundTripper) http.RoundTripper {
		return countingTransport{next: rt}
	})}, opts.Chart...)
	return &Reconciler{
		client:   c,
		creds:    credentials.Store{Reader: apiReader},
		recorder: reconcilehelp.Events{Recorder: recorder},
		clock:    opts.Clock,
		images:   image.New(opts.Image),
		charts:   chart.New(chartOpts...),
		ecr:      opts.ECR,
		opts:     opts,
		gitRefs:  &gitdisc.RefCache{Now: opts.Clock.Now, MaxAge: maxSharedRefsAge},
		gitHistories: &gitdisc.HistoryCache{Now: opts.Clock.Now, MaxAge: maxSharedHistoryAge,
			MaxEntries: maxSharedHistories},
		finishing: newFinishings(),
	}
}

// SetupWithManager registers the Warehouse reconciler. A Warehouse is
// reconciled when its spec or annotations change, when a credentials Secret
// of its namespace changes, and at its interval. mgr's cache must have
// freight.ContentIndex (freight.IndexContent), which the Freight checker
// uses too, so the manager registers it once for both. It returns the
// credential Store discovery reads through (watch-backed, see
// credentials.NewCachedStore), for other controllers to share.
func SetupWithManager(mgr ctrl.Manager, opts Options) (credentials.Store, error) {
	r := New(mgr.GetClient(), mgr.GetAPIReader(), mgr.GetEventRecorder(ControllerName), opts)
	secrets, metadata, err := credentialSources(mgr, r.credentialHandler())
	if err != nil {
		return credentials.Store{}, err
	}
	r.creds = credentials.NewCachedStore(mgr.GetAPIReader(), metadata)
	b := ctrl.NewControllerManagedBy(mgr).
		Named(ControllerName).
		For(&railyard.Warehouse{}, builder.WithPredicates(r.sightings.predicate(r.clock.Now), opts.Shard.Predicate(),
			// A label moves a Warehouse between shards.
			predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.opts.MaxConcurrentReconciles})
	for _, src := range secrets {
		b = b.WatchesRawSource(src)
	}
	b = b.WatchesRawSource(source.Channel(r.finishing.events, &handler.EnqueueRequestForObject{}))
	if err := b.Complete(r); err != nil {
		return credentials.Store{}, fmt.Errorf("setting up the Warehouse controller: %w", err)
	}
	return r.creds, nil
}

// Reconcile is the shape of every Railyard reconciler (package
// reconcilehelp): get, skip what another shard owns, handle deletion, then
// reconcile with one status patcher and patch once more at the end.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	w := &railyard.Warehouse{}
	if err := r.client.Get(ctx, req.NamespacedName, w); err != nil {
		r.credChanges.take(req.NamespacedName)
		r.quiet.forget(req.NamespacedName)
		r.sightings.forget(req.NamespacedName)
		r.finishing.forget(req.NamespacedName)
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !r.opts.Shard.Responsible(w) || !w.DeletionTimestamp.IsZero() {
		// Another manager's (its shard changed since it was queued), or
		// going away: Freight outlives its Warehouse, nothing to clean up.
		r.finishing.forget(req.NamespacedName)
		return ctrl.Result{}, nil
	}
	fin := r.finishing.lookup(w)
	if fin != nil && !r.finishing.isDone(fin) {
		// The background work enqueues w when the rest is in.
		return ctrl.Result{}, nil
	}
	p := reconcilehelp.NewStatusPatcher(r.client, w)
	var result ctrl.Result
	var err error
	if fin != nil {
		r.finishing.forget(req.NamespacedName)
		result, err = r.complete(w, fin)
	} else {
		result, err = r.reconcile(ctx, w, p)
	}
	if perr := p.Patch(ctx, w); perr != nil {
		return ctrl.Result{}, errors.Join(err, perr)
	}
	return result, err
}

// reconcile runs one pass. p patches status against the last write, so
// the interim Reconciling patch and the final one each carry their changes.
func (r *Reconciler) reconcile(ctx context.Context, w *railyard.Warehouse, p *reconcilehelp.StatusPatcher) (ctrl.Result, error) {
	reason, wait := shouldDiscover(w, r.clock.Now(), r.credChanges.take(client.ObjectKeyFromObject(w)), r.quiet.get(w))
	if reason == "" {
		// A pass interrupted mid-discovery (a restart) must not leave
		// Reconciling behind.
		doneReconciling(w)
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	log.FromContext(ctx).V(1).Info("discovering", "reason", reason)
	before := append([]metav1.Condition(nil), w.Status.Conditions...)
	var announcement *lateAnnouncement
	if announce(reason) {
		announcement = announceLate(ctx, w, p, fmt.Sprintf("discovering %d subscriptions (%s)", len(w.Spec.Subscriptions), reason), r.announceAfter())
	}

	prev := w.Status.DeepCopy()
	token := refreshToken(w)
	start := r.clock.Now()
	notBefore := r.sightings.listedAfter(w, reason, token, refsNotBefore(w, reason, start))
	outcomes := r.discoverAll(ctx, w, start, notBefore, deferImages(w))
	if announcement != nil {
		if announced := announcement.stop(); announced != nil {
			announced.DeepCopyInto(w)
		}
	}
	done := r.clock.Now()
	if deferred(outcomes) {
		if r.detach(ctx, w, outcomes, before, start, done, token) {
			return ctrl.Result{}, nil
		}
		r.finishAll(ctx, w, outcomes, start)
	}
	s, freightErr := r.settle(ctx, w, outcomes, token, done)
	r.notifyTransitions(w, before)

	switch {
	case len(s.failed) > 0:
		// Returned so that the work queue retries with backoff.
		_, msg := s.problem()
		return ctrl.Result{}, errors.New(msg)
	case freightErr != nil:
		return ctrl.Result{}, freightErr
	}
	// Succeeded, or stalled on a spec problem: the pass is complete.
	w.Status.ObservedGeneration = w.Generation
	if reason == dueInterval && onlyTimesChanged(p, prev, w) && done.Sub(prev.DiscoveredArtifacts.DiscoveredAt.Time) < maxUnwritten {
		// Nothing new: keep the status as it is (no write) and the time in memory.
		w.Status = *prev
		r.quiet.set(w, done)
		return ctrl.Result{RequeueAfter: r.untilDue(w, done)}, nil
	}
	r.quiet.forget(client.ObjectKeyFromObject(w))
	return ctrl.Result{RequeueAfter: r.untilDue(w, done)}, nil
}
