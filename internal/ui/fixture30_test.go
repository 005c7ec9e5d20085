package ui_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// The users' project: one Warehouse per application (image, chart and the
// deployment repository's main branch), each feeding test → staging →
// prod (user-workflow.md), 30 applications.
const bigNS = "eodhp"

var bigApps = []string{
	"titiler", "stac-fastapi", "resource-catalogue", "workspace-controller", "workspace-services", "harvester",
	"harvest-transformer", "web-presence", "accounting", "identity-api", "data-loader", "eoxhub-notebooks",
	"ades", "zoo-project", "pycsw", "terria", "stac-browser", "file-server", "annotations-api", "event-bus",
	"billing", "quota-manager", "dask-gateway", "link-checker", "search-api", "ingester", "thumbnailer",
	"metrics-exporter", "docs-site", "support-portal",
}

const bigGit = "https://github.com/EO-DataHub/eodhp-argocd-deployment.git"

var seedBigOnce struct {
	sync.Once
	err error
}

// seedBig creates the 30-app project once per test binary (tests and
// benchmarks share it): per app a Warehouse whose discovery lists 5
// commits, two Freight (the release running in staging and prod, verified
// in test and staging; the newer one running in test), the three Stages
// with their history and health, and one finished Promotion per Stage.
func seedBig(tb testing.TB) {
	tb.Helper()
	seedBigOnce.Do(func() { seedBigOnce.err = seedBigProject() })
	if seedBigOnce.err != nil {
		tb.Fatalf("seeding the 30-app project: %v", seedBigOnce.err)
	}
}

func seedBigProject() error {
	ctx := testCtx
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: bigNS}}); err != nil {
		return err
	}
	if err := k8s.Create(ctx, &railyard.Project{ObjectMeta: metav1.ObjectMeta{Name: bigNS}}); err != nil {
		return err
	}
	now := time.Now()
	for i, app := range bigApps {
		img := "public.ecr.aws/eodh/" + app
		chart := "oci://public.ecr.aws/eodh/charts/" + app
		wh := &railyard.Warehouse{ObjectMeta: metav1.ObjectMeta{Namespace: bigNS, Name: app},
			Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
				{Image: &railyard.ImageSubscription{RepoURL: img}},
				{Chart: &railyard.ChartSubscription{RepoURL: chart}},
				{Git: &railyard.GitSubscription{RepoURL: bigGit, Branch: "main"}}}}}
		if err := k8s.Create(ctx, wh); err != nil {
			return err
		}
		var commits []railyard.DiscoveredCommit
		for c := 5; c >= 1; c-- {
			commits = append(commits, railyard.DiscoveredCommit{ID: fmt.Sprintf("%02d%02d%s", i, c, strings.Repeat("ab", 18)),
				Branch: "main", Subject: fmt.Sprintf("%s: configuration change %d", app, c)})
		}
		wh.Status.DiscoveredArtifacts = &railyard.DiscoveredArtifacts{DiscoveredAt: metav1.Now(),
			Images: []railyard.ImageDiscoveryResult{{RepoURL: img, References: []railyard.DiscoveredImageReference{{Tag: "v1.4.0"}, {Tag: "v1.3.2"}}}},
			Charts: []railyard.ChartDiscoveryResult{{RepoURL: chart, Versions: []string{"0.9.1", "0.9.0"}}},
			Git:    []railyard.GitDiscoveryResult{{RepoURL: bigGit, Commits: commits}}}
		if err := k8s.Status().Update(ctx, wh); err != nil {
			return err
		}
		origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: app}
		mk := func(tag, version string, commit railyard.DiscoveredCommit, at time.Time) (*railyard.Freight, error) {
			f := &railyard.Freight{ObjectMeta: metav1.ObjectMeta{Namespace: bigNS}, Origin: origin, DiscoveredAt: &metav1.Time{Time: at},
				Images:  []railyard.Image{{RepoURL: img, Tag: tag}},
				Charts:  []railyard.Chart{{RepoURL: chart, Version: version}},
				Commits: []railyard.GitCommit{{RepoURL: bigGit, ID: commit.ID, Branch: "main", Message: commit.Subject}}}
			f.Name = freight.IDOf(f)
			f.Alias = freight.Alias(f.Name, 0)
			f.Labels = map[string]string{railyard.LabelAlias: f.Alias}
			return f, k8s.Create(ctx, f)
		}
		release, err := mk("v1.3.2", "0.9.0", commits[3], now.Add(-48*time.Hour))
		if err != nil {
			return err
		}
		newer, err := mk("v1.4.0", "0.9.1", commits[0], now.Add(-time.Hour))
		if err != nil {
			return err
		}
		since := metav1.NewTime(now.Add(-24 * time.Hour))
		release.Status.CurrentlyIn = map[string]railyard.CurrentStage{"staging": {Since: &since}, "prod": {Since: &since}}
		release.Status.VerifiedIn = map[string]railyard.VerifiedStage{"test": {VerifiedAt: &since}, "staging": {VerifiedAt: &since}}
		newer.Status.CurrentlyIn = map[string]railyard.CurrentStage{"test": {Since: &since}}
		for _, f := range []*railyard.Freight{release, newer} {
			if err := k8s.Status().Update(ctx, f); err != nil {
				return err
			}
		}
		for j, stage := range []string{"test", "staging", "prod"} {
			src := railyard.FreightSources{Direct: true}
			if j > 0 {
				src = railyard.FreightSources{Stages: []string{app + "-" + []string{"test", "staging"}[j-1]}}
			}
			st := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: bigNS, Name: app + "-" + stage},
				Spec: railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{Origin: origin, Sources: src}}}}
			if err := k8s.Create(ctx, st); err != nil {
				return err
			}
			running := release
			if stage == "test" {
				running = newer
			}
			health := railyard.HealthStateHealthy
			if i%7 == 3 && stage == "test" {
				health = railyard.HealthStateProgressing
			}
			st.Status.FreightHistory = []railyard.FreightCollection{{ID: "c" + stage, Freight: map[string]railyard.FreightReference{
				origin.String(): freight.Ref(running)}}}
			st.Status.Health = &railyard.Health{Status: health}
			if err := k8s.Status().Update(ctx, st); err != nil {
				return err
			}
			if err := seedBigPromotion(st.Name, running.Name, i); err != nil {
				return err
			}
		}
	}
	return nil
}

