package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// update rewrites golden files: go test ./internal/cli -run Golden -update
var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var (
	env     *testenv.Env
	k8s     client.Client
	nsSeq   atomic.Int32
	testCtx = context.Background()
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	var err error
	env, err = testenv.Start(testenv.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	k8s = env.Client
	return m.Run()
}

// result is what one CLI invocation produced.
type result struct {
	code           int
	stdout, stderr string
}

// railyardCLI runs the CLI in-process against envtest in namespace ns, with
// fast polling so --wait tests finish quickly.
func railyardCLI(ns string, args ...string) result {
	return railyardAs(env.Kubeconfig, ns, args...)
}

func railyardAs(kubeconfig, ns string, args ...string) result {
	var out bytes.Buffer
	r := railyardWith(kubeconfig, &out, ns, args...)
	r.stdout = out.String()
	return r
}

// railyardTo runs the CLI with stdout going to out, which a test may read
// while the command runs.
func railyardTo(out *lockedBuffer, ns string, args ...string) result {
	r := railyardWith(env.Kubeconfig, out, ns, args...)
	r.stdout = out.String()
	return r
}

func railyardWith(kubeconfig string, out io.Writer, ns string, args ...string) result {
	var errOut bytes.Buffer
	opts := NewOptions(out, &errOut)
	opts.PollInterval = 20 * time.Millisecond
	all := append([]string{"--kubeconfig", kubeconfig, "-n", ns}, args...)
	code := run(testCtx, opts, all)
	return result{code: code, stderr: errOut.String()}
}

// lockedBuffer is a bytes.Buffer safe for one writer and one reader.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (r result) mustSucceed(t *testing.T) result {
	t.Helper()
	if r.code != ExitOK {
		t.Fatalf("exit code %d; stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

func (r result) mustFail(t *testing.T, wantErr string) result {
	t.Helper()
	if r.code == ExitOK {
		t.Fatalf("exit code 0, want failure; stdout:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, wantErr) {
		t.Fatalf("stderr does not contain %q:\n%s", wantErr, r.stderr)
	}
	return r
}

// newNamespace creates a fresh project namespace for one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := fmt.Sprintf("cli-%d", nsSeq.Add(1))
	if err := k8s.Create(testCtx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	return ns
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Artifacts of the fixture Warehouse "titiler", newest first.
const (
	imageRepo = "ghcr.io/acme/titiler"
	chartRepo = "https://charts.example.com"
	chartName = "titiler"
	gitRepo   = "https://github.com/acme/gitops.git"
	commitNew = "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2"
	commitOld = "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"
)

func digestOf(tag string) string {
	return "sha256:" + strings.Repeat(strings.NewReplacer(".", "", "v", "").Replace(tag), 22)[:64]
}

// seedWarehouse creates the Warehouse with image, chart and git
// subscriptions and writes its discovered artifacts through the status
// subresource, as the Warehouse controller (not running here) would.
func seedWarehouse(t *testing.T, ns, name string) *railyard.Warehouse {
	t.Helper()
	wh := &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
			{Image: &railyard.ImageSubscription{RepoURL: imageRepo}},
			{Chart: &railyard.ChartSubscription{RepoURL: chartRepo, Name: chartName}},
			{Git: &railyard.GitSubscription{RepoURL: gitRepo}},
		}},
	}
	must(t, k8s.Create(testCtx, wh))
	var refs []railyard.DiscoveredImageReference
	for _, tag := range []string{"v1.2.0", "v1.1.0", "v1.0.0"} {
		refs = append(refs, railyard.DiscoveredImageReference{Tag: tag, Digest: digestOf(tag)})
	}
	wh.Status.DiscoveredArtifacts = &railyard.DiscoveredArtifacts{
		DiscoveredAt: metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
		Images:       []railyard.ImageDiscoveryResult{{RepoURL: imageRepo, References: refs}},
		Charts:       []railyard.ChartDiscoveryResult{{RepoURL: chartRepo, Name: chartName, Versions: []string{"1.4.0", "1.3.0"}}},
		Git: []railyard.GitDiscoveryResult{{RepoURL: gitRepo, Commits: []railyard.DiscoveredCommit{
			{ID: commitNew, Branch: "main", Subject: "bump titiler", Author: "Jane"},
			{ID: commitOld, Branch: "main", Subject: "initial"},
		}}},
	}
	must(t, k8s.Status().Update(testCtx, wh))
	return wh
}

// seedFreight creates Freight of the fixture Warehouse with the given image
// tag, chart version and commit, named by its content.
func seedFreight(t *testing.T, ns, warehouse, alias, tag, chartVersion, commit string) *railyard.Freight {
	t.Helper()
	f := &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Labels: map[string]string{railyard.LabelAlias: alias}},
		Alias:      alias,
		Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: warehouse},
		Images:     []railyard.Image{{RepoURL: imageRepo, Tag: tag, Digest: digestOf(tag)}},
		Charts:     []railyard.Chart{{RepoURL: chartRepo, Name: chartName, Version: chartVersion}},
		Commits:    []railyard.GitCommit{{RepoURL: gitRepo, ID: commit, Branch: "main"}},
	}
	f.Name = freight.IDOf(f)
	must(t, k8s.Create(testCtx, f))
	return f
}

// seedStages creates test (fed by the Warehouse), staging (fed by test) and
// prod (fed by staging, after an hour of soak).
func seedStages(t *testing.T, ns, warehouse string) {
	t.Helper()
	origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: warehouse}
	for _, s := range []struct {
		name    string
		sources railyard.FreightSources
	}{
		{"test", railyard.FreightSources{Direct: true}},
		{"staging", railyard.FreightSources{Stages: []string{"test"}}},
		{"prod", railyard.FreightSources{Stages: []string{"staging"}, RequiredSoakTime: &metav1.Duration{Duration: time.Hour}}},
	} {
		must(t, k8s.Create(testCtx, &railyard.Stage{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: s.name},
			Spec:       railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{Origin: origin, Sources: s.sources}}},
		}))
	}
}

// waitFor polls cond until it holds or ten seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func objectKey(ns, name string) client.ObjectKey {
	return client.ObjectKey{Namespace: ns, Name: name}
}
