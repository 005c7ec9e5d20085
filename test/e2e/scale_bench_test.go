package e2e

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/warehouse"
	"github.com/railyard-dev/railyard/internal/demo"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

// BenchmarkScale builds SCALE_APPS apps shaped like the users' (default
// 100) in one project: per app a Warehouse following the app's image and
// its path in the one GitOps repository, Stages test, staging and prod
// running the shared PromotionTask, and three Argo CD Applications (the
// stand-in syncs them). It measures, once:
//
//   - first promotions: the Warehouses created (images v1.0.0 pushed
//     before) → every app's Freight → every kargo/<app>/test branch
//     created by the auto-promotion;
//   - a new tag for every app: v1.0.1 pushed for all, every Warehouse
//     refreshed at once → every kargo/<app>/test branch moved;
//   - the test process's peak RSS (VmHWM): the manager runs in process,
//     with the in-process registry and the Argo CD stand-in (kube-apiserver,
//     etcd and git http-backend are other processes), and so does a CPU
//     profile (-cpuprofile) include the stand-in;
//   - idle CPU: CPU-seconds per minute of the test process once everything
//     settled, with the stand-in paused (SCALE_IDLE, default 60s).
//
// It prints a table. It runs only when SCALE_APPS is set:
//
//	make bench-scale                  # SCALE_APPS=100
//	SCALE_APPS=20 make bench-scale
//	SCALE_APPS=100 go test ./test/e2e -run '^$' -bench Scale -benchtime 1x -timeout 60m -cpuprofile /tmp/scale.cpu
func BenchmarkScale(b *testing.B) {
	n, err := strconv.Atoi(os.Getenv("SCALE_APPS"))
	if err != nil || n <= 0 {
		b.Skip("set SCALE_APPS to the number of apps (make bench-scale)")
	}
	idle := time.Minute
	envSetting(b, "SCALE_IDLE", &idle, time.ParseDuration)
	for range b.N {
		runScale(b, n, idle)
	}
	b.ReportMetric(0, "ns/op")
}

// scaleWorld is the N apps' project on loopback servers.
type scaleWorld struct {
	pw   *pipelineWorld
	repo *gittest.Repo
	git  *gittest.Server
	apps []string
	// interval is every Warehouse's discovery interval (24h if empty:
	// only refreshes discover).
	interval string
	// noAutoPromotion leaves out the ProjectConfig that auto-promotes to
	// the test Stages.
	noAutoPromotion bool
	// proc is the manager when it runs as a process of its own.
	proc *managerProcess
}

func (sw *scaleWorld) image(app string) string { return sw.pw.reg.Repo("apps/" + app) }

