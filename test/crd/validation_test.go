package crd

import (
	"context"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

const ns = "validation"

func key(namespace, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: namespace, Name: name}
}

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: ns}
}

var warehouseOrigin = railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"}

func image(repo string) *railyard.ImageSubscription {
	return &railyard.ImageSubscription{RepoURL: repo}
}

func warehouse(name string, subs ...railyard.RepoSubscription) *railyard.Warehouse {
	return &railyard.Warehouse{ObjectMeta: meta(name), Spec: railyard.WarehouseSpec{Subscriptions: subs}}
}

func stage(name string, reqs []railyard.FreightRequest, steps ...railyard.PromotionStep) *railyard.Stage {
	s := &railyard.Stage{ObjectMeta: meta(name), Spec: railyard.StageSpec{RequestedFreight: reqs}}
	if len(steps) > 0 {
		s.Spec.PromotionTemplate = &railyard.PromotionTemplate{Spec: railyard.PromotionTemplateSpec{Steps: steps}}
	}
	return s
}

func direct() []railyard.FreightRequest {
	return []railyard.FreightRequest{{Origin: warehouseOrigin, Sources: railyard.FreightSources{Direct: true}}}
}

func config(raw string) *apiextensionsv1.JSON { return &apiextensionsv1.JSON{Raw: []byte(raw)} }

