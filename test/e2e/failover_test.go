package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/demo"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/helmtest"
	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

// leaseTimings are the leader election flags of the replicas.
type leaseTimings struct{ duration, renew, retry time.Duration }

var (
	// shortLease keeps the test quick; the failover is the same, only sooner.
	shortLease = leaseTimings{3 * time.Second, 2 * time.Second, 500 * time.Millisecond}
	// defaultLease is what a Deployment runs with unless it sets the flags.
	defaultLease = leaseTimings{manager.DefaultLeaseDuration, manager.DefaultRenewDeadline, manager.DefaultRetryPeriod}
)

// TestLeaderFailover runs two replicas with leader election, holds a
// promotion of the users' task in the middle of its steps, and crashes the
// leader: it is cut off from the API server without giving up its lease,
// as a killed pod or a partitioned node is, then stopped. The standby must
// take the lease once it expires and finish the Promotion, with exactly one
// commit for it on kargo/demo/test. The promotion is held at two points:
// in argocd-update, waiting for an Application the paused Argo CD stand-in
// does not sync (git-push has pushed), and in git-push, whose request the
// git server has not received.
func TestLeaderFailover(t *testing.T) {
	fw := startFailoverWorld(t, shortLease)
	fw.freightVerifiedInTest(t, "v1.0.0") // the first leader works

	t.Run("while argocd-update waits", func(t *testing.T) {
		before := fw.repo.CommitCount("kargo/demo/test")
		freightName, promo := fw.hold(t, "v1.0.1")
		if got := fw.repo.CommitCount("kargo/demo/test"); got != before+1 {
			t.Fatalf("kargo/demo/test has %d new commits before the failover, want 1", got-before)
		}
		next := fw.standby(t)
		r := fw.failover(t, promo, true)
		t.Logf("leader death → Promotion resumed %v, → Succeeded %v", r.resumed, r.succeeded)
		fw.checkTakenOver(t, next, freightName, "v1.0.1", before)
		fw.ensureStandby(t)
	})

	// The leader dies while its git-push is in flight: the server has not
	// received the commit. The new leader commits and pushes it, once.
	t.Run("while git-push is in flight", func(t *testing.T) {
		before := fw.repo.CommitCount("kargo/demo/test")
		fw.gate.holdPushes()
		freightName := fw.pushTag(t, "v1.0.2")
		fw.gate.waitHeld(t)
		if got := fw.repo.CommitCount("kargo/demo/test"); got != before {
			t.Fatalf("kargo/demo/test moved while its push was held: %d new commits", got-before)
		}
		old, next := fw.leader(t), fw.standby(t)
		old.gone.Store(true)
		old.cut.sever()
		// The process is gone, its connection to the git server with it;
		// only then may pushes through again.
		old.stop()
		fw.gate.release()
		p := fw.promotionsOf(t, freightName)
		if len(p) != 1 {
			t.Fatalf("%d Promotions of %s, want 1", len(p), freightName)
		}
		fw.wait(t, "the Promotion to succeed on the new leader", func() (bool, string) {
			cur := &railyard.Promotion{}
			if err := fw.env.Client.Get(fw.ctx, client.ObjectKey{Namespace: ns, Name: p[0].Name}, cur); err != nil {
				return false, err.Error()
			}
			if cur.Status.Phase.IsTerminal() && cur.Status.Phase != railyard.PromotionPhaseSucceeded {
				t.Fatalf("Promotion %s ended %s: %s", cur.Name, cur.Status.Phase, cur.Status.Message)
			}
			return cur.Status.Phase == railyard.PromotionPhaseSucceeded, fmt.Sprintf("%s %q step %d %+v", cur.Status.Phase, cur.Status.Message, cur.Status.CurrentStep, cur.Status.StepExecutionMetadata)
		})
		fw.checkTakenOver(t, next, freightName, "v1.0.2", before)
	})
}

