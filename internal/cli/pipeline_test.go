package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		must(t, os.MkdirAll(filepath.Dir(path), 0o755))
		must(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	must(t, err)
	if string(want) != got {
		t.Errorf("output differs from %s (rerun with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// setStageStatus writes what the Stage controller (not running here) would.
func setStageStatus(t *testing.T, ns, name string, f *railyard.Freight, health railyard.HealthState, current, last *railyard.PromotionReference) {
	t.Helper()
	var st railyard.Stage
	must(t, k8s.Get(testCtx, objectKey(ns, name), &st))
	if f != nil {
		ref := railyard.FreightReference{Name: f.Name, Origin: f.Origin, Images: f.Images, Charts: f.Charts, Commits: f.Commits}
		st.Status.FreightHistory = []railyard.FreightCollection{{ID: "c-" + name, Freight: map[string]railyard.FreightReference{f.Origin.String(): ref}}}
	}
	if health != "" {
		st.Status.Health = &railyard.Health{Status: health}
	}
	st.Status.CurrentPromotion = current
	st.Status.LastPromotion = last
	must(t, k8s.Status().Update(testCtx, &st))
}

func TestGetPipelineGolden(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	seedStages(t, ns, "titiler")
	// A fan-out and fan-in: qa is fed by test too, prod waits for staging.
	must(t, k8s.Create(testCtx, &railyard.Stage{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "qa"},
		Spec: railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{
			Origin:  railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "titiler"},
			Sources: railyard.FreightSources{Stages: []string{"test"}},
		}}},
	}))
	// A Stage requesting a Warehouse that does not exist (yet).
	must(t, k8s.Create(testCtx, &railyard.Stage{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "batch"},
		Spec: railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{
			Origin:  railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "worker"},
			Sources: railyard.FreightSources{Direct: true},
		}}},
	}))
	older := seedFreight(t, ns, "titiler", "calm-otter", "v1.1.0", "1.3.0", commitOld)
	newer := seedFreight(t, ns, "titiler", "brave-otter", "v1.2.0", "1.4.0", commitNew)
	discovered(t, older, 1)
	discovered(t, newer, 2)
	var wh railyard.Warehouse
	must(t, k8s.Get(testCtx, objectKey(ns, "titiler"), &wh))
	wh.Status.LastFreightID = newer.Name
	must(t, k8s.Status().Update(testCtx, &wh))

	finished := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	setStageStatus(t, ns, "test", newer, railyard.HealthStateHealthy, nil, &railyard.PromotionReference{
		Name: "test.01jh0000000000000000000000.aaaaaaa", FinishedAt: &finished,
		Status: &railyard.PromotionStatus{Phase: railyard.PromotionPhaseSucceeded},
	})
	setStageStatus(t, ns, "staging", older, railyard.HealthStateProgressing, &railyard.PromotionReference{
		Name: "staging.01jh0000000000000000000001.bbbbbbb",
	}, nil)
	// qa has no status yet, but a Promotion waits for it: the Stage
	// controller has not caught up, so the Promotion itself is shown.
	must(t, k8s.Create(testCtx, &railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "qa.01jh0000000000000000000002.ccccccc"},
		Spec:       railyard.PromotionSpec{Stage: "qa", Freight: newer.Name},
	}))

	out := railyardCLI(ns, "get", "pipeline").mustSucceed(t).stdout
	golden(t, "pipeline.golden", out)

	// --project is another name for the namespace.
	if byProject := railyardAs(env.Kubeconfig, "", "get", "pipeline", "--project", ns).mustSucceed(t).stdout; byProject != out {
		t.Errorf("--project output differs from -n output:\n%s", byProject)
	}
	empty := newNamespace(t)
	if got := railyardCLI(empty, "get", "pipeline").mustSucceed(t).stdout; got != "No warehouses in namespace "+empty+". Create one, or choose another project with --project.\n" {
		t.Errorf("empty project: %q", got)
	}
}

// discovered sets the Freight's discovery time to day d of January 2026.
func discovered(t *testing.T, f *railyard.Freight, d int) {
	t.Helper()
	f.DiscoveredAt = &metav1.Time{Time: time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC)}
	must(t, k8s.Update(testCtx, f))
}

// TestPipelineNewestFreight: a hand-made Freight newer than the
// Warehouse's last discovery is the newest, as --from-upstream sees it.
func TestPipelineNewestFreight(t *testing.T) {
	day := func(d int) *metav1.Time { return &metav1.Time{Time: time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC)} }
	origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "w"}
	wh := railyard.Warehouse{ObjectMeta: metav1.ObjectMeta{Name: "w"}, Status: railyard.WarehouseStatus{LastFreightID: "release"}}
	fr := []railyard.Freight{
		{ObjectMeta: metav1.ObjectMeta{Name: "release"}, Alias: "calm-otter", Origin: origin, DiscoveredAt: day(1)},
		{ObjectMeta: metav1.ObjectMeta{Name: "dev"}, Alias: "dev-build", Origin: origin, DiscoveredAt: day(2)},
		{ObjectMeta: metav1.ObjectMeta{Name: "other"}, Alias: "elsewhere", Origin: railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "x"}, DiscoveredAt: day(3)},
	}
	v := buildPipeline("ns", []railyard.Warehouse{wh}, nil, nil, fr)
	if got := v.Warehouses[0].NewestFreight; got != "dev-build" {
		t.Errorf("newest freight = %q, want dev-build", got)
	}
}

func TestBuildPipelineOrder(t *testing.T) {
	origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "w"}
	stage := func(name string, direct bool, ups ...string) railyard.Stage {
		return railyard.Stage{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{
				Origin: origin, Sources: railyard.FreightSources{Direct: direct, Stages: ups},
			}}},
		}
	}
	tests := []struct {
		name   string
		stages []railyard.Stage
		want   string
	}{
		{"chain", []railyard.Stage{stage("prod", false, "staging"), stage("test", true), stage("staging", false, "test")}, "w ─▶ test ─▶ staging ─▶ prod"},
		{"fan-in waits for the longest path", []railyard.Stage{stage("a", true), stage("b", false, "a"), stage("c", false, "a", "b")}, "w ─▶ a ─▶ b ─▶ c"},
		{"parallel", []railyard.Stage{stage("a", true), stage("y", false, "a"), stage("x", false, "a")}, "w ─▶ a ─▶ {x, y}"},
		{"cycle does not hang", []railyard.Stage{stage("a", false, "b"), stage("b", false, "a")}, "w ─▶ b ─▶ a"},
		{"unknown upstream counts as direct", []railyard.Stage{stage("a", false, "ghost")}, "w ─▶ a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := buildPipeline("ns", []railyard.Warehouse{{ObjectMeta: metav1.ObjectMeta{Name: "w"}}}, tt.stages, nil, nil)
			if got := chain(v.Warehouses[0]); got != tt.want {
				t.Errorf("chain = %q, want %q", got, tt.want)
			}
		})
	}
}