// TestCreateValidation shows that every schema rule rejects a bad object with
// a message naming the field, and that good objects pass.
func TestCreateValidation(t *testing.T) {
	createNamespace(t, ns)
	tests := []struct {
		name    string
		obj     client.Object
		wantErr string // empty: must be accepted
	}{
		{"warehouse with one image", warehouse("ok", railyard.RepoSubscription{Image: image("registry.example.com/app")}), ""},
		{"subscription with two sources", warehouse("two", railyard.RepoSubscription{Image: image("r.example.com/a"), Git: &railyard.GitSubscription{RepoURL: "https://g.example.com/r.git"}}), "a subscription must set exactly one of image, chart or git"},
		{"subscription with no source", warehouse("none", railyard.RepoSubscription{Name: "empty"}), "a subscription must set exactly one of image, chart or git"},
		{"warehouse without subscriptions", warehouse("nosubs"), "spec.subscriptions"},
		{"digest strategy without tag", warehouse("digest", railyard.RepoSubscription{Image: &railyard.ImageSubscription{RepoURL: "r.example.com/a", ImageSelectionStrategy: railyard.ImageSelectionStrategyDigest}}), "image.constraint must name the tag to follow"},
		{"unknown image strategy", warehouse("strategy", railyard.RepoSubscription{Image: &railyard.ImageSubscription{RepoURL: "r.example.com/a", ImageSelectionStrategy: "Newest"}}), "imageSelectionStrategy"},
		{"image repoURL with a tag", warehouse("tagged", railyard.RepoSubscription{Image: image("r.example.com/a:v1")}), "repoURL"},
		{"discoveryLimit above 100", warehouse("limit", railyard.RepoSubscription{Image: &railyard.ImageSubscription{RepoURL: "r.example.com/a", DiscoveryLimit: 101}}), "discoveryLimit"},
		{"bad platform", warehouse("platform", railyard.RepoSubscription{Image: &railyard.ImageSubscription{RepoURL: "r.example.com/a", Platform: "linux"}}), "platform"},
		{"bad interval", &railyard.Warehouse{ObjectMeta: meta("interval"), Spec: railyard.WarehouseSpec{Interval: &metav1.Duration{Duration: 90 * time.Millisecond}, Subscriptions: []railyard.RepoSubscription{{Image: image("r.example.com/a")}}}}, "spec.interval"},
		{"http chart without name", warehouse("chartname", railyard.RepoSubscription{Chart: &railyard.ChartSubscription{RepoURL: "https://charts.example.com"}}), "chart.name is required for an HTTP(S) chart repository"},
		{"oci chart with name", warehouse("ociname", railyard.RepoSubscription{Chart: &railyard.ChartSubscription{RepoURL: "oci://r.example.com/charts/app", Name: "app"}}), "chart.name must be empty for an oci:// repoURL"},
		{"git branch with a tag strategy", warehouse("gitbranch", railyard.RepoSubscription{Git: &railyard.GitSubscription{RepoURL: "https://g.example.com/r.git", Branch: "main", CommitSelectionStrategy: railyard.CommitSelectionStrategySemVer}}), "git.branch applies only to commitSelectionStrategy NewestFromBranch"},
		{"git scp url", warehouse("gitscp", railyard.RepoSubscription{Git: &railyard.GitSubscription{RepoURL: "git@github.com:org/repo.git"}}), ""},

		{"stage ok", stage("ok", direct(), railyard.PromotionStep{Uses: "git-clone"}), ""},
		{"stage without requested freight", stage("noreq", nil), "spec.requestedFreight must request Freight from at least one origin"},
		{"stage requesting one origin twice", stage("dup", append(direct(), direct()...)), "spec.requestedFreight must name each origin at most once"},
		{"sources with neither direct nor stages", stage("nosrc", []railyard.FreightRequest{{Origin: warehouseOrigin}}), "sources must set direct: true or name upstream stages"},
		{"match upstream with two upstreams", stage("match", []railyard.FreightRequest{{Origin: warehouseOrigin, Sources: railyard.FreightSources{Stages: []string{"a", "b"}, AutoPromotionOptions: &railyard.AutoPromotionOptions{SelectionPolicy: railyard.AutoPromotionSelectionPolicyMatchUpstream}}}}), "MatchUpstream needs exactly one upstream stage"},
		{"step with uses and task", stage("both", direct(), railyard.PromotionStep{Uses: "git-clone", Task: &railyard.PromotionTaskReference{Name: "t"}}), "a step must set exactly one of uses or task"},
		{"step with neither uses nor task", stage("neither", direct(), railyard.PromotionStep{As: "x"}), "a step must set exactly one of uses or task"},
		{"task step with config", stage("taskcfg", direct(), railyard.PromotionStep{Task: &railyard.PromotionTaskReference{Name: "t"}, Config: config(`{"a":1}`)}), "a task step may not set continueOnError, retry or config"},
		{"unknown availability strategy", stage("avail", []railyard.FreightRequest{{Origin: warehouseOrigin, Sources: railyard.FreightSources{Stages: []string{"a"}, AvailabilityStrategy: "Some"}}}), "availabilityStrategy"},
		{"bad var name", &railyard.Stage{ObjectMeta: meta("var"), Spec: railyard.StageSpec{RequestedFreight: direct(), Vars: []railyard.ExpressionVariable{{Name: "1bad"}}}}, "spec.vars[0].name"},

		{"promotion with freight", &railyard.Promotion{ObjectMeta: meta("p-ok"), Spec: railyard.PromotionSpec{Stage: "test", Freight: "abc"}}, ""},
		{"promotion with freight and origin", &railyard.Promotion{ObjectMeta: meta("p-both"), Spec: railyard.PromotionSpec{Stage: "test", Freight: "abc", Origin: &warehouseOrigin}}, "a Promotion must set exactly one of spec.freight or spec.origin"},
		{"promotion with neither freight nor origin", &railyard.Promotion{ObjectMeta: meta("p-none"), Spec: railyard.PromotionSpec{Stage: "test"}}, "a Promotion must set exactly one of spec.freight or spec.origin"},

		{"freight ok", &railyard.Freight{ObjectMeta: meta("f-ok"), Origin: warehouseOrigin, Images: []railyard.Image{{RepoURL: "r/a", Tag: "v1"}}}, ""},
		{"freight without artifacts", &railyard.Freight{ObjectMeta: meta("f-empty"), Origin: warehouseOrigin}, "Freight must contain at least one of images, charts or commits"},
		{"freight from an unknown kind", &railyard.Freight{ObjectMeta: meta("f-kind"), Origin: railyard.FreightOrigin{Kind: "Bucket", Name: "b"}, Images: []railyard.Image{{RepoURL: "r/a"}}}, "origin.kind"},

		{"policy with stage and selector", &railyard.ProjectConfig{ObjectMeta: meta("pc-both"), Spec: railyard.ProjectConfigSpec{PromotionPolicies: []railyard.PromotionPolicy{{Stage: "test", StageSelector: &railyard.PromotionPolicySelector{Name: "test"}}}}}, "a promotion policy must set exactly one of stage or stageSelector"},
		{"policy with neither", &railyard.ProjectConfig{ObjectMeta: meta("pc-none"), Spec: railyard.ProjectConfigSpec{PromotionPolicies: []railyard.PromotionPolicy{{AutoPromotionEnabled: true}}}}, "a promotion policy must set exactly one of stage or stageSelector"},

		{"task referencing a task", &railyard.PromotionTask{ObjectMeta: meta("t-nested"), Spec: railyard.PromotionTaskSpec{Steps: []railyard.PromotionStep{{Task: &railyard.PromotionTaskReference{Name: "other"}}}}}, "steps of a task must set uses"},
		{"task step with uses and task", &railyard.PromotionTask{ObjectMeta: meta("t-both"), Spec: railyard.PromotionTaskSpec{Steps: []railyard.PromotionStep{{Uses: "git-clone", Task: &railyard.PromotionTaskReference{Name: "other"}}}}}, "a step must set exactly one of uses or task"},
		{"task without steps", &railyard.PromotionTask{ObjectMeta: meta("t-empty")}, "spec.steps"},
		{"task reference of unknown kind", stage("taskkind", direct(), railyard.PromotionStep{Task: &railyard.PromotionTaskReference{Name: "t", Kind: "Task"}}), "task.kind"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := env.Client.Create(ctx, tt.obj)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("rejected a valid object: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("accepted an invalid object; want an error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestUpdateValidation shows the transition rules: Freight content and
// Promotion specs are immutable; Freight status and alias may change.
func TestUpdateValidation(t *testing.T) {
	ctx := context.Background()
	createNamespace(t, "immutable")
	f := &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Name: "f", Namespace: "immutable"},
		Origin:     warehouseOrigin,
		Images:     []railyard.Image{{RepoURL: "r/a", Tag: "v1", Digest: "sha256:1"}},
	}
	if err := env.Client.Create(ctx, f); err != nil {
		t.Fatal(err)
	}
	p := &railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "immutable"},
		Spec:       railyard.PromotionSpec{Stage: "test", Freight: "f"},
	}
	if err := env.Client.Create(ctx, p); err != nil {
		t.Fatal(err)
	}

	freightChange := func(change func(*railyard.Freight)) func(client.Object) {
		return func(o client.Object) { change(o.(*railyard.Freight)) }
	}
	promotionChange := func(change func(*railyard.Promotion)) func(client.Object) {
		return func(o client.Object) { change(o.(*railyard.Promotion)) }
	}
	tests := []struct {
		name    string
		obj     client.Object
		mutate  func(client.Object)
		wantErr string
	}{
		{"freight alias may change", f, freightChange(func(c *railyard.Freight) { c.Alias = "renamed" }), ""},
		{"freight origin", f, freightChange(func(c *railyard.Freight) { c.Origin.Name = "other" }), "origin is immutable"},
		{"freight image tag", f, freightChange(func(c *railyard.Freight) { c.Images[0].Tag = "v2" }), "images are immutable"},
		{"freight images removed", f, freightChange(func(c *railyard.Freight) {
			c.Images = nil
			c.Charts = []railyard.Chart{{RepoURL: "https://c", Name: "a", Version: "1"}}
		}), "images are immutable"},
		{"freight charts added", f, freightChange(func(c *railyard.Freight) {
			c.Charts = []railyard.Chart{{RepoURL: "https://c", Name: "a", Version: "1"}}
		}), "charts are immutable"},
		{"freight commits added", f, freightChange(func(c *railyard.Freight) {
			c.Commits = []railyard.GitCommit{{RepoURL: "https://g", ID: "a"}}
		}), "commits are immutable"},
		{"promotion stage", p, promotionChange(func(c *railyard.Promotion) { c.Spec.Stage = "prod" }), "spec is immutable"},
		{"promotion freight", p, promotionChange(func(c *railyard.Promotion) { c.Spec.Freight = "g" }), "spec is immutable"},
		{"promotion steps filled in once", p, promotionChange(func(c *railyard.Promotion) {
			c.Spec.Steps = []railyard.PromotionStep{{Uses: "git-clone"}}
			c.Spec.Vars = []railyard.ExpressionVariable{{Name: "env", Value: "test"}}
		}), ""},
		{"promotion steps changed", p, promotionChange(func(c *railyard.Promotion) {
			c.Spec.Steps = []railyard.PromotionStep{{Uses: "fail"}}
		}), "steps and vars may only be filled in once"},
		{"promotion vars removed", p, promotionChange(func(c *railyard.Promotion) { c.Spec.Vars = nil }), "steps and vars may only be filled in once"},
		{"promotion labels may change", p, promotionChange(func(c *railyard.Promotion) { c.Labels = map[string]string{"a": "b"} }), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Apply the change on top of the latest version.
			obj := tt.obj.DeepCopyObject().(client.Object)
			if err := env.Client.Get(ctx, client.ObjectKeyFromObject(tt.obj), obj); err != nil {
				t.Fatal(err)
			}
			tt.mutate(obj)
			err := env.Client.Update(ctx, obj)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("rejected a valid update: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("accepted an invalid update; want an error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}

	// Status stays writable through the status subresource.
	latest := &railyard.Freight{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(f), latest); err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	latest.Status.CurrentlyIn = map[string]railyard.CurrentStage{"test": {Since: &now}}
	if err := env.Client.Status().Update(ctx, latest); err != nil {
		t.Fatalf("updating Freight status: %v", err)
	}
}

// TestDefaults shows the schema's defaults are filled in.
func TestDefaults(t *testing.T) {
	ctx := context.Background()
	createNamespace(t, "defaults")
	wh := &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "defaults"},
		Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
			{Image: image("r.example.com/app")},
			{Chart: &railyard.ChartSubscription{RepoURL: "oci://r.example.com/charts/app"}},
			{Git: &railyard.GitSubscription{RepoURL: "https://g.example.com/r.git"}},
		}},
	}
	if err := env.Client.Create(ctx, wh); err != nil {
		t.Fatal(err)
	}
	got := &railyard.Warehouse{}
	if err := env.Client.Get(ctx, key("defaults", "w"), got); err != nil {
		t.Fatal(err)
	}
	img, chart, git := got.Spec.Subscriptions[0].Image, got.Spec.Subscriptions[1].Chart, got.Spec.Subscriptions[2].Git
	checks := []struct {
		field string
		got   any
		want  any
	}{
		{"spec.interval", got.Spec.Interval.Duration, 5 * time.Minute},
		{"GetInterval", got.Spec.GetInterval(), 5 * time.Minute},
		{"spec.freightCreationPolicy", got.Spec.FreightCreationPolicy, railyard.FreightCreationPolicyAutomatic},
		{"image.imageSelectionStrategy", img.ImageSelectionStrategy, railyard.ImageSelectionStrategySemVer},
		{"image.strictSemvers set", img.StrictSemvers != nil, true},
		{"image.strictSemvers", img.IsStrictSemvers(), true},
		{"image.discoveryLimit", img.DiscoveryLimit, int32(20)},
		{"chart.discoveryLimit", chart.DiscoveryLimit, int32(20)},
		{"git.commitSelectionStrategy", git.CommitSelectionStrategy, railyard.CommitSelectionStrategyNewestFromBranch},
		{"git.strictSemvers set", git.StrictSemvers != nil, true},
		{"git.discoveryLimit", git.DiscoveryLimit, int32(20)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}
}