// checkTakenOver asserts that next leads and that the Promotion of
// freightName left exactly one commit, rendering tag, on kargo/demo/test,
// synced by Argo CD, with the Stage running the Freight.
func (fw *failoverWorld) checkTakenOver(t *testing.T, next *replica, freightName, tag string, before int) {
	t.Helper()
	if !isClosed(next.elected) {
		t.Fatal("the Promotion finished but the standby is not the leader")
	}
	if got := fw.repo.CommitCount("kargo/demo/test"); got != before+1 {
		t.Errorf("kargo/demo/test has %d new commits after the failover, want exactly 1", got-before)
	}
	head := fw.repo.Head("kargo/demo/test")
	if m := fw.repo.ReadFile(head, "manifests.yaml"); !strings.Contains(m, fw.image+":"+tag) {
		t.Errorf("kargo/demo/test does not run %s:\n%s", tag, m)
	}
	fw.wait(t, "Argo CD to sync demo-test to "+head, func() (bool, string) {
		got := fw.syncedRevision(t, "demo-test")
		return got == head, got
	})
	fw.wait(t, "Stage test to run "+freightName, func() (bool, string) {
		s := &railyard.Stage{}
		if err := fw.env.Client.Get(fw.ctx, client.ObjectKey{Namespace: ns, Name: "test"}, s); err != nil {
			return false, err.Error()
		}
		h := s.Status.FreightHistory
		return len(h) > 0 && h[0].Freight["Warehouse/demo"].Name == freightName, s.Status.FreightSummary
	})
	if n := len(fw.promotionsOf(t, freightName)); n != 1 {
		t.Errorf("%d Promotions of %s to test, want the one that was resumed", n, freightName)
	}
}

// BenchmarkFailover measures how long a running promotion waits when its
// leader dies: from the moment the leader is gone to the first status write
// of the new leader (resume-s) and to the Promotion Succeeded
// (succeeded-s, which adds running the users' task again from the clone:
// the new replica has no work directory). Each iteration holds a promotion
// as TestLeaderFailover does and starts a new standby afterwards.
//
//   - crash: the leader is cut off from the API server and keeps its lease;
//     the standby waits for it to expire.
//
//   - clean-stop: the leader's context is cancelled (a rollout, a drain);
//     it stops its reconcilers and releases the lease.
//
//     go test ./test/e2e -run '^$' -bench Failover -benchtime 3x
func BenchmarkFailover(b *testing.B) {
	fw := startFailoverWorld(b, defaultLease)
	fw.freightVerifiedInTest(b, "v1.0.0")
	tag := 0
	for _, bc := range []struct {
		name  string
		lease leaseTimings
		crash bool
	}{
		{"crash/lease-15s-renew-10s-retry-2s", defaultLease, true},
		{"crash/lease-3s-renew-2s-retry-0.5s", shortLease, true},
		{"clean-stop/lease-15s-renew-10s-retry-2s", defaultLease, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			fw.restartReplicas(b, bc.lease)
			var resumed, succeeded []time.Duration
			b.ResetTimer()
			for range b.N {
				tag++
				_, promo := fw.hold(b, fmt.Sprintf("v1.1.%d", tag))
				r := fw.failover(b, promo, bc.crash)
				resumed = append(resumed, r.resumed)
				succeeded = append(succeeded, r.succeeded)
				fw.ensureStandby(b)
			}
			b.StopTimer()
			slices.Sort(resumed)
			slices.Sort(succeeded)
			b.ReportMetric(resumed[len(resumed)/2].Seconds(), "resume-s")
			b.ReportMetric(resumed[len(resumed)-1].Seconds(), "max-resume-s")
			b.ReportMetric(succeeded[len(succeeded)/2].Seconds(), "succeeded-s")
			b.ReportMetric(0, "ns/op")
			b.Logf("resumed after %v; succeeded after %v", resumed, succeeded)
		})
	}
}

// failoverWorld is the users' project on loopback servers, reconciled by
// replicas that elect a leader.
type failoverWorld struct {
	*pipelineWorld
	repo *gittest.Repo
	// gitURL is the repository behind gate, which the project uses.
	gitURL string
	gate   *pushGate
	// top is the whole test or benchmark: replicas live as long as it does,
	// not only as long as the subtest that started them.
	top      testing.TB
	lease    leaseTimings
	replicas []*replica
}

// replica is one manager; gone is set once it was killed or stopped.
type replica struct {
	*runningManager
	cut  *severable
	gone atomic.Bool
}

