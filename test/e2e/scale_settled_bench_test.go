package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

// BenchmarkScaleSettled measures N apps at rest, the 1,000-app
// shape: N Warehouses discovering every SCALE_SETTLED_INTERVAL (default
// 5m, Kargo's default), 3N Stages, 3N Applications and ten Freight per app
// (one the Warehouse makes, nine made by hand as a person would), nothing
// promoted. It prints:
//
//   - apply → every Warehouse discovered, and whether every Warehouse
//     discovered again within one interval after that;
//   - the CPU the manager used over that interval, per minute, with its
//     periodic discovery;
//   - the manager's peak and settled RSS and Go heap in use.
//
// The manager runs as a process of its own (cmd/manager, built by the
// benchmark), so these figures are the manager's alone: not the
// registry's, the git server's or the benchmark's.
//
// It runs only when SCALE_SETTLED_APPS is set:
//
//	make bench-scale-settled                 # SCALE_SETTLED_APPS=1000
//	SCALE_SETTLED_APPS=100 SCALE_SETTLED_INTERVAL=1m make bench-scale-settled
//
// SCALE_PROFILE_DIR=dir saves the manager's CPU and heap profiles at rest
// there.
func BenchmarkScaleSettled(b *testing.B) {
	n, err := strconv.Atoi(os.Getenv("SCALE_SETTLED_APPS"))
	if err != nil || n <= 0 {
		b.Skip("set SCALE_SETTLED_APPS to the number of apps (make bench-scale-settled)")
	}
	interval := 5 * time.Minute
	envSetting(b, "SCALE_SETTLED_INTERVAL", &interval, time.ParseDuration)
	for range b.N {
		runSettled(b, n, interval)
	}
	b.ReportMetric(0, "ns/op")
}

// freightPerApp is how many Freight each app has at rest.
const freightPerApp = 10

func runSettled(b *testing.B, n int, interval time.Duration) {
	sw := startScaleWorld(b, n, true)
	sw.interval = interval.String()
	sw.noAutoPromotion = true
	pw := sw.pw
	var rows [][2]string
	row := func(k, v string) { rows = append(rows, [2]string{k, v}) }
	row("apps", fmt.Sprintf("%d (%d Warehouses, %d Stages, %d Applications, %d Freight)", n, n, 3*n, 3*n, freightPerApp*n))
	row("discovery interval", interval.String())
	row("admission policies", scaleAdmission())
	row("load average before", loadAverage())

	for _, app := range sw.apps {
		pw.reg.PushImage(b, "apps/"+app, "v1.0.0", registrytest.NewImage(b, registrytest.ImageSpec{Created: pw.built, OS: "linux", Arch: "amd64"}))
	}
	listings := &listingLog{}
	pw.reg.OnTagsList(listings.record)
	start := time.Now()
	pw.apply(b, sw.manifests())
	row("kubectl apply of all objects", secs(time.Since(start)))
	sw.waitDiscovered(b, nil)
	row("apply → every Warehouse discovered", secs(time.Since(start)))
	_, all := sw.waitFreight(b, "v1.0.0", start)
	row("apply → every app's Freight", secs(all))

	made := time.Now()
	sw.handMadeFreight(b)
	row(fmt.Sprintf("%d more Freight created by hand", (freightPerApp-1)*n), secs(time.Since(made)))

	// At rest: the stand-in has nothing to do; the manager rediscovers.
	pw.argo.Paused.Store(true)
	settling := time.Now()
	sw.waitQueuesEmpty(b)
	row("Freight created → every controller's queue empty", secs(time.Since(settling)))
	// Each Warehouse's last discovery now; each must discover again within
	// an interval (and a fifth for the work queue). A discovery that finds
	// nothing new does not write the Warehouse's status, so discoveries are
	// seen where each starts: its repository's tag listing.
	last := listings.latest()
	if len(last) != n {
		b.Fatalf("%d of %d image repositories were listed", len(last), n)
	}
	rediscovery := sw.watchRediscovery(listings, last, interval)
	profiled := sw.profileRest(b, interval)
	errs0, _ := sw.proc.metric("controller_runtime_reconcile_errors_total")
	reqs0, _ := sw.proc.metric("railyard_registry_requests_total")
	cpu0, t0 := sw.proc.cpu(), time.Now()
	time.Sleep(interval)
	perMin := (sw.proc.cpu() - cpu0).Seconds() / time.Since(t0).Minutes()
	errs1, _ := sw.proc.metric("controller_runtime_reconcile_errors_total")
	reqs1, _ := sw.proc.metric("railyard_registry_requests_total")
	profiled()
	row("every Warehouse discovered again", rediscovery())
	row("over the interval: registry requests, reconcile errors", fmt.Sprintf("%.0f, %.0f", reqs1-reqs0, errs1-errs0))
	row("manager CPU over one interval at rest (discovery included)", fmt.Sprintf("%.2f CPU-s per minute (%.1f %% of a core)", perMin, perMin/60*100))
	row("manager peak RSS (VmHWM)", sw.proc.status("VmHWM"))
	row("manager RSS at rest (VmRSS)", sw.proc.status("VmRSS"))
	if heap, err := sw.proc.metric("go_memstats_heap_inuse_bytes"); err == nil {
		row("manager Go heap in use at rest", fmt.Sprintf("%.0f MiB", heap/(1<<20)))
	}
	row("load average after", loadAverage())
	b.ReportMetric(perMin, "rest-cpu-s/min")

	printRows(fmt.Sprintf("Settled scale benchmark, %d apps", n), rows)
}