func runScale(b *testing.B, n int, idle time.Duration) {
	sw := startScaleWorld(b, n, false)
	pw := sw.pw
	var rows [][2]string
	row := func(k, v string) { rows = append(rows, [2]string{k, v}) }
	row("apps", fmt.Sprintf("%d (%d Warehouses, %d Stages, %d Applications, one GitOps repository)", n, n, 3*n, 3*n))
	row("load average before", loadAverage())
	row("promotion concurrency", orDefaultString(os.Getenv("SCALE_PROMOTION_CONCURRENCY"), "default (4)"))
	row("warehouse concurrency", orDefaultString(os.Getenv("SCALE_WAREHOUSE_CONCURRENCY"), fmt.Sprintf("default (%d)", warehouse.DefaultConcurrency)))
	row("stage concurrency", orDefaultString(os.Getenv("SCALE_STAGE_CONCURRENCY"), "default (4)"))
	row("registry requests per second", orDefaultString(os.Getenv("SCALE_REGISTRY_RPS"), "default (20)"))
	row("cache-by-tag policy", orDefaultString(os.Getenv("SCALE_CACHE_BY_TAG_POLICY"), "default (Allow; the Warehouses do not set cacheByTag)"))
	row("work directory under", orDefaultString(os.Getenv("SCALE_WORK_DIR"), "the test's temporary directory"))
	row("temporary files under (TMPDIR)", tempFilesystem())
	row("admission policies", scaleAdmission()+" (SCALE_ADMISSION: all, validating or none)")

	for _, app := range sw.apps {
		pw.reg.PushImage(b, "apps/"+app, "v1.0.0", registrytest.NewImage(b, registrytest.ImageSpec{Created: pw.built, OS: "linux", Arch: "amd64"}))
	}
	// Before any reading of the wave's CPU, which must not include it.
	firstSpeed0 := speedProbe()
	stopFirstProfile := profileWave(b, os.Getenv("SCALE_FIRST_PROFILE"))
	firstAPIProfile := profileAPIServer(pw.ctx, sw.pw.env.Config, os.Getenv("SCALE_FIRST_APISERVER_PROFILE"), 20)
	firstAPI0, firstAPIErr := apiRequests(pw.ctx, sw.pw.env.Config)
	firstRec0, firstRecErr := reconcileCounts()
	firstWait0, firstWaitErr := queueWaits()
	firstUse0 := usageByProcess()
	firstDisk0 := sampleDisk()
	firstMachine0 := readMachine()
	sw.git.ResetStats()
	pw.reg.ResetCounts()
	start := time.Now()
	kubectlCPU := applyCPU(b, pw, sw.manifests())
	applied := time.Since(start)
	_, allFreight := sw.waitFreight(b, "v1.0.0", start)
	heads := sw.waitTestBranches(b, nil)
	moved := time.Since(start)
	firstUse1 := usageByProcess()
	firstCPU0, firstCPU1 := cpuOf(firstUse0), cpuOf(firstUse1)
	firstDisk1 := sampleDisk()
	firstMachine1 := readMachine()
	firstSpeed1 := speedProbe()
	firstGit := sw.git.Stats()
	firstReg := pw.reg.Counts()
	stopFirstProfile()
	if err := firstAPIProfile(); err != nil {
		b.Log(err)
	}
	firstAPI1, firstAPIErr1 := apiRequests(pw.ctx, sw.pw.env.Config)
	firstRec1, firstRecErr1 := reconcileCounts()
	firstWait1, firstWaitErr1 := queueWaits()
	// Freight are made while kubectl is still applying (each Warehouse
	// discovers as soon as it exists), so the first one is dated by the API
	// server, not by when this test, after kubectl returned, first saw it.
	row("first promotions: kubectl apply of all objects", secs(applied))
	row("first promotions: apply → first Freight created", secs(sw.firstCreated(b, "v1.0.0", start)))
	row("first promotions: apply → all Freight", secs(allFreight))
	row("first promotions: Warehouse created → its Freight created, mean / max", sw.warehouseToFreight(b, "v1.0.0"))
	row("first promotions: kubectl returned → all test branches created", secs(moved-applied))
	row("first promotions: apply → all test branches created (the first wave)", secs(moved))
	b.ReportMetric(moved.Seconds(), "first-s")
	for _, r := range cpuRows(firstCPU0, firstCPU1) {
		row("first promotions: "+r[0], r[1])
	}
	row("first promotions: CPU, kubectl (one of the reaped children)", fmt.Sprintf("%.2f CPU-s", kubectlCPU.Seconds()))
	for _, r := range usageRows(firstUse0, firstUse1) {
		row("first promotions: "+r[0], r[1])
	}
	row("first promotions: machine speed probe, before / after (fixed work: CPU ms, lower is faster)", speedRow(firstSpeed0, firstSpeed1))
	row("first promotions: machine CPU idle / stolen by the hypervisor", fmt.Sprintf("%.1f / %.1f CPU-s", (firstMachine1.idle-firstMachine0.idle).Seconds(), (firstMachine1.steal-firstMachine0.steal).Seconds()))
	row("first promotions: machine CPU outside these processes", fmt.Sprintf("%.1f CPU-s", (firstMachine1.busy-firstMachine0.busy-processesCPU(firstCPU0, firstCPU1)).Seconds()))
	for _, r := range machineRows(firstMachine0, firstMachine1) {
		row("first promotions: "+r[0], r[1])
	}
	for _, r := range diskRows(firstDisk0, firstDisk1) {
		row("first promotions: "+r[0], r[1])
	}
	row("first promotions: git server requests (ref lists / fetches / pushes)",
		fmt.Sprintf("%d / %d / %d", firstGit.RefLists, firstGit.Fetches, firstGit.Pushes))
	row(registryRow("first promotions: ", firstReg))
	prefixed(row, "first promotions: ", "API requests", errors.Join(firstAPIErr, firstAPIErr1), func() [][2]string { return apiRequestRows(firstAPI0, firstAPI1, 20) })
	prefixed(row, "first promotions: ", "reconciles", errors.Join(firstRecErr, firstRecErr1), func() [][2]string { return reconcileRows(firstRec0, firstRec1) })
	prefixed(row, "first promotions: ", "queue wait", errors.Join(firstWaitErr, firstWaitErr1), func() [][2]string { return queueWaitRows(firstWait0, firstWait1) })
	for _, r := range sw.promotionBreakdown(b, sw.waitPromotionsDone(b), start) {
		row("first promotions: "+r[0], r[1])
	}
	// The first wave's tail (a Warehouse finishing its discovery after its
	// Freight, health and verification of the test Stages) must not run
	// into the measured wave: once it did, and a quarter of the Warehouses
	// fetched their git history in the middle of the new tag's wave.
	sw.waitDiscovered(b, nil)
	sw.waitQueuesEmpty(b)
	// All the work the apply caused, the tail after the wave included: a
	// change that only moves reconciles out of the wave shows here.
	settledRec, settledRecErr := reconcileCounts()
	prefixed(row, "apply → settled: ", "reconciles", errors.Join(firstRecErr, settledRecErr), func() [][2]string { return reconcileRows(firstRec0, settledRec) })

	// A new tag for every app, refreshed at once.
	pw.built = pw.built.Add(time.Minute)
	for _, app := range sw.apps {
		pw.reg.PushImage(b, "apps/"+app, "v1.0.1", registrytest.NewImage(b, registrytest.ImageSpec{Created: pw.built, OS: "linux", Arch: "amd64"}))
	}
	speed0 := speedProbe()
	stopProfile := profileWave(b, os.Getenv("SCALE_WAVE_PROFILE"))
	apiProfile := profileAPIServer(pw.ctx, sw.pw.env.Config, os.Getenv("SCALE_APISERVER_PROFILE"), 30)
	api0, apiErr := apiRequests(pw.ctx, sw.pw.env.Config)
	rec0, recErr := reconcileCounts()
	wait0, waitErr := queueWaits()
	use0 := usageByProcess()
	machine0 := readMachine()
	disk0 := sampleDisk()
	sw.git.ResetStats()
	pw.reg.ResetCounts()
	start = time.Now()
	sw.refreshAll(b)
	refreshed := time.Since(start)
	_, allFreight = sw.waitFreight(b, "v1.0.1", start)
	sw.waitTestBranches(b, heads)
	moved = time.Since(start)
	use1 := usageByProcess()
	cpu0, cpu1 := cpuOf(use0), cpuOf(use1)
	machine1 := readMachine()
	disk1 := sampleDisk()
	speed1 := speedProbe()
	gitStats := sw.git.Stats()
	regCounts := pw.reg.Counts()
	stopProfile()
	if err := apiProfile(); err != nil {
		b.Log(err)
	}
	api1, apiErr1 := apiRequests(pw.ctx, sw.pw.env.Config)
	rec1, recErr1 := reconcileCounts()
	wait1, waitErr1 := queueWaits()
	row("new tag: refresh annotations written (all apps)", secs(refreshed))
	row("new tag: refresh → all Freight", secs(allFreight))
	row("new tag: refresh → all test branches moved", secs(moved))
	b.ReportMetric(moved.Seconds(), "new-tag-s")
	for _, r := range cpuRows(cpu0, cpu1) {
		row("new tag: "+r[0], r[1])
	}
	for _, r := range usageRows(use0, use1) {
		row("new tag: "+r[0], r[1])
	}
	row("new tag: machine speed probe, before / after (fixed work: CPU ms, lower is faster)", speedRow(speed0, speed1))
	row("new tag: machine CPU idle / stolen by the hypervisor", fmt.Sprintf("%.1f / %.1f CPU-s", (machine1.idle-machine0.idle).Seconds(), (machine1.steal-machine0.steal).Seconds()))
	// Kernel threads (the filesystem's writeback) and any other program:
	// a build run beside the benchmark shows here.
	row("new tag: machine CPU outside these processes", fmt.Sprintf("%.1f CPU-s", (machine1.busy-machine0.busy-processesCPU(cpu0, cpu1)).Seconds()))
	for _, r := range machineRows(machine0, machine1) {
		row("new tag: "+r[0], r[1])
	}
	for _, r := range diskRows(disk0, disk1) {
		row("new tag: "+r[0], r[1])
	}
	row("new tag: git server requests (ref lists / fetches / pushes)",
		fmt.Sprintf("%d / %d / %d", gitStats.RefLists, gitStats.Fetches, gitStats.Pushes))
	row(registryRow("new tag: ", regCounts))
	promos := sw.waitPromotionsDone(b)
	row("new tag: Freight created → its Promotion created, mean / max", sw.freightToPromotion(b, promos, start))
	for _, r := range sw.promotionBreakdown(b, promos, start) {
		row("new tag: "+r[0], r[1])
	}
	for _, r := range sw.objectSizeRows(b, promos) {
		row(r[0], r[1])
	}
	prefixed(row, "new tag: ", "reconciles", errors.Join(recErr, recErr1), func() [][2]string { return reconcileRows(rec0, rec1) })
	prefixed(row, "new tag: ", "queue wait", errors.Join(waitErr, waitErr1), func() [][2]string { return queueWaitRows(wait0, wait1) })
	prefixed(row, "new tag: ", "API requests", errors.Join(apiErr, apiErr1), func() [][2]string { return apiRequestRows(api0, api1, 50) })

	// Idle: nothing to discover or promote; the stand-in is paused so only
	// the manager (and the registry, idle too) uses the CPU.
	pw.argo.Paused.Store(true)
	time.Sleep(10 * time.Second)
	rest0 := processCPU()
	time.Sleep(idle)
	perMin := (processCPU() - rest0).Seconds() / idle.Minutes()
	row("peak RSS of the test process (VmHWM; manager in process)", procStatus("VmHWM"))
	row("RSS now (VmRSS)", procStatus("VmRSS"))
	row("Go heap in use now", fmt.Sprintf("%.0f MiB", heapInUse()/(1<<20)))
	row(fmt.Sprintf("idle CPU, measured over %v", idle), fmt.Sprintf("%.2f CPU-s per minute", perMin))
	row("load average after", loadAverage())
	b.ReportMetric(perMin, "idle-cpu-s/min")

	printRows(fmt.Sprintf("Scale benchmark, %d apps", n), rows)
}

