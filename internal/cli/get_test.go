package cli

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// seedHistory builds a small project: two Freight, test running the newer,
// staging the older, and three Promotions, one of them resolved from
// upstream.
func seedHistory(t *testing.T) string {
	t.Helper()
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	seedStages(t, ns, "titiler")
	older := seedFreight(t, ns, "titiler", "calm-otter", "v1.1.0", "1.3.0", commitOld)
	newer := seedFreight(t, ns, "titiler", "brave-otter", "v1.2.0", "1.4.0", commitNew)
	discovered(t, older, 1)
	discovered(t, newer, 2)
	older.Status.VerifiedIn = map[string]railyard.VerifiedStage{"test": {}, "staging": {}}
	older.Status.CurrentlyIn = map[string]railyard.CurrentStage{"staging": {}}
	older.Status.ApprovedFor = map[string]railyard.ApprovedStage{"prod": {}}
	must(t, k8s.Status().Update(testCtx, older))
	newer.Status.CurrentlyIn = map[string]railyard.CurrentStage{"test": {}}
	must(t, k8s.Status().Update(testCtx, newer))

	day := func(d int) *metav1.Time { return &metav1.Time{Time: time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC)} }
	for _, p := range []struct {
		name, stage, freight string
		origin               bool
		phase                railyard.PromotionPhase
		resolved             *railyard.Freight
		finished             *metav1.Time
		message              string
	}{
		{"test.01jh0000000000000000000000.aaaaaaa", "test", older.Name, false, railyard.PromotionPhaseSucceeded, older, day(1), ""},
		{"staging.01jh0000000000000000000001", "staging", "", true, railyard.PromotionPhaseSucceeded, older, day(2), ""},
		{"test.01jh0000000000000000000002.bbbbbbb", "test", newer.Name, false, railyard.PromotionPhaseAborted, newer, day(3), "Aborted by request"},
	} {
		promo := &railyard.Promotion{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: p.name},
			Spec:       railyard.PromotionSpec{Stage: p.stage, Freight: p.freight},
		}
		if p.origin {
			promo.Spec.Origin = &railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "titiler"}
		}
		must(t, k8s.Create(testCtx, promo))
		promo.Status = railyard.PromotionStatus{Phase: p.phase, FinishedAt: p.finished, Message: p.message,
			Freight: &railyard.FreightReference{Name: p.resolved.Name, Origin: p.resolved.Origin},
			StepExecutionMetadata: []railyard.StepExecutionMetadata{
				{Alias: "clone", Status: railyard.StepStatusSucceeded},
				{Alias: "push", Status: railyard.StepStatusSucceeded},
			}}
		must(t, k8s.Status().Update(testCtx, promo))
	}
	setStageStatus(t, ns, "test", newer, railyard.HealthStateHealthy, nil, &railyard.PromotionReference{
		Name: "test.01jh0000000000000000000002.bbbbbbb", Status: &railyard.PromotionStatus{Phase: railyard.PromotionPhaseAborted},
	})
	setStageStatus(t, ns, "staging", older, railyard.HealthStateHealthy, nil, &railyard.PromotionReference{
		Name: "staging.01jh0000000000000000000001", Status: &railyard.PromotionStatus{Phase: railyard.PromotionPhaseSucceeded},
	})
	return ns
}

func TestGetGolden(t *testing.T) {
	ns := seedHistory(t)
	tests := []struct {
		golden string
		args   []string
	}{
		{"get_freight.golden", []string{"get", "freight"}},
		{"get_freight_one.json.golden", []string{"get", "freights", "calm-otter", "-o", "json"}},
		{"get_freight_one.yaml.golden", []string{"get", "freight", "brave-otter", "-o", "yaml"}},
		{"get_stages.golden", []string{"get", "stages"}},
		{"get_stages.json.golden", []string{"get", "stage", "staging", "-o", "json"}},
		{"get_stages.yaml.golden", []string{"get", "stage", "test", "-o", "yaml"}},
		{"get_promotions.golden", []string{"get", "promotions"}},
		{"get_promotions_stage.golden", []string{"get", "promos", "--stage", "test"}},
		{"get_promotions.json.golden", []string{"get", "promotion", "staging.01jh0000000000000000000001", "-o", "json"}},
		{"get_promotions.yaml.golden", []string{"get", "promotions", "--stage", "staging", "-o", "yaml"}},
		{"pipeline_plural.golden", []string{"get", "pipelines"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			golden(t, tt.golden, railyardCLI(ns, tt.args...).mustSucceed(t).stdout)
		})
	}
}