func startFailoverWorld(tb testing.TB, lease leaseTimings) *failoverWorld {
	tb.Helper()
	pw := startControlPlane(tb)
	env := pw.env
	pw.reg = registrytest.New(tb, registrytest.WithBasicAuth(registryUser, registryPassword))
	pw.image = pw.reg.Repo("demo/app")
	helm := helmtest.NewRepo(tb)
	helm.AddChart(helmtest.ChartSpec{Name: "demo-chart", Version: "0.1.0"})
	git := gittest.NewServer(tb, gittest.WithPush(), gittest.WithBasicAuth(gitUser, gitPassword))
	fw := &failoverWorld{pipelineWorld: pw, top: tb, lease: lease}
	fw.repo = git.CreateRepo("gitops", demo.GitOpsFiles(pw.image, helm.URL()))
	fw.gate, fw.gitURL = startPushGate(tb, fw.repo.URL)
	if err := env.Client.Create(pw.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}}); err != nil {
		tb.Fatal(err)
	}

	// The first replica leads before the second starts, so which one leads
	// is known.
	fw.startReplica(tb)
	fw.wait(tb, "the first replica to lead", func() (bool, string) { return isClosed(fw.replicas[0].elected), "" })
	fw.startReplica(tb)

	pw.argo = &demo.ArgoStandIn{Client: env.Client, Interval: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(pw.ctx)
	done := make(chan struct{})
	go func() { defer close(done); pw.argo.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })

	pw.applyProject(tb)
	pw.apply(tb, credentialSecrets(fw.gitURL, pw.image))
	pw.apply(tb, demo.ProjectManifests(pw.image, helm.URL(), fw.gitURL, 24*time.Hour))
	pw.apply(tb, demo.Applications(fw.gitURL))
	return fw
}

// startReplica starts a manager with leader election and a work directory
// of its own, as a pod on another node has.
func (fw *failoverWorld) startReplica(tb testing.TB) *replica {
	tb.Helper()
	r := &replica{cut: &severable{}}
	r.runningManager = startManagerOn(fw.top, r.cut.config(fw.env.Config), fw.top.TempDir(), func(o *manager.Options) {
		o.LeaderElection = true
		o.LeaderElectionNamespace = "default"
		o.LeaderElectionLeaseDuration = fw.lease.duration
		o.LeaderElectionRenewDeadline = fw.lease.renew
		o.LeaderElectionRetryPeriod = fw.lease.retry
	})
	fw.replicas = append(fw.replicas, r)
	return r
}

// restartReplicas stops every replica cleanly and starts a leader and a
// standby with new lease timings.
func (fw *failoverWorld) restartReplicas(tb testing.TB, lease leaseTimings) {
	tb.Helper()
	for _, r := range fw.replicas {
		r.gone.Store(true)
		r.stop()
	}
	fw.replicas = nil
	fw.lease = lease
	leader := fw.startReplica(tb)
	fw.wait(tb, "a new leader", func() (bool, string) { return isClosed(leader.elected), "" })
	fw.startReplica(tb)
}

// ensureStandby starts a replica when only the leader is left (the pod the
// Deployment starts in place of the dead one).
func (fw *failoverWorld) ensureStandby(tb testing.TB) {
	tb.Helper()
	var live []*replica
	for _, r := range fw.replicas {
		if !r.gone.Load() {
			live = append(live, r)
		}
	}
	fw.replicas = live
	if len(live) < 2 {
		fw.startReplica(tb)
	}
}

func (fw *failoverWorld) leader(tb testing.TB) *replica {
	tb.Helper()
	for _, r := range fw.replicas {
		if isClosed(r.elected) && !r.gone.Load() {
			return r
		}
	}
	tb.Fatal("no replica leads")
	return nil
}