// profileRest saves, when SCALE_PROFILE_DIR is set, the manager's CPU
// profile over the interval at rest (cpu.pprof) and its heap at the end
// (heap.pprof) there; the returned function waits for both.
func (sw *scaleWorld) profileRest(tb testing.TB, interval time.Duration) (wait func()) {
	dir := os.Getenv("SCALE_PROFILE_DIR")
	if dir == "" {
		return func() {}
	}
	done := make(chan error, 1)
	go func() {
		done <- sw.proc.profile(fmt.Sprintf("profile?seconds=%d", int(interval.Seconds())), filepath.Join(dir, "cpu.pprof"), interval+time.Minute)
	}()
	return func() {
		if err := <-done; err != nil {
			tb.Errorf("CPU profile: %v", err)
		}
		if err := sw.proc.profile("heap", filepath.Join(dir, "heap.pprof"), time.Minute); err != nil {
			tb.Errorf("heap profile: %v", err)
		}
		tb.Logf("the manager's profiles at rest: %s/cpu.pprof, %s/heap.pprof", dir, dir)
	}
}

// waitQueuesEmpty waits until every controller's work queue has stayed
// empty for ten seconds (controller-runtime's workqueue_depth, read from
// the in-process manager's metrics registry).
func (sw *scaleWorld) waitQueuesEmpty(tb testing.TB) {
	tb.Helper()
	var emptySince time.Time
	sw.waitEvery(tb, time.Second, "every work queue to stay empty", func() (bool, string) {
		depth, err := sw.workqueueDepth()
		if err != nil {
			return false, err.Error()
		}
		if depth > 0 {
			emptySince = time.Time{}
			return false, fmt.Sprintf("%v queued", depth)
		}
		if emptySince.IsZero() {
			emptySince = time.Now()
		}
		return time.Since(emptySince) >= 10*time.Second, "empty for less than 10s"
	})
}

// workqueueDepth is the sum of every controller's queue depth, from the
// manager's metrics.
func (sw *scaleWorld) workqueueDepth() (float64, error) {
	if sw.proc != nil {
		return sw.proc.metric("workqueue_depth")
	}
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return 0, err
	}
	var depth float64
	for _, f := range families {
		if f.GetName() != "workqueue_depth" {
			continue
		}
		for _, m := range f.GetMetric() {
			depth += m.GetGauge().GetValue()
		}
	}
	return depth, nil
}

// waitDiscovered waits until every Warehouse has discovered after its time
// in since (nil: at all) and returns each one's discovery time.
func (sw *scaleWorld) waitDiscovered(tb testing.TB, since map[string]time.Time) map[string]time.Time {
	tb.Helper()
	var at map[string]time.Time
	sw.waitEvery(tb, time.Second, "every Warehouse to discover", func() (bool, string) {
		var ok bool
		var state string
		at, ok, state = sw.discovered(since)
		return ok, state
	})
	return at
}

