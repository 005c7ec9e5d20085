package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd/argocdtest"
	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// world is everything the demo started; stop ends it all in reverse order.
type world struct {
	say  *narrator
	dir  string // temporary files, removed by stop
	env  *testenv.Env
	reg  *ociRegistry
	git  *gitServer
	helm *helmRepo

	uiURL   string // the web UI, http://127.0.0.1:PORT
	image   string // the image repository, 127.0.0.1:PORT/demo/app
	gitURL  string // the GitOps repository's clone URL
	chartRe string // the Helm repository's URL

	mu        sync.Mutex
	lastBuilt time.Time // build time of the newest pushed image

	stops []func()
}

// startWorld starts the control plane, the servers, the manager and the
// Argo CD stand-in, and applies the demo project. On error, whatever was
// started is stopped again.
func startWorld(ctx context.Context, opts Options, say *narrator) (*world, error) {
	w := &world{say: say}
	if err := w.start(ctx, opts); err != nil {
		say.step("Stopping what was started")
		w.stop()
		say.detail("stopped; temporary files removed")
		return nil, err
	}
	return w, nil
}

func (w *world) start(ctx context.Context, opts Options) error {
	say := w.say
	var err error
	if w.dir, err = os.MkdirTemp("", "railyard-demo-"); err != nil {
		return fmt.Errorf("creating a temporary directory: %w", err)
	}
	w.stops = append(w.stops, func() { _ = os.RemoveAll(w.dir) })

	say.step("Starting a local control plane (kube-apiserver and etcd from bin/k8s)")
	crd, err := argocdtest.TestCRDPath()
	if err != nil {
		return fmt.Errorf("getting Argo CD's Application CRD: %w", err)
	}
	if w.env, err = testenv.Start(testenv.Options{ExtraCRDPaths: []string{crd}}); err != nil {
		return err
	}
	w.stops = append(w.stops, func() { _ = w.env.Stop() })
	say.detail("Railyard's CRDs and Argo CD's Application CRD are installed")

	say.step("Starting the web UI (as 'railyard serve --local': no login, acting with the demo's kubeconfig)")
	if err := w.startUI(opts.UIAddr, opts.ManagerLog); err != nil {
		return err
	}
	say.detail("Web UI: %s    (open it now: the project appears below as the demo applies it)", w.uiURL)

	say.step("Starting a local OCI registry, git server and Helm chart repository")
	if w.reg, err = startRegistry(); err != nil {
		return err
	}
	w.stops = append(w.stops, w.reg.close)
	if w.helm, err = startHelmRepo(); err != nil {
		return err
	}
	w.stops = append(w.stops, w.helm.close)
	if w.git, err = startGitServer(w.dir); err != nil {
		return err
	}
	w.stops = append(w.stops, w.git.close)
	w.image, w.gitURL, w.chartRe = w.reg.repo(imageRepo), w.git.repoURL(gitopsRepo), w.helm.url
	if err := w.git.createRepo(gitopsRepo, GitOpsFiles(w.image, w.chartRe)); err != nil {
		return fmt.Errorf("creating the GitOps repository: %w", err)
	}
	say.detail("registry    %s (image %s)", w.reg.host, w.image)
	say.detail("git         %s (apps/demo: base and test/staging/prod overlays)", w.gitURL)
	say.detail("helm charts %s (%s %s)", w.chartRe, chartName, chartVersion)

	// The local control plane serves MutatingAdmissionPolicy, so the Stage
	// finalizer's policy is installed as the chart installs it there.
	say.step("Installing the admission policies (config/admission, config/stage-finalizer) and starting the Railyard manager")
	for _, dir := range []string{"admission", "stage-finalizer"} {
		manifests, err := w.env.Kubectl(ctx, nil, "kustomize", filepath.Join(w.env.Root, "config", dir))
		if err != nil {
			return err
		}
		if err := w.apply(ctx, manifests); err != nil {
			return err
		}
	}
	if err := w.startManager(opts); err != nil {
		return err
	}
	if err := w.env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: argoNamespace}}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", argoNamespace, err)
	}
	w.startArgoStandIn()
	say.detail("a stand-in for Argo CD's application controller completes the syncs Railyard requests (it deploys nothing)")

	say.step("Applying the demo project: Project, ProjectConfig, Warehouse, PromotionTask, Stages test → staging → prod")
	if err := w.apply(ctx, ProjectManifest); err != nil {
		return err
	}
	if err := poll(ctx, "the Project to create namespace "+projectName, func() (bool, string) {
		err := w.env.Client.Get(ctx, client.ObjectKey{Name: projectName}, &corev1.Namespace{})
		return err == nil, fmt.Sprint(err)
	}); err != nil {
		return err
	}
	if err := w.apply(ctx, ProjectManifests(w.image, w.chartRe, w.gitURL, 10*time.Second)+Applications(w.gitURL)); err != nil {
		return err
	}
	if err := setDefaultNamespace(w.env.Kubeconfig, projectName); err != nil {
		return err
	}
	say.detail("ProjectConfig auto-promotes new Freight to test; staging and prod wait for a person")
	return nil
}