func (fw *failoverWorld) standby(tb testing.TB) *replica {
	tb.Helper()
	for _, r := range fw.replicas {
		if !isClosed(r.elected) && !r.gone.Load() {
			return r
		}
	}
	tb.Fatal("no standby replica")
	return nil
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// hold pushes tag, whose Freight is auto-promoted to test, and returns once
// that Promotion has pushed its commit and waits in argocd-update for the
// paused Argo CD stand-in: a promotion in the middle of its steps, with
// nothing in flight.
func (fw *failoverWorld) hold(tb testing.TB, tag string) (freightName, promo string) {
	tb.Helper()
	fw.argo.Paused.Store(true)
	freightName = fw.pushTag(tb, tag)
	fw.wait(tb, "the Promotion of "+tag+" to wait in argocd-update", func() (bool, string) {
		ps := fw.promotionsOf(tb, freightName)
		if len(ps) == 0 {
			return false, "no Promotion of " + freightName
		}
		p := ps[0]
		promo = p.Name
		md := p.Status.StepExecutionMetadata
		n := len(md)
		return n > 0 && strings.HasSuffix(md[n-1].Alias, "::argocd-update") && md[n-1].Status == railyard.StepStatusRunning,
			fmt.Sprintf("%s %s step %d %q", p.Name, p.Status.Phase, p.Status.CurrentStep, p.Status.Message)
	})
	return freightName, promo
}

// pushTag pushes an image tag, asks the Warehouse to look, and returns the
// name of the Freight made of it (auto-promoted to test).
func (fw *failoverWorld) pushTag(tb testing.TB, tag string) (freightName string) {
	tb.Helper()
	fw.built = fw.built.Add(time.Minute)
	fw.reg.PushImage(tb, "demo/app", tag, registrytest.NewImage(tb, registrytest.ImageSpec{Created: fw.built, OS: "linux", Arch: "amd64"}))
	wh := &railyard.Warehouse{}
	if err := fw.env.Client.Get(fw.ctx, client.ObjectKey{Namespace: ns, Name: "demo"}, wh); err != nil {
		tb.Fatal(err)
	}
	base := wh.DeepCopy()
	metav1.SetMetaDataAnnotation(&wh.ObjectMeta, railyard.AnnotationRefresh, tag)
	if err := fw.env.Client.Patch(fw.ctx, wh, client.MergeFrom(base)); err != nil {
		tb.Fatal(err)
	}
	fw.wait(tb, "Freight of "+tag, func() (bool, string) {
		var list railyard.FreightList
		if err := fw.env.Client.List(fw.ctx, &list, client.InNamespace(ns)); err != nil {
			return false, err.Error()
		}
		for _, f := range list.Items {
			if len(f.Images) == 1 && f.Images[0].Tag == tag {
				freightName = f.Name
			}
		}
		return freightName != "", "no Freight for " + tag
	})
	return freightName
}

// promotionsOf lists the Promotions of a Freight to test.
func (fw *failoverWorld) promotionsOf(tb testing.TB, freightName string) []railyard.Promotion {
	tb.Helper()
	var list railyard.PromotionList
	if err := fw.env.Client.List(fw.ctx, &list, client.InNamespace(ns)); err != nil {
		tb.Fatal(err)
	}
	var out []railyard.Promotion
	for _, p := range list.Items {
		if p.Spec.Stage == "test" && (p.Spec.Freight == freightName || (p.Status.Freight != nil && p.Status.Freight.Name == freightName)) {
			out = append(out, p)
		}
	}
	return out
}

// failoverTimes are measured from the leader's death.
type failoverTimes struct{ resumed, succeeded time.Duration }

// failover ends the leader (crash: cut off, lease kept; otherwise a clean
// stop that releases the lease), lets Argo CD sync again, and waits for the
// held Promotion to succeed.
func (fw *failoverWorld) failover(tb testing.TB, promo string, crash bool) failoverTimes {
	tb.Helper()
	old := fw.leader(tb)
	ctx, cancel := context.WithTimeout(fw.ctx, 3*time.Minute)
	defer cancel()
	// The Promotion as it was before the death, waiting in its last step.
	p := &railyard.Promotion{}
	if err := fw.env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: promo}, p); err != nil {
		tb.Fatal(err)
	}
	w, err := fw.wc.Watch(ctx, &railyard.PromotionList{}, client.InNamespace(ns),
		client.MatchingFields{"metadata.name": promo}, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: p.ResourceVersion}})
	if err != nil {
		tb.Fatal(err)
	}
	defer w.Stop()

	died := time.Now()
	if crash {
		old.cut.sever()
	}
	old.gone.Store(true)
	go old.stop() // the process exits; with crash, unable to release its lease
	fw.argo.Paused.Store(false)

	var times failoverTimes
	for ev := range w.ResultChan() {
		got, ok := ev.Object.(*railyard.Promotion)
		if !ok || ev.Type == watch.Deleted {
			continue
		}
		// A save of the old leader's may still land just after its death;
		// the new leader's first save is the one that starts the steps
		// again (its work directory is empty).
		if times.resumed == 0 && got.Status.CurrentStep < p.Status.CurrentStep {
			times.resumed = time.Since(died)
		}
		switch phase := got.Status.Phase; {
		case phase == railyard.PromotionPhaseSucceeded:
			times.succeeded = time.Since(died)
			if times.resumed == 0 {
				times.resumed = times.succeeded
			}
			return times
		case phase.IsTerminal():
			tb.Fatalf("Promotion %s ended %s after the failover: %s", got.Name, phase, got.Status.Message)
		}
	}
	tb.Fatalf("Promotion %s did not succeed after the failover", promo)
	return times
}

