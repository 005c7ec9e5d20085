package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// promotionsOf lists the Promotions for stage.
func promotionsOf(t *testing.T, ns, stage string) []railyard.Promotion {
	t.Helper()
	var list railyard.PromotionList
	must(t, k8s.List(testCtx, &list, client.InNamespace(ns)))
	var out []railyard.Promotion
	for _, p := range list.Items {
		if p.Spec.Stage == stage {
			out = append(out, p)
		}
	}
	return out
}

func TestPromote(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	seedStages(t, ns, "titiler")
	f := seedFreight(t, ns, "titiler", "calm-otter", "v1.1.0", "1.3.0", commitOld)

	r := railyardCLI(ns, "promote", "--stage", "test", "--alias", "calm-otter").mustSucceed(t)
	promos := promotionsOf(t, ns, "test")
	if len(promos) != 1 {
		t.Fatalf("got %d promotions, want 1", len(promos))
	}
	p := promos[0]
	parts := strings.Split(p.Name, ".")
	if len(parts) != 3 || parts[0] != "test" || len(parts[1]) != 26 || parts[1] != strings.ToLower(parts[1]) || parts[2] != f.Name[:7] {
		t.Errorf("promotion name %q is not test.<ulid>.<freight[:7]>", p.Name)
	}
	if p.Spec.Freight != f.Name || p.Labels[railyard.LabelStage] != "test" {
		t.Errorf("promotion = %+v", p)
	}
	if !strings.Contains(r.stdout, "promotion/"+p.Name+" created: freight calm-otter") {
		t.Errorf("stdout = %q", r.stdout)
	}

	// Nothing is verified in test yet: --from-upstream has nothing to pick.
	railyardCLI(ns, "promote", "--stage", "staging", "--from-upstream").mustFail(t, "no Freight from warehouse titiler is available to stage staging yet")
}

// TestPromoteFromUpstreamGolden reproduces issue 13's surprise: a hand-made
// dev build that reached test after the release is what test runs, so
// --from-upstream promotes it to staging, as Kargo's "Promote from
// upstream" does, and says so. Once test goes back to the release, the
// release is what staging gets.
func TestPromoteFromUpstreamGolden(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	seedStages(t, ns, "titiler")
	release := seedFreight(t, ns, "titiler", "calm-otter", "v1.1.0", "1.3.0", commitOld)
	dev := seedFreight(t, ns, "titiler", "dev-build", "v1.2.0", "1.4.0", commitNew)
	inTest := func(f *railyard.Freight, running bool) {
		f.Status.VerifiedIn = map[string]railyard.VerifiedStage{"test": {}}
		f.Status.CurrentlyIn = nil
		if running {
			f.Status.CurrentlyIn = map[string]railyard.CurrentStage{"test": {}}
		}
		must(t, k8s.Status().Update(testCtx, f))
	}
	inTest(release, false)
	inTest(dev, true)

	r := railyardCLI(ns, "promote", "--stage", "staging", "--from-upstream").mustSucceed(t)
	golden(t, "promote_from_upstream.golden", normalizeNames(r.stdout))
	inTest(dev, false)
	inTest(release, true)
	r = railyardCLI(ns, "promote", "--stage", "staging", "--from-upstream", "-o", "yaml").mustSucceed(t)
	golden(t, "promote_from_upstream.yaml.golden", normalizeNames(r.stdout))
	up := promotionsOf(t, ns, "staging")
	got := map[string]bool{}
	for _, p := range up {
		got[p.Spec.Freight] = true
	}
	if len(up) != 2 || !got[dev.Name] || !got[release.Name] {
		t.Errorf("from-upstream promotions = %+v, want one of %s and one of %s", up, dev.Name, release.Name)
	}
}

var ulidRe = regexp.MustCompile(`\.[0-9a-z]{26}\.`)

// normalizeNames replaces the ULID of Promotion names, which differs on
// every run, so output can be compared with a golden file.
func normalizeNames(s string) string { return ulidRe.ReplaceAllString(s, ".<ulid>.") }