func TestGetRefusals(t *testing.T) {
	ns := seedHistory(t)
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown freight", []string{"get", "freight", "nope"}, `no freight is named or aliased "nope"`},
		{"unknown stage", []string{"get", "stages", "prd"}, `Stage "prd" not found in namespace ` + ns + "; it has: prod, staging, test"},
		{"unknown promotion", []string{"get", "promotions", "x"}, `Promotion "x" not found`},
		{"bad format", []string{"get", "stages", "-o", "wide"}, "unknown output format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			railyardCLI(ns, tt.args...).mustFail(t, tt.wantErr)
		})
	}
}

func TestUpdateFreightAlias(t *testing.T) {
	ns := seedHistory(t)
	tests := []struct {
		name    string
		args    []string
		wantOut string
		wantErr string
	}{
		{"by old alias", []string{"--old-alias", "brave-otter", "--new-alias", "release-1-2"}, "freight brave-otter (", ""},
		{"by name, alias taken", []string{"--name", "x", "--new-alias", "calm-otter"}, "", `Freight "x" not found`},
		{"alias taken", []string{"--old-alias", "release-1-2", "--new-alias", "calm-otter"}, "", `alias "calm-otter" is already used by freight`},
		{"invalid alias", []string{"--old-alias", "calm-otter", "--new-alias", "Not_Valid"}, "", "is not a valid alias"},
		{"neither name nor alias", []string{"--new-alias", "x"}, "", "exactly one of --name or --old-alias"},
		{"unchanged", []string{"--old-alias", "calm-otter", "--new-alias", "calm-otter"}, "already has alias calm-otter", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := railyardCLI(ns, append([]string{"update", "freight"}, tt.args...)...)
			if tt.wantErr != "" {
				r.mustFail(t, tt.wantErr)
				return
			}
			r.mustSucceed(t)
			if !strings.Contains(r.stdout, tt.wantOut) {
				t.Errorf("stdout = %q, want %q", r.stdout, tt.wantOut)
			}
		})
	}
	f, err := findFreight(testCtx, k8s, ns, "", "release-1-2")
	must(t, err)
	r := railyardCLI(ns, "update", "freight", "--name", f.Name, "--new-alias", "rc-1-2", "-o", "yaml").mustSucceed(t)
	golden(t, "update_freight.yaml.golden", r.stdout)
	if !strings.Contains(r.stderr, "now has alias rc-1-2") {
		t.Errorf("stderr = %q", r.stderr)
	}
	f, err = findFreight(testCtx, k8s, ns, "", "rc-1-2")
	must(t, err)
	if f.Alias != "rc-1-2" || f.Labels[railyard.LabelAlias] != "rc-1-2" {
		t.Errorf("alias %q, label %q; want rc-1-2 in both", f.Alias, f.Labels[railyard.LabelAlias])
	}
}

func TestPromoteDownstream(t *testing.T) {
	ns := seedHistory(t)
	// A second Stage fed by test.
	must(t, k8s.Create(testCtx, &railyard.Stage{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "qa"},
		Spec: railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{
			Origin:  railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "titiler"},
			Sources: railyard.FreightSources{Stages: []string{"test"}},
		}}},
	}))
	// brave-otter is not verified in test: refused for every downstream Stage,
	// and nothing is created.
	railyardCLI(ns, "promote", "--downstream-from", "test", "--alias", "brave-otter").
		mustFail(t, "promoting to no stage downstream of test: freight brave-otter")
	if n := len(promotionsOf(t, ns, "qa")); n != 0 {
		t.Fatalf("%d promotions to qa after a refusal", n)
	}
	r := railyardCLI(ns, "promote", "--downstream-from", "test", "--alias", "calm-otter").mustSucceed(t)
	golden(t, "promote_downstream.golden", normalizeNames(r.stdout))
	// As data, progress on stderr.
	r = railyardCLI(ns, "promote", "--downstream-from", "test", "--alias", "calm-otter", "-o", "json").mustSucceed(t)
	golden(t, "promote_downstream.json.golden", normalizeNames(r.stdout))
	if !strings.Contains(r.stderr, "created: freight calm-otter") {
		t.Errorf("stderr = %q", r.stderr)
	}
	railyardCLI(ns, "promote", "--downstream-from", "prod", "--alias", "calm-otter").mustFail(t, "nothing is downstream of it")
	railyardCLI(ns, "promote", "--downstream-from", "test", "--from-upstream").mustFail(t, "--downstream-from takes --freight or --alias")
}