// stop ends everything started, newest first, and removes temporary files.
func (w *world) stop() {
	for i := len(w.stops) - 1; i >= 0; i-- {
		w.stops[i]()
	}
	w.stops = nil
}

func (w *world) startManager(opts Options) error {
	if opts.ManagerLog != nil {
		ctrl.SetLogger(zap.New(zap.UseDevMode(true), zap.WriteTo(opts.ManagerLog)))
	} else {
		ctrl.SetLogger(logr.Discard())
	}
	work := filepath.Join(w.dir, "promotions")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", work, err)
	}
	mgr, err := manager.New(w.env.Config, manager.Options{
		MetricsAddr: "0",
		ProbeAddr:   "0",
		WorkDir:     work,
		// Run may be called more than once in one process (tests).
		SkipControllerNameValidation: true,
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var startErr error
	exited := make(chan struct{})
	go func() { startErr = mgr.Start(ctx); close(exited) }()
	w.stops = append(w.stops, func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
		}
	})
	// Fail early when the manager cannot start at all.
	select {
	case <-exited:
		return fmt.Errorf("the manager stopped: %w", startErr)
	case <-time.After(time.Second):
		return nil
	}
}

func (w *world) startArgoStandIn() {
	a := &ArgoStandIn{Client: w.env.Client, OnSync: func(app, rev string) {
		w.say.hold("[Argo CD stand-in] synced Application %s/%s to %s", argoNamespace, app, short(rev))
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx) }()
	w.stops = append(w.stops, func() { cancel(); <-done })
}

func (w *world) apply(ctx context.Context, manifests string) error {
	if _, err := w.env.Kubectl(ctx, strings.NewReader(manifests), "apply", "--server-side", "-f", "-"); err != nil {
		return fmt.Errorf("applying manifests: %w", err)
	}
	return nil
}

// pushTag pushes an image tagged tag, built after every earlier one, and
// asks the Warehouse to look now rather than at its next interval.
func (w *world) pushTag(ctx context.Context, tag string) (string, error) {
	if !validTag(tag) {
		return "", fmt.Errorf("%q is not a valid image tag", tag)
	}
	w.mu.Lock()
	built := time.Now()
	if !built.After(w.lastBuilt) {
		built = w.lastBuilt.Add(time.Second)
	}
	w.lastBuilt = built
	w.mu.Unlock()
	digest, err := w.reg.pushImage(ctx, imageRepo, tag, built)
	if err != nil {
		return "", err
	}
	if err := w.refreshWarehouse(ctx); err != nil {
		return "", err
	}
	return digest, nil
}

func (w *world) refreshWarehouse(ctx context.Context) error {
	wh := &railyard.Warehouse{}
	if err := w.env.Client.Get(ctx, client.ObjectKey{Namespace: projectName, Name: warehouseName}, wh); err != nil {
		return fmt.Errorf("reading Warehouse %s: %w", warehouseName, err)
	}
	patch := client.MergeFrom(wh.DeepCopy())
	if wh.Annotations == nil {
		wh.Annotations = map[string]string{}
	}
	wh.Annotations[railyard.AnnotationRefresh] = time.Now().Format(time.RFC3339Nano)
	if err := w.env.Client.Patch(ctx, wh, patch); err != nil {
		return fmt.Errorf("refreshing Warehouse %s: %w", warehouseName, err)
	}
	return nil
}

// poll checks cond until it holds or ctx ends; the error carries the last
// state cond reported.
func poll(ctx context.Context, what string, cond func() (bool, string)) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		ok, state := cond()
		if ok {
			return nil
		}
		last = state
		select {
		case <-ctx.Done():
			err := ctx.Err()
			if errors.Is(err, context.DeadlineExceeded) {
				err = ErrTimedOut
			}
			return fmt.Errorf("waiting for %s: %w; last seen: %s", what, err, last)
		case <-tick.C:
		}
	}
}

func short(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}
