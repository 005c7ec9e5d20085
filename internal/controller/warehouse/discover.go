package warehouse

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/credentials"
	"github.com/railyard-dev/railyard/internal/discovery/chart"
	gitdisc "github.com/railyard-dev/railyard/internal/discovery/git"
	"github.com/railyard-dev/railyard/internal/discovery/image"
	gitpkg "github.com/railyard-dev/railyard/internal/git"
)

// Subscription kinds, as written in status.subscriptions[].kind and in
// metric labels.
const (
	kindImage = "image"
	kindChart = "chart"
	kindGit   = "git"
)

// outcome is what discovering one subscription produced: fresh artifacts,
// or an error and the artifacts of the previous discovery.
type outcome struct {
	status railyard.SubscriptionStatus
	// Exactly one of these is set, fresh or carried over (possibly empty).
	image *railyard.ImageDiscoveryResult
	chart *railyard.ChartDiscoveryResult
	git   *railyard.GitDiscoveryResult
	err   error
	// truncated: the registry listed more tags than the controller reads.
	truncated bool
	// rest is what a deferred image discovery left to do (see finishAll);
	// image then holds only the newest reference.
	rest *image.Rest
	// started is when the subscription's discovery began (for metrics).
	started time.Time
}

// count is the number of artifacts the outcome holds.
func (o *outcome) count() int {
	switch {
	case o.image != nil:
		return len(o.image.References)
	case o.chart != nil:
		return len(o.chart.Versions)
	case o.git != nil:
		return len(o.git.Commits)
	}
	return 0
}

// describe names the subscription in messages: "image ghcr.io/org/app".
func (o *outcome) describe() string {
	d := o.status.Kind + " " + o.status.RepoURL
	if o.status.Name != "" {
		d += " (" + o.status.Name + ")"
	}
	return d
}

// discoverAll discovers every subscription, up to maxParallelDiscoveries
// at a time, each within the discovery timeout, so that servers that stop
// answering show on the Warehouse within that timeout of the poll
// starting. A failing subscription keeps its previous artifacts and does
// not stop the others; outcomes are in spec order.
// refsNotBefore is the oldest git ref listing it may share (see
// refsNotBefore in schedule.go).
// With deferImages, image subscriptions stop at their newest reference
// (outcome.rest).
func (r *Reconciler) discoverAll(ctx context.Context, w *railyard.Warehouse, now, refsNotBefore time.Time, deferImages bool) []outcome {
	out := make([]outcome, len(w.Spec.Subscriptions))
	sem := make(chan struct{}, maxParallelDiscoveries)
	var wg sync.WaitGroup
	for i := range w.Spec.Subscriptions {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r.discoverOne(ctx, w, i, &out[i], now, refsNotBefore, deferImages)
		}()
	}
	wg.Wait()
	return out
}

// discoverOne discovers subscription i into o.
func (r *Reconciler) discoverOne(ctx context.Context, w *railyard.Warehouse, i int, o *outcome, now, refsNotBefore time.Time, deferImages bool) {
	sub := &w.Spec.Subscriptions[i]
	o.status = identify(sub)
	if prev := previousStatus(w, o.status); prev != nil {
		o.status.LastDiscoveredAt = prev.LastDiscoveredAt
		o.status.Fingerprint = prev.Fingerprint
	}
	timeout := r.discoveryTimeout()
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	o.started = start
	switch {
	case sub.Image != nil:
		o.err = r.discoverImage(sctx, w, sub, o, deferImages)
	case sub.Chart != nil:
		o.err = r.discoverChart(sctx, w, sub, o)
	case sub.Git != nil:
		o.err = r.discoverGit(sctx, w, sub, o, refsNotBefore)
	default:
		o.err = fmt.Errorf("%w: subscription %d sets none of image, chart or git", errInvalidSpec, i)
	}
	if o.err != nil && ctx.Err() == nil && errors.Is(sctx.Err(), context.DeadlineExceeded) {
		o.err = fmt.Errorf("no answer within %s: %w", timeout, o.err)
	}
	if o.status.Kind != "" && o.rest == nil {
		observeDiscovery(o.status.Kind, start, o.err)
	}
	o.settle(w, sub, now)
}

// settle records the outcome's error, if any, keeping the previous
// artifacts, or its success at now.
func (o *outcome) settle(w *railyard.Warehouse, sub *railyard.RepoSubscription, now time.Time) {
	o.err = redactErr(o.err, subscriptionURL(sub))
	if o.err != nil {
		o.rest = nil
		o.status.LastError = o.err.Error()
		if prev := previousStatus(w, o.status); prev != nil {
			o.status.LastDiscoveredAt = prev.LastDiscoveredAt
		}
		carryOver(w, sub, o)
		return
	}
	o.status.LastError = ""
	o.status.LastDiscoveredAt = &metav1.Time{Time: now}
}

// deferred reports whether any outcome has work left (see finishAll).
func deferred(outcomes []outcome) bool {
	for i := range outcomes {
		if outcomes[i].rest != nil {
			return true
		}
	}
	return false
}