// syncedRevision is the revision Argo CD (the stand-in) last synced app to.
func (fw *failoverWorld) syncedRevision(tb testing.TB, app string) string {
	tb.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(argocd.ApplicationKind)
	if err := fw.env.Client.Get(fw.ctx, client.ObjectKey{Namespace: "argocd", Name: app}, u); err != nil {
		tb.Fatal(err)
	}
	rev, _, _ := unstructured.NestedString(u.Object, "status", "sync", "revision")
	return rev
}

// errSevered is what a cut-off replica's requests fail with.
var errSevered = errors.New("replica cut off from the API server (simulated crash)")

// severable cuts one replica off the API server at once, as a killed pod
// or a partitioned node is: from sever on, every request fails and every
// open watch ends, so it can neither renew nor release its lease nor write
// anything else.
type severable struct {
	cut  atomic.Bool
	mu   sync.Mutex
	open map[*severableBody]struct{}
}

func (s *severable) config(base *rest.Config) *rest.Config {
	cfg := rest.CopyConfig(base)
	prev := cfg.WrapTransport
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		if prev != nil {
			rt = prev(rt)
		}
		return severableTransport{s: s, next: rt}
	}
	return cfg
}

func (s *severable) sever() {
	s.cut.Store(true)
	s.mu.Lock()
	bodies := s.open
	s.open = nil
	s.mu.Unlock()
	for b := range bodies {
		_ = b.ReadCloser.Close()
	}
}

type severableTransport struct {
	s    *severable
	next http.RoundTripper
}

func (t severableTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.s.cut.Load() {
		return nil, errSevered
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b := &severableBody{ReadCloser: resp.Body, s: t.s}
	t.s.mu.Lock()
	if t.s.cut.Load() {
		t.s.mu.Unlock()
		_ = resp.Body.Close()
		return nil, errSevered
	}
	if t.s.open == nil {
		t.s.open = map[*severableBody]struct{}{}
	}
	t.s.open[b] = struct{}{}
	t.s.mu.Unlock()
	resp.Body = b
	return resp, nil
}

// severableBody is a response body (a watch stream, most importantly) that
// sever closes.
type severableBody struct {
	io.ReadCloser
	s *severable
}

func (b *severableBody) Close() error {
	b.s.mu.Lock()
	delete(b.s.open, b)
	b.s.mu.Unlock()
	return b.ReadCloser.Close()
}

// pushGate stands in front of the git server and, while holding, keeps
// pushes (receive-pack requests) from reaching it: a push in flight when
// its sender dies. A held push whose sender went away is dropped, as a
// server drops a request whose connection closed before it was read.
type pushGate struct {
	next    http.Handler
	holding atomic.Bool
	held    chan struct{} // a push is being held
	mu      sync.Mutex
	open    chan struct{} // closed by release
}

// startPushGate serves repoURL's server through a gate and returns the
// repository's URL through it.
func startPushGate(tb testing.TB, repoURL string) (*pushGate, string) {
	tb.Helper()
	u, err := url.Parse(repoURL)
	if err != nil {
		tb.Fatal(err)
	}
	g := &pushGate{next: httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host}), held: make(chan struct{}, 1)}
	srv := httptest.NewServer(g)
	tb.Cleanup(srv.Close)
	gated, err := url.Parse(srv.URL)
	if err != nil {
		tb.Fatal(err)
	}
	u.Host = gated.Host
	return g, u.String()
}

func (g *pushGate) holdPushes() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = make(chan struct{})
	g.holding.Store(true)
}

// release lets pushes through again, held ones included if their sender
// is still there.
func (g *pushGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.holding.Swap(false) {
		close(g.open)
	}
}

func (g *pushGate) waitHeld(tb testing.TB) {
	tb.Helper()
	select {
	case <-g.held:
	case <-time.After(3 * time.Minute): // only keeps a broken run from hanging
		tb.Fatal("no push reached the git server")
	}
}

func (g *pushGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/git-receive-pack") && g.holding.Load() {
		g.mu.Lock()
		open := g.open
		g.mu.Unlock()
		select {
		case g.held <- struct{}{}:
		default:
		}
		select {
		case <-open:
		case <-r.Context().Done():
			return
		}
		if r.Context().Err() != nil {
			return
		}
	}
	g.next.ServeHTTP(w, r)
}