// seedBigPromotion creates a finished Promotion to stage, with the steps
// and outputs of the users' promotion task.
func seedBigPromotion(stage, freightName string, i int) error {
	p := &railyard.Promotion{ObjectMeta: metav1.ObjectMeta{Namespace: bigNS, Name: stage + "." + freightName[:12]},
		Spec: railyard.PromotionSpec{Stage: stage, Freight: freightName, Steps: []railyard.PromotionStep{
			{Uses: "git-clone", As: "clone"}, {Uses: "kustomize-set-image", As: "image"}, {Uses: "yaml-update", As: "chart"},
			{Uses: "git-commit", As: "commit"}, {Uses: "git-push", As: "push"}, {Uses: "argocd-update", As: "sync"}}}}
	if err := k8s.Create(testCtx, p); err != nil {
		return err
	}
	start := time.Now().Add(-time.Hour)
	var md []railyard.StepExecutionMetadata
	for j, s := range p.Spec.Steps {
		b, e := metav1.NewTime(start.Add(time.Duration(j)*2*time.Second)), metav1.NewTime(start.Add(time.Duration(j)*2*time.Second+time.Second))
		md = append(md, railyard.StepExecutionMetadata{Alias: s.As, Status: railyard.StepStatusSucceeded, StartedAt: &b, FinishedAt: &e})
	}
	commit := fmt.Sprintf("%040d", i)
	state, err := json.Marshal(map[string]any{
		"clone":  map[string]any{"commits": map[string]any{"./out": strings.Repeat("c", 40)}},
		"commit": map[string]any{"commit": commit, "diff": bigDiff(stage)},
		"push":   map[string]any{"commit": commit, "branch": "main"},
	})
	if err != nil {
		return err
	}
	p.Status.Phase = railyard.PromotionPhaseSucceeded
	p.Status.StepExecutionMetadata = md
	p.Status.State = &apiextensionsv1.JSON{Raw: state}
	return k8s.Status().Update(testCtx, p)
}

func bigDiff(stage string) string {
	return "diff --git a/apps/" + stage + "/kustomization.yaml b/apps/" + stage + "/kustomization.yaml\n" +
		"--- a/apps/" + stage + "/kustomization.yaml\n+++ b/apps/" + stage + "/kustomization.yaml\n" +
		"@@ -7,3 +7,3 @@ images:\n   - name: app\n-    newTag: v1.3.2\n+    newTag: v1.4.0\n" +
		"diff --git a/apps/" + stage + "/values.yaml b/apps/" + stage + "/values.yaml\n" +
		"--- a/apps/" + stage + "/values.yaml\n+++ b/apps/" + stage + "/values.yaml\n" +
		"@@ -1,2 +1,2 @@\n chart:\n-  version: 0.9.0\n+  version: 0.9.1\n"
}