func TestPromoteRefusals(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	seedWarehouse(t, ns, "worker")
	seedStages(t, ns, "titiler")
	f := seedFreight(t, ns, "titiler", "calm-otter", "v1.1.0", "1.3.0", commitOld)
	other := seedFreight(t, ns, "worker", "lone-yak", "v1.1.0", "1.3.0", commitOld)
	must(t, k8s.Create(testCtx, &railyard.Stage{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "both"},
		Spec: railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{
			{Origin: railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "titiler"}, Sources: railyard.FreightSources{Direct: true}},
			{Origin: railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "worker"}, Sources: railyard.FreightSources{Direct: true}},
		}},
	}))

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown stage lists stages", []string{"--stage", "qa", "--freight", f.Name}, `Stage "qa" not found in namespace ` + ns + "; it has: both, prod, staging, test"},
		{"unknown alias lists aliases", []string{"--stage", "test", "--alias", "nope"}, `no freight has alias "nope" in namespace ` + ns + "; aliases: calm-otter, lone-yak"},
		{"not verified upstream", []string{"--stage", "staging", "--freight", f.Name}, "is not available to stage staging, which takes Freight verified in one of test: it is not verified in stage test; promote it upstream first, or approve it with 'railyard approve --freight " + f.Name + " --stage staging'"},
		{"origin not requested", []string{"--stage", "test", "--freight", other.Name}, "comes from warehouse worker, but stage test requests Freight only from: titiler"},
		{"several origins need --origin", []string{"--stage", "both", "--from-upstream"}, "add --origin WAREHOUSE"},
		{"--origin not requested", []string{"--stage", "test", "--from-upstream", "--origin", "worker"}, "stage test does not request Freight from warehouse worker"},
		{"two choices", []string{"--stage", "test", "--alias", "calm-otter", "--from-upstream"}, "exactly one of --freight, --alias or --from-upstream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			railyardCLI(ns, append([]string{"promote"}, tt.args...)...).mustFail(t, tt.wantErr)
		})
	}
	railyardCLI(ns, "promote", "--stage", "both", "--from-upstream", "--origin", "worker").mustSucceed(t)
}

// TestPromoteWait stands in for the Promotion controller, which does not
// run here: once the CLI created the Promotion, the test advances its
// status step by step to a final phase.
func TestPromoteWait(t *testing.T) {
	tests := []struct {
		name     string
		final    railyard.PromotionPhase
		steps    []railyard.StepExecutionMetadata
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{
			name:  "succeeded",
			final: railyard.PromotionPhaseSucceeded,
			steps: []railyard.StepExecutionMetadata{
				{Alias: "clone", Status: railyard.StepStatusSucceeded},
				{Alias: "push", Status: railyard.StepStatusSucceeded, Message: "pushed 1a2b3c4"},
			},
			wantOut: []string{"promotion/", "Succeeded", "step 1/2 clone: Succeeded", "step 2/2 push: Succeeded: pushed 1a2b3c4"},
		},
		{
			name:  "failed step is named with its message",
			final: railyard.PromotionPhaseFailed,
			steps: []railyard.StepExecutionMetadata{
				{Alias: "clone", Status: railyard.StepStatusSucceeded},
				{Alias: "push", Status: railyard.StepStatusFailed, ErrorCount: 3, Message: "push rejected: non-fast-forward"},
			},
			wantCode: ExitError,
			wantOut:  []string{"step 2/2 push: Failed (3 errors): push rejected: non-fast-forward"},
			wantErr:  "Failed: step 2 (push) Failed: push rejected: non-fast-forward",
		},
		{
			name:     "aborted",
			final:    railyard.PromotionPhaseAborted,
			steps:    []railyard.StepExecutionMetadata{{Alias: "clone", Status: railyard.StepStatusAborted, Message: "aborted by user"}},
			wantCode: ExitError,
			wantErr:  "step 1 (clone) Aborted: aborted by user",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newNamespace(t)
			seedWarehouse(t, ns, "titiler")
			seedStages(t, ns, "titiler")
			seedFreight(t, ns, "titiler", "calm-otter", "v1.1.0", "1.3.0", commitOld)
			out := &lockedBuffer{}
			done := make(chan result, 1)
			go func() {
				done <- railyardTo(out, ns, "promote", "--stage", "test", "--alias", "calm-otter", "--wait", "--timeout", "30s")
			}()

			var promo railyard.Promotion
			waitFor(t, "the Promotion", func() bool {
				ps := promotionsOf(t, ns, "test")
				if len(ps) == 1 {
					promo = ps[0]
				}
				return len(ps) == 1
			})
			now := metav1.NewTime(time.Now())
			promo.Status = railyard.PromotionStatus{Phase: railyard.PromotionPhaseRunning, StartedAt: &now,
				StepExecutionMetadata: []railyard.StepExecutionMetadata{{Alias: tt.steps[0].Alias, Status: railyard.StepStatusRunning}}}
			must(t, k8s.Status().Update(testCtx, &promo))
			// The golden output shows the Running step; let the CLI see it.
			waitFor(t, "the running step", func() bool { return strings.Contains(out.String(), "Running") })
			promo.Status.Phase = tt.final
			promo.Status.FinishedAt = &now
			promo.Status.StepExecutionMetadata = tt.steps
			must(t, k8s.Status().Update(testCtx, &promo))

			r := <-done
			if r.code != tt.wantCode {
				t.Fatalf("exit code %d, want %d; stderr %s", r.code, tt.wantCode, r.stderr)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout does not contain %q:\n%s", want, r.stdout)
				}
			}
			if !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantErr, r.stderr)
			}
			golden(t, "promote_wait/"+strings.ReplaceAll(tt.name, " ", "_")+".golden", normalizeNames(r.stdout+"--- stderr\n"+r.stderr))
		})
	}
}