// listingLog records when each app's image repository was listed.
type listingLog struct {
	mu sync.Mutex
	at map[string][]time.Time
}

func (l *listingLog) record(repo string) {
	app := strings.TrimPrefix(repo, "apps/")
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.at == nil {
		l.at = map[string][]time.Time{}
	}
	l.at[app] = append(l.at[app], time.Now())
}

// latest is each app's last listing.
func (l *listingLog) latest() map[string]time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]time.Time{}
	for app, times := range l.at {
		out[app] = times[len(times)-1]
	}
	return out
}

// firstAfter is each app's first listing after its time in since.
func (l *listingLog) firstAfter(since map[string]time.Time) map[string]time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]time.Time{}
	for app, times := range l.at {
		for _, t := range times {
			if t.After(since[app]) {
				out[app] = t
				break
			}
		}
	}
	return out
}

// watchRediscovery waits, in the background, until every app's repository
// was listed again after its time in since, or the last could be late.
// result waits for that and reports whether each came within interval plus
// a fifth for the work queue, and the longest gap.
func (sw *scaleWorld) watchRediscovery(l *listingLog, since map[string]time.Time, interval time.Duration) (result func() string) {
	bound := interval + interval/5
	var first map[string]time.Time
	done := make(chan struct{})
	go func() {
		defer close(done)
		end := latest(since).Add(bound)
		for {
			first = l.firstAfter(since)
			if len(first) >= len(since) || !time.Now().Before(end) {
				return
			}
			time.Sleep(time.Second)
		}
	}()
	return func() string {
		<-done
		var longest time.Duration
		late := 0
		for name, prev := range since {
			next, ok := first[name]
			if !ok || next.Sub(prev) > bound {
				late++
				continue
			}
			longest = max(longest, next.Sub(prev))
		}
		if late > 0 {
			return fmt.Sprintf("NO: %d of %d not within %s", late, len(since), bound)
		}
		return fmt.Sprintf("yes, the longest gap %s (interval %s)", secs(longest), interval)
	}
}

func latest(times map[string]time.Time) time.Time {
	var l time.Time
	for _, t := range times {
		if t.After(l) {
			l = t
		}
	}
	return l
}

func (sw *scaleWorld) discovered(since map[string]time.Time) (map[string]time.Time, bool, string) {
	var list railyard.WarehouseList
	if err := sw.pw.env.Client.List(sw.pw.ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, false, err.Error()
	}
	at := map[string]time.Time{}
	for _, w := range list.Items {
		if d := w.Status.DiscoveredArtifacts; d != nil && !d.DiscoveredAt.IsZero() && d.DiscoveredAt.After(since[w.Name]) {
			at[w.Name] = d.DiscoveredAt.Time
		}
	}
	return at, len(at) == len(sw.apps), fmt.Sprintf("%d of %d discovered", len(at), len(sw.apps))
}

// handMadeFreight creates freightPerApp-1 more Freight per app, as
// `railyard create freight` would from older tags.
func (sw *scaleWorld) handMadeFreight(tb testing.TB) {
	tb.Helper()
	commit := sw.repo.Head("main")
	var wg sync.WaitGroup
	errs := make(chan error, len(sw.apps))
	sem := make(chan struct{}, 16)
	for _, app := range sw.apps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			for k := 1; k < freightPerApp; k++ {
				tag := fmt.Sprintf("v0.9.%d", k)
				f := &railyard.Freight{
					ObjectMeta: metav1.ObjectMeta{Namespace: ns},
					Alias:      app + "-" + strings.ReplaceAll(tag, ".", "-"),
					Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: app},
					Images:     []railyard.Image{{RepoURL: sw.image(app), Tag: tag, Digest: fmt.Sprintf("sha256:%064x", k)}},
					Commits:    []railyard.GitCommit{{RepoURL: sw.repo.URL, ID: commit, Branch: "main"}},
				}
				f.Name = freight.IDOf(f)
				if err := sw.pw.env.Client.Create(sw.pw.ctx, f); err != nil {
					errs <- fmt.Errorf("creating Freight %s of %s: %w", tag, app, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}