// finishAll completes deferred image discoveries, their requests at low
// priority on the registries' rate limits, each within the discovery
// timeout plus the longest a low-priority request waits. w is the
// Warehouse as it was before the discovery (for a failure's carried-over
// artifacts); now is when the discovery ran.
func (r *Reconciler) finishAll(ctx context.Context, w *railyard.Warehouse, outcomes []outcome, now time.Time) {
	sem := make(chan struct{}, maxParallelDiscoveries)
	var wg sync.WaitGroup
	for i := range outcomes {
		o := &outcomes[i]
		if o.rest == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			sctx, cancel := context.WithTimeout(ctx, r.finishTimeout())
			defer cancel()
			res, err := o.rest.Finish(sctx)
			o.rest = nil
			sub := &w.Spec.Subscriptions[i]
			if err == nil {
				o.image = imageResult(sub, res)
			} else if ctx.Err() == nil && errors.Is(sctx.Err(), context.DeadlineExceeded) {
				err = fmt.Errorf("no answer within %s: %w", r.finishTimeout(), err)
			}
			o.err = err
			observeDiscovery(o.status.Kind, o.started, o.err)
			o.settle(w, sub, now)
		}()
	}
	wg.Wait()
}

func (r *Reconciler) discoverImage(ctx context.Context, w *railyard.Warehouse, sub *railyard.RepoSubscription, o *outcome, deferRest bool) error {
	opts := imageOptions(sub.Image)
	opts.Defer = deferRest
	byTag, err := r.opts.CacheByTagPolicy.cacheByTag(sub.Image.CacheByTag)
	if err != nil {
		return err
	}
	opts.CacheByTag = byTag
	if err := r.imageCredentials(ctx, w.Namespace, &opts); err != nil {
		return err
	}
	res, err := r.images.Discover(ctx, opts)
	if err != nil {
		return err
	}
	o.truncated = res.Truncated
	o.image = imageResult(sub, res)
	o.rest = res.Rest
	return nil
}

// imageResult is the status form of an image discovery.
func imageResult(sub *railyard.RepoSubscription, res image.Result) *railyard.ImageDiscoveryResult {
	out := &railyard.ImageDiscoveryResult{RepoURL: displayURL(sub.Image.RepoURL), Platform: sub.Image.Platform, SubscriptionName: sub.Name}
	for _, ref := range res.References {
		d := railyard.DiscoveredImageReference{Tag: ref.Tag, Digest: ref.Digest, Annotations: ref.Annotations}
		if ref.CreatedAt != nil {
			// Whole seconds, as the API server stores it: the status as
			// discovered then equals the status as stored when nothing
			// changed, which the quiet check finds without marshalling.
			d.CreatedAt = &metav1.Time{Time: ref.CreatedAt.Truncate(time.Second)}
		}
		out.References = append(out.References, d)
	}
	return out
}

func (r *Reconciler) discoverChart(ctx context.Context, w *railyard.Warehouse, sub *railyard.RepoSubscription, o *outcome) error {
	opts := chartOptions(sub.Chart)
	creds, err := r.creds.Get(ctx, w.Namespace, credentials.Helm, sub.Chart.RepoURL)
	if err != nil {
		return err
	}
	if creds != nil {
		opts.Credentials = &chart.Credentials{Username: creds.Username, Password: creds.Password}
	}
	versions, err := r.charts.Discover(ctx, opts)
	if err != nil {
		return err
	}
	o.chart = &railyard.ChartDiscoveryResult{RepoURL: displayURL(sub.Chart.RepoURL), Name: sub.Chart.Name,
		SemverConstraint: sub.Chart.SemverConstraint, SubscriptionName: sub.Name, Versions: versions}
	return nil
}

func (r *Reconciler) discoverGit(ctx context.Context, w *railyard.Warehouse, sub *railyard.RepoSubscription, o *outcome, refsNotBefore time.Time) error {
	opts, err := gitOptions(sub.Git)
	if err != nil {
		return err
	}
	creds := gitpkg.Credentials{InsecureSkipTLSVerify: sub.Git.InsecureSkipTLSVerify}
	found, err := r.creds.Get(ctx, w.Namespace, credentials.Git, sub.Git.RepoURL)
	if err != nil {
		return err
	}
	if found != nil {
		creds.Username, creds.Password, creds.SSHPrivateKey = found.Username, found.Password, found.SSHPrivateKey
	}
	// The fingerprint only helps while the previous commits are still there
	// to be reused.
	prevCommits := previousGit(w, sub)
	previous := ""
	if prevCommits != nil {
		previous = o.status.Fingerprint
	}
	opts.Refs, opts.RefsNotBefore, opts.Histories = r.gitRefs, refsNotBefore, r.gitHistories
	res, err := gitdisc.Discover(ctx, opts, creds, previous)
	host := gitHost(sub.Git.RepoURL)
	switch {
	case errors.Is(err, gitdisc.ErrUnchanged):
		gitRequests.WithLabelValues(host, "unchanged").Inc()
		o.git = prevCommits
		return nil
	case err != nil:
		gitRequests.WithLabelValues(host, "error").Inc()
		return err
	}
	gitRequests.WithLabelValues(host, "fetched").Inc()
	o.status.Fingerprint = res.Fingerprint
	o.git = &railyard.GitDiscoveryResult{RepoURL: displayURL(sub.Git.RepoURL), SubscriptionName: sub.Name}
	for _, c := range res.Commits {
		d := railyard.DiscoveredCommit{ID: c.ID, Branch: c.Branch, Tag: c.Tag, Subject: c.Subject,
			Author: c.Author, Committer: c.Committer}
		if !c.CreatorDate.IsZero() {
			d.CreatorDate = &metav1.Time{Time: c.CreatorDate}
		}
		o.git.Commits = append(o.git.Commits, d)
	}
	return nil
}

// gitHost is the host of a git URL for metrics, without user information.
func gitHost(repoURL string) string {
	u, err := url.Parse(gitpkg.NormalizeURL(repoURL))
	if err != nil || u.Host == "" {
		return "unknown"
	}
	return strings.ToLower(u.Host)
}