// TestPromoteForbidden checks that RBAC refusals and the admission
// policy's refusal both tell the user which verb they lack.
func TestPromoteForbidden(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	seedStages(t, ns, "titiler")
	seedFreight(t, ns, "titiler", "calm-otter", "v1.1.0", "1.3.0", commitOld)

	// Installing the policy affects the whole envtest: administrators
	// (system:masters) pass its check, so other tests are unaffected.
	policy, err := os.ReadFile(filepath.Join(env.Root, "config", "admission", "promote_policy.yaml"))
	must(t, err)
	if _, err := env.Kubectl(testCtx, strings.NewReader(string(policy)), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}

	reader := func(verbs ...string) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{
			{APIGroups: []string{"railyard.dev"}, Resources: []string{"stages", "freights", "warehouses"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{"railyard.dev"}, Resources: []string{"promotions"}, Verbs: verbs},
		}
	}
	for _, u := range []struct {
		name  string
		rules []rbacv1.PolicyRule
	}{
		{"viewer", reader("get", "list")},
		{"creator", reader("get", "list", "create")},
	} {
		must(t, k8s.Create(testCtx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: u.name}, Rules: u.rules}))
		must(t, k8s.Create(testCtx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: u.name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: u.name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: u.name}},
		}))
	}

	viewer, _, err := env.AddUser("viewer")
	must(t, err)
	railyardAs(viewer, ns, "promote", "--stage", "test", "--alias", "calm-otter").
		mustFail(t, "you need the verb promote on stages/test and create on promotions in namespace "+ns)

	// The creator may create Promotions but lacks the promote verb, so the
	// admission policy refuses; it takes effect once the API server has
	// loaded it.
	creator, _, err := env.AddUser("creator")
	must(t, err)
	var last result
	waitFor(t, "the admission policy to refuse", func() bool {
		last = railyardAs(creator, ns, "promote", "--stage", "test", "--alias", "calm-otter")
		return last.code != ExitOK
	})
	last.mustFail(t, "may not promote to Stage test: it needs the verb promote on stages/test")
	last.mustFail(t, "you need the verb promote on stages/test")
}

// A Promotion is created in its Stage's shard, so the Stage's shard
// manager runs it without a hand-off.
func TestPromoteTakesTheStageShard(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	seedStages(t, ns, "titiler")
	seedFreight(t, ns, "titiler", "calm-otter", "v1.1.0", "1.3.0", commitOld)
	st := &railyard.Stage{}
	must(t, k8s.Get(testCtx, client.ObjectKey{Namespace: ns, Name: "test"}, st))
	st.Spec.Shard = "eu"
	must(t, k8s.Update(testCtx, st))

	railyardCLI(ns, "promote", "--stage", "test", "--alias", "calm-otter").mustSucceed(t)
	promos := promotionsOf(t, ns, "test")
	if len(promos) != 1 || promos[0].Labels[railyard.LabelShard] != "eu" {
		t.Fatalf("promotions = %+v, want one labelled with shard eu", promos)
	}
}