// profileWave writes a CPU profile of this process (the manager runs in
// it) to path until the returned function is called; an empty path
// profiles nothing.
func profileWave(tb testing.TB, path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		tb.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}

// prefixed adds rows, each named with prefix, or, when reading their figures
// failed, one row naming what and the error.
func prefixed(row func(k, v string), prefix, what string, err error, rows func() [][2]string) {
	if err != nil {
		row(prefix+what, err.Error())
		return
	}
	for _, r := range rows() {
		row(prefix+r[0], r[1])
	}
}

// printRows prints a benchmark's figures as a two-column table.
func printRows(title string, rows [][2]string) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintf(tw, "\n%s\n", title)
	for _, r := range rows {
		_, _ = fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
	}
	_ = tw.Flush()
}

// envSetting parses the environment variable name into v when it is set.
func envSetting[T any](tb testing.TB, name string, v *T, parse func(string) (T, error)) {
	tb.Helper()
	s := os.Getenv(name)
	if s == "" {
		return
	}
	got, err := parse(s)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	*v = got
}

// startScaleWorld starts the control plane, servers and manager for n apps;
// with separate, the manager runs as a process of its own (see
// managerProcess).
func startScaleWorld(tb testing.TB, n int, separate bool) *scaleWorld {
	tb.Helper()
	pw := startControlPlane(tb)
	env := pw.env
	pw.reg = registrytest.New(tb)
	sw := &scaleWorld{pw: pw}
	files := map[string]string{"README.md": "# One GitOps repository for every app\n"}
	for i := range n {
		app := fmt.Sprintf("app-%03d", i)
		sw.apps = append(sw.apps, app)
		for path, content := range scaleAppFiles(app, sw.image(app)) {
			files[path] = content
		}
	}
	sw.git = gittest.NewServer(tb, gittest.WithPush(), gittest.WithBasicAuth(gitUser, gitPassword))
	sw.repo = sw.git.CreateRepo("gitops", files)
	if err := env.Client.Create(pw.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}}); err != nil {
		tb.Fatal(err)
	}

	// A benchmark's manager logs go nowhere: kept in memory they would
	// count in the peak RSS.
	setupManagerLogs(tb)
	opts := manager.Options{MetricsAddr: "0", ProbeAddr: "0", WorkDir: scaleWorkDir(tb), SkipControllerNameValidation: true}
	// The manager's settings, to compare (-1 for the registry lifts it).
	envSetting(tb, "SCALE_PROMOTION_CONCURRENCY", &opts.PromotionConcurrency, strconv.Atoi)
	envSetting(tb, "SCALE_WAREHOUSE_CONCURRENCY", &opts.WarehouseConcurrency, strconv.Atoi)
	envSetting(tb, "SCALE_STAGE_CONCURRENCY", &opts.StageConcurrency, strconv.Atoi)
	envSetting(tb, "SCALE_REGISTRY_RPS", &opts.RegistryRequestsPerSecond, func(v string) (float64, error) { return strconv.ParseFloat(v, 64) })
	envSetting(tb, "SCALE_CACHE_BY_TAG_POLICY", &opts.CacheByTagPolicy, warehouse.ParseCacheByTagPolicy)
	if separate {
		sw.proc = startManagerProcess(tb, env.Kubeconfig, opts, os.Getenv("SCALE_PROFILE_DIR") != "")
	} else {
		mgr, err := manager.New(env.Config, opts)
		if err != nil {
			tb.Fatal(err)
		}
		ctx, cancel := context.WithCancel(pw.ctx)
		done := make(chan error, 1)
		go func() { done <- mgr.Start(ctx) }()
		tb.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("manager: %v", err)
			}
		})
	}

	// The stand-in syncs each Application its watch reports changed; its
	// periodic look at all of them (300 at 100 apps) is only a fallback.
	pw.argo = &demo.ArgoStandIn{Client: env.Client, Interval: 5 * time.Second}
	actx, acancel := context.WithCancel(pw.ctx)
	adone := make(chan struct{})
	go func() { defer close(adone); pw.argo.Run(actx) }()
	tb.Cleanup(func() { acancel(); <-adone })

	pw.applyProject(tb)
	pw.apply(tb, credentialSecrets(sw.repo.URL, pw.reg.Repo("apps/unused")))
	installScaleAdmission(tb, pw, scaleAdmission())
	return sw
}

// scaleAdmission is what admission the scale benchmark installs
// (SCALE_ADMISSION): "all" by default, as the chart on Kubernetes 1.36 or
// later (config/admission's ValidatingAdmissionPolicies and
// config/stage-finalizer's MutatingAdmissionPolicy); "validating", as on an
// older cluster, where the manager adds each Stage's finalizer itself; or
// "none", as the benchmark ran before the twenty-third session.
func scaleAdmission() string { return orDefaultString(os.Getenv("SCALE_ADMISSION"), "all") }

func installScaleAdmission(tb testing.TB, pw *pipelineWorld, admission string) {
	tb.Helper()
	switch admission {
	case "none":
	case "validating", "all":
		if out, err := pw.env.Kubectl(pw.ctx, nil, "apply", "--server-side", "-k", filepath.Join(pw.env.Root, "config", "admission")); err != nil {
			tb.Fatalf("%v: %s", err, out)
		}
		if admission == "all" {
			installStageFinalizerPolicy(tb, pw)
		}
	default:
		tb.Fatalf("SCALE_ADMISSION=%q: want all, validating or none", admission)
	}
}

// scaleWorkDir is the manager's work directory (checkouts and the git
// cache): a new directory under SCALE_WORK_DIR when set, such as /dev/shm
// for a tmpfs like the chart's workDir.medium=Memory, else the test's
// temporary directory.
func scaleWorkDir(tb testing.TB) string {
	parent := os.Getenv("SCALE_WORK_DIR")
	if parent == "" {
		return tb.TempDir()
	}
	dir, err := os.MkdirTemp(parent, "railyard-scale-")
	if err != nil {
		tb.Fatalf("SCALE_WORK_DIR: %v", err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// scaleAppFiles are one app's files in the shared GitOps repository: a base
// and an overlay per environment.
func scaleAppFiles(app, image string) map[string]string {
	files := map[string]string{
		"apps/" + app + "/base/kustomization.yaml": "resources:\n- deployment.yaml\n",
		"apps/" + app + "/base/deployment.yaml": fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: 1
  selector:
    matchLabels:
      app: %[1]s
  template:
    metadata:
      labels:
        app: %[1]s
    spec:
      containers:
      - name: %[1]s
        image: %[2]s:placeholder
`, app, image),
	}
	for _, env := range []string{"test", "staging", "prod"} {
		files["apps/"+app+"/overlays/"+env+"/kustomization.yaml"] = "resources:\n- ../../base\nnamePrefix: " + env + "-\n"
	}
	return files
}

// manifests are the project's objects: auto-promotion to every test Stage,
// the shared PromotionTask, and per app a Warehouse, three Stages and three
// Applications.
func (sw *scaleWorld) manifests() string {
	repo := sw.repo.URL
	var b strings.Builder
	if !sw.noAutoPromotion {
		fmt.Fprintf(&b, `apiVersion: railyard.dev/v1alpha1
kind: ProjectConfig
metadata:
  name: %[1]s
  namespace: %[1]s
spec:
  promotionPolicies:
  - stageSelector:
      name: glob:*-test
    autoPromotionEnabled: true
---
`, ns)
	}
	fmt.Fprintf(&b, `apiVersion: railyard.dev/v1alpha1
kind: PromotionTask
metadata:
  name: promote
  namespace: %[1]s
spec:
  vars:
  - name: app
  - name: env
  - name: image
  steps:
  - uses: git-clone
    as: clone
    config:
      repoURL: %[2]s
      checkout:
      - commit: ${{ commitFrom('%[2]s').ID }}
        path: ./src
      - branch: kargo/${{ vars.app }}/${{ vars.env }}
        create: true
        path: ./out
  - uses: git-clear
    as: clear
    config:
      path: ./out
  - uses: kustomize-set-image
    as: set-image
    config:
      path: ./src/apps/${{ vars.app }}/base
      images:
      - image: ${{ vars.image }}
        tag: ${{ imageFrom(vars.image).Tag }}
  - uses: kustomize-build
    as: render
    config:
      path: ./src/apps/${{ vars.app }}/overlays/${{ vars.env }}
      outPath: ./out/manifests.yaml
  - uses: git-commit
    as: commit
    config:
      path: ./out
      message: ${{ task.outputs['set-image'].commitMessage }}
  - uses: git-push
    as: push
    config:
      path: ./out
  - uses: argocd-update
    as: argocd-update
    config:
      apps:
      - name: ${{ vars.app }}-${{ vars.env }}
        namespace: argocd
        sources:
        - repoURL: %[2]s
          desiredRevision: ${{ task.outputs.push.commit }}
`, ns, repo)
	for _, app := range sw.apps {
		fmt.Fprintf(&b, `---
apiVersion: railyard.dev/v1alpha1
kind: Warehouse
metadata:
  name: %[1]s
  namespace: %[2]s
spec:
  interval: %[5]s
  subscriptions:
  - image:
      repoURL: %[3]s
  - git:
      repoURL: %[4]s
      branch: main
      includePaths:
      - apps/%[1]s
`, app, ns, sw.image(app), repo, orDefaultString(sw.interval, "24h"))
		prev := ""
		for _, env := range []string{"test", "staging", "prod"} {
			source := "direct: true"
			if prev != "" {
				source = "stages: [" + app + "-" + prev + "]"
			}
			prev = env
			fmt.Fprintf(&b, `---
apiVersion: railyard.dev/v1alpha1
kind: Stage
metadata:
  name: %[1]s-%[2]s
  namespace: %[3]s
spec:
  requestedFreight:
  - origin:
      kind: Warehouse
      name: %[1]s
    sources:
      %[4]s
  promotionTemplate:
    spec:
      steps:
      - task:
          name: promote
        vars:
        - name: app
          value: %[1]s
        - name: env
          value: %[2]s
        - name: image
          value: %[5]s
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %[1]s-%[2]s
  namespace: argocd
  annotations:
    railyard.dev/authorized-stage: %[3]s:%[1]s-%[2]s
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: %[1]s-%[2]s
  source:
    repoURL: %[6]s
    targetRevision: kargo/%[1]s/%[2]s
    path: .
`, app, env, ns, source, sw.image(app), repo)
		}
	}
	return b.String()
}

// waitFreight waits until every app has Freight with tag, and returns how
// long after start the first and the last appeared. It watches: listing
// every Freight ten times a second made the API server encode thousands of
// objects a second on the two cores the wave is measured on.
func (sw *scaleWorld) waitFreight(tb testing.TB, tag string, start time.Time) (first, all time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(sw.pw.ctx, 30*time.Minute)
	defer cancel()
	have := map[string]bool{}
	count := func(f *railyard.Freight) {
		if len(f.Images) == 1 && f.Images[0].Tag == tag && !have[f.Name] {
			have[f.Name] = true
			if first == 0 {
				first = time.Since(start)
			}
		}
	}
	var list railyard.FreightList
	if err := sw.pw.wc.List(ctx, &list, client.InNamespace(ns)); err != nil {
		tb.Fatal(err)
	}
	for i := range list.Items {
		count(&list.Items[i])
	}
	if len(have) == len(sw.apps) {
		return first, time.Since(start)
	}
	w, err := sw.pw.wc.Watch(ctx, &railyard.FreightList{}, client.InNamespace(ns), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: list.ResourceVersion}})
	if err != nil {
		tb.Fatal(err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		if f, ok := ev.Object.(*railyard.Freight); ok {
			count(f)
		}
		if len(have) == len(sw.apps) {
			return first, time.Since(start)
		}
	}
	tb.Fatalf("gave up waiting for Freight %s of every app: %d of %d (%v)", tag, len(have), len(sw.apps), ctx.Err())
	return 0, 0
}

// registryRow is a row of the registry's requests: Kargo's 20 requests/s
// per registry bounds how fast a wave's Freight can appear.
func registryRow(prefix string, c registrytest.Counts) (string, string) {
	return prefix + "registry requests (tag lists / manifest GETs, HEADs / blob GETs / other)",
		fmt.Sprintf("%d / %d, %d / %d / %d", c.TagsList, c.ManifestGet, c.ManifestHead, c.BlobGet, c.Ping+c.BlobHead+c.Other)
}

// firstCreated is when, after start, the first Freight of tag was created
// by the API server's clock (whole seconds, as it stores them).
func (sw *scaleWorld) firstCreated(tb testing.TB, tag string, start time.Time) time.Duration {
	tb.Helper()
	var list railyard.FreightList
	if err := sw.pw.wc.List(sw.pw.ctx, &list, client.InNamespace(ns)); err != nil {
		tb.Fatal(err)
	}
	var first time.Time
	for _, f := range list.Items {
		if len(f.Images) == 1 && f.Images[0].Tag == tag && (first.IsZero() || f.CreationTimestamp.Time.Before(first)) {
			first = f.CreationTimestamp.Time
		}
	}
	if first.IsZero() {
		return 0
	}
	return max(first.Sub(start.Truncate(time.Second)), 0)
}

// waitTestBranches waits until every app's test branch exists and differs
// from before (nil: only exists), and returns the heads.
func (sw *scaleWorld) waitTestBranches(tb testing.TB, before map[string]string) map[string]string {
	tb.Helper()
	var heads map[string]string
	sw.wait(tb, "every test branch to move", func() (bool, string) {
		var err error
		if heads, err = branchHeads(sw.repo.Dir); err != nil {
			return false, err.Error()
		}
		moved := 0
		for _, app := range sw.apps {
			if h, ok := heads["kargo/"+app+"/test"]; ok && h != before["kargo/"+app+"/test"] {
				moved++
			}
		}
		return moved == len(sw.apps), fmt.Sprintf("%d of %d moved", moved, len(sw.apps))
	})
	return heads
}

// wait polls cond; the bound (30 minutes: a slow machine with many apps
// takes minutes, which is what is measured) only keeps a broken run from
// hanging.
func (sw *scaleWorld) wait(tb testing.TB, what string, cond func() (bool, string)) {
	tb.Helper()
	sw.waitEvery(tb, 100*time.Millisecond, what, cond)
}

// waitEvery is wait with another poll interval: listing every Promotion
// uncached ten times a second cost this process 17 s of CPU with 100 apps.
func (sw *scaleWorld) waitEvery(tb testing.TB, every time.Duration, what string, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Minute)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(every)
	}
	tb.Fatalf("gave up waiting for %s; last state: %s", what, last)
}

// branchHeads reads the heads of the kargo/ branches from the bare
// repository's files, as git does (loose refs over packed-refs): polled ten
// times a second, running git for it was the benchmark's own CPU.
func branchHeads(dir string) (map[string]string, error) {
	heads := map[string]string{}
	packed, err := os.ReadFile(filepath.Join(dir, "packed-refs"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading packed refs: %w", err)
	}
	for _, l := range strings.Split(string(packed), "\n") {
		id, ref, ok := strings.Cut(l, " ")
		if name, kargo := strings.CutPrefix(ref, "refs/heads/"); ok && kargo && strings.HasPrefix(name, "kargo/") {
			heads[name] = id
		}
	}
	loose := filepath.Join(dir, "refs", "heads")
	err = filepath.WalkDir(filepath.Join(loose, "kargo"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // packed meanwhile
		}
		if err != nil {
			return err
		}
		name, _ := filepath.Rel(loose, p)
		heads[filepath.ToSlash(name)] = strings.TrimSpace(string(b))
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("listing branches: %w", err)
	}
	return heads, nil
}

// waitPromotionsDone waits until no Promotion is left running, fails on
// any that did not succeed, and returns them all.
func (sw *scaleWorld) waitPromotionsDone(tb testing.TB) []railyard.Promotion {
	tb.Helper()
	var list railyard.PromotionList
	sw.waitEvery(tb, time.Second, "every Promotion to finish", func() (bool, string) {
		if err := sw.pw.env.Client.List(sw.pw.ctx, &list, client.InNamespace(ns)); err != nil {
			return false, err.Error()
		}
		running := 0
		for _, p := range list.Items {
			switch {
			case !p.Status.Phase.IsTerminal():
				running++
			case p.Status.Phase != railyard.PromotionPhaseSucceeded:
				tb.Fatalf("Promotion %s ended %s: %s", p.Name, p.Status.Phase, p.Status.Message)
			}
		}
		return running == 0, fmt.Sprintf("%d running", running)
	})
	return list.Items
}

// promotionBreakdown tells where the Promotions created after since spent
// their time: waiting for their turn (created → first step started),
// running, and each step on average. Status times have a resolution of one
// second, so only averages over many Promotions mean something.
func (sw *scaleWorld) promotionBreakdown(tb testing.TB, promos []railyard.Promotion, since time.Time) [][2]string {
	tb.Helper()
	var waited, ran []time.Duration
	steps := map[string]time.Duration{}
	var order []string
	for _, p := range promos {
		if p.CreationTimestamp.Time.Before(since.Truncate(time.Second)) || p.Status.StartedAt == nil || p.Status.FinishedAt == nil {
			continue
		}
		waited = append(waited, p.Status.StartedAt.Sub(p.CreationTimestamp.Time))
		ran = append(ran, p.Status.FinishedAt.Sub(p.Status.StartedAt.Time))
		for _, md := range p.Status.StepExecutionMetadata {
			if md.StartedAt == nil || md.FinishedAt == nil {
				continue
			}
			_, alias, _ := strings.Cut(md.Alias, "::")
			if _, ok := steps[alias]; !ok {
				order = append(order, alias)
			}
			steps[alias] += md.FinishedAt.Sub(md.StartedAt.Time)
		}
	}
	if len(ran) == 0 {
		return nil
	}
	out := [][2]string{
		{"Promotions", strconv.Itoa(len(ran))},
		{"Promotion created → first step started, mean / max", meanMax(waited)},
		{"Promotion running (first step → finished), mean / max", meanMax(ran)},
	}
	for _, a := range order {
		out = append(out, [2]string{"step " + a + ", mean", secs(steps[a] / time.Duration(len(ran)))})
	}
	return out
}

// freightToPromotion is how long auto-promotion took to create each
// Promotion made after since, from its Freight's creation (one-second
// resolution).
func (sw *scaleWorld) freightToPromotion(tb testing.TB, promos []railyard.Promotion, since time.Time) string {
	tb.Helper()
	var list railyard.FreightList
	if err := sw.pw.env.Client.List(sw.pw.ctx, &list, client.InNamespace(ns)); err != nil {
		tb.Fatal(err)
	}
	created := map[string]time.Time{}
	for _, f := range list.Items {
		created[f.Name] = f.CreationTimestamp.Time
	}
	var ds []time.Duration
	for _, p := range promos {
		if at, ok := created[p.Spec.Freight]; ok && !p.CreationTimestamp.Time.Before(since.Truncate(time.Second)) {
			ds = append(ds, p.CreationTimestamp.Sub(at))
		}
	}
	if len(ds) == 0 {
		return "none"
	}
	return meanMax(ds)
}

func meanMax(ds []time.Duration) string {
	var sum, m time.Duration
	for _, d := range ds {
		sum += d
		m = max(m, d)
	}
	return secs(sum/time.Duration(len(ds))) + " / " + secs(m)
}

// refreshAll asks every Warehouse to discover now, all at once.
func (sw *scaleWorld) refreshAll(tb testing.TB) {
	tb.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(sw.apps))
	sem := make(chan struct{}, 16)
	now := time.Now().Format(time.RFC3339Nano)
	for _, app := range sw.apps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			wh := &railyard.Warehouse{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: app}}
			patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, railyard.AnnotationRefresh, now)
			if err := sw.pw.env.Client.Patch(sw.pw.ctx, wh, client.RawPatch("application/merge-patch+json", []byte(patch))); err != nil {
				errs <- fmt.Errorf("refreshing Warehouse %s: %w", app, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

func orDefaultString(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// processCPU is the user and system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus is a field of /proc/self/status, such as VmHWM.
func procStatus(field string) string {
	return procStatusOf("/proc/self/status", field)
}

// procStatusOf is a memory field of a /proc status file, in MiB.
func procStatusOf(path, field string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				return strings.TrimSpace(v)
			}
			return fmt.Sprintf("%.0f MiB", float64(kb)/1024)
		}
	}
	return "unknown"
}

func heapInUse() float64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return float64(s[0].Value.Uint64())
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return err.Error()
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return string(b)
	}
	return strings.Join(f[:3], " ")
}
