package promotion

import (
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func taskClient(t *testing.T) client.Client {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := railyard.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(scheme).WithObjects(
		&railyard.PromotionTask{
			ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "build"},
			Spec: railyard.PromotionTaskSpec{
				Vars: []railyard.PromotionTaskVar{
					{Name: "app"},                        // required
					{Name: "env", Value: "dev"},          // default
					{Name: "registry", Value: "ghcr.io"}, // default, but the Stage defines it
				},
				Steps: []railyard.PromotionStep{
					{Uses: "echo", As: "render", Config: cfg(map[string]any{"image": "${{ vars.registry }}/${{ vars.app }}:${{ vars.env }}"}),
						Vars: []railyard.ExpressionVariable{{Name: "own", Value: "x"}}},
					{Uses: ComposeOutputStep, Config: cfg(map[string]any{"image": "${{ task.outputs.render.image }}"})},
				},
			},
		},
		&railyard.PromotionTask{
			ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "foreign"},
			Spec:       railyard.PromotionTaskSpec{Steps: []railyard.PromotionStep{{Uses: "echo"}}},
		},
		&railyard.ClusterPromotionTask{
			ObjectMeta: metav1.ObjectMeta{Name: "shared"},
			Spec:       railyard.PromotionTaskSpec{Steps: []railyard.PromotionStep{{Uses: "echo"}, {Uses: "echo", As: "second"}}},
		},
	).Build()
}

func TestInflateSteps(t *testing.T) {
	c := taskClient(t)
	promoVars := []railyard.ExpressionVariable{{Name: "registry", Value: "quay.io"}}
	steps := []railyard.PromotionStep{
		{Uses: "echo"},
		{Task: &railyard.PromotionTaskReference{Name: "build"}, Vars: []railyard.ExpressionVariable{{Name: "app", Value: "web"}}},
		{Task: &railyard.PromotionTaskReference{Name: "shared", Kind: railyard.ClusterPromotionTaskKind}, As: "common"},
		{Uses: "echo", As: "last"},
	}
	got, err := InflateSteps(t.Context(), c, "demo", promoVars, steps)
	if err != nil {
		t.Fatal(err)
	}
	var aliases []string
	for _, s := range got {
		aliases = append(aliases, s.As)
	}
	if want := "step-1 task-2::render task-2::step-2 common::step-1 common::second last"; strings.Join(aliases, " ") != want {
		t.Errorf("aliases:\n got %s\nwant %s", strings.Join(aliases, " "), want)
	}
	var vars []string
	for _, v := range got[1].Vars {
		vars = append(vars, v.Name+"="+v.Value)
	}
	// env's default, not registry (the Stage defines it), then the caller's
	// vars, then the step's own.
	if want := "env=dev app=web own=x"; strings.Join(vars, " ") != want {
		t.Errorf("vars of task-2::render:\n got %s\nwant %s", strings.Join(vars, " "), want)
	}
	if steps[1].As != "" || steps[0].As != "" {
		t.Error("InflateSteps modified its input")
	}
}

func TestInflateStepsErrors(t *testing.T) {
	c := taskClient(t)
	tests := []struct {
		name    string
		steps   []railyard.PromotionStep
		wantErr error
		wantMsg string
	}{
		{
			name:    "missing required input",
			steps:   []railyard.PromotionStep{{Task: &railyard.PromotionTaskReference{Name: "build"}, As: "b"}},
			wantErr: ErrMissingTaskVar,
			wantMsg: `step "b" (PromotionTask "build"): missing value for task variable "app"`,
		},
		{
			name:    "task not found",
			steps:   []railyard.PromotionStep{{Task: &railyard.PromotionTaskReference{Name: "nope"}}},
			wantErr: ErrTaskNotFound,
			wantMsg: `PromotionTask "nope" in namespace demo`,
		},
		{
			name:    "task of another namespace",
			steps:   []railyard.PromotionStep{{Task: &railyard.PromotionTaskReference{Name: "foreign"}}},
			wantErr: ErrTaskNotFound,
			wantMsg: `"foreign"`,
		},
		{
			name:    "cluster task not found",
			steps:   []railyard.PromotionStep{{Task: &railyard.PromotionTaskReference{Name: "build", Kind: railyard.ClusterPromotionTaskKind}}},
			wantErr: ErrTaskNotFound,
			wantMsg: `ClusterPromotionTask "build"`,
		},
		{
			name:    "duplicate alias",
			steps:   []railyard.PromotionStep{{Uses: "echo", As: "x"}, {Uses: "echo", As: "x"}},
			wantErr: ErrInvalidSteps,
			wantMsg: `alias "x"`,
		},
		{
			name:    "neither uses nor task",
			steps:   []railyard.PromotionStep{{As: "empty"}},
			wantErr: ErrInvalidSteps,
			wantMsg: `step "empty" sets neither`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := InflateSteps(t.Context(), c, "demo", nil, tc.steps)
			if !errors.Is(err, tc.wantErr) || !IsTerminal(err) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("error %v, want terminal %v containing %q", err, tc.wantErr, tc.wantMsg)
			}
		})
	}
}

func TestRunInlinesTasksAndComposesOutputs(t *testing.T) {
	var log []string
	h := newHarness(t, echo(&log), composeOutput())
	h.eng.Reader = taskClient(t)
	p := promotion(
		railyard.PromotionStep{Task: &railyard.PromotionTaskReference{Name: "build"}, As: "build",
			Vars: []railyard.ExpressionVariable{{Name: "app", Value: "${{ ctx.stage }}-web"}}},
		railyard.PromotionStep{Uses: "echo", As: "use", Config: cfg(map[string]any{"image": "${{ outputs.build.image }}"})},
	)
	p.Spec.Vars = []railyard.ExpressionVariable{{Name: "registry", Value: "quay.io"}}
	out := h.run(p)
	if out.Phase != railyard.PromotionPhaseSucceeded {
		t.Fatalf("phase %s (%s)", out.Phase, p.Status.Message)
	}
	if got := statuses(p.Status); got != "build::render=Succeeded build::step-2=Succeeded use=Succeeded" {
		t.Errorf("statuses %s", got)
	}
	o := outputsOf(t, p.Status)
	const want = "quay.io/dev-web:dev"
	for _, alias := range []string{"build::render", "build::step-2", "build", "use"} {
		m, _ := o[alias].(map[string]any)
		if m["image"] != want {
			t.Errorf("outputs[%q].image = %v, want %s", alias, m["image"], want)
		}
	}
}

func TestRunMissingTaskIsErrored(t *testing.T) {
	h := newHarness(t, echo(nil))
	h.eng.Reader = taskClient(t)
	p := promotion(railyard.PromotionStep{Task: &railyard.PromotionTaskReference{Name: "build"}})
	out := h.run(p)
	if out.Phase != railyard.PromotionPhaseErrored || !strings.Contains(p.Status.Message, `missing value for task variable "app"`) {
		t.Fatalf("phase %s message %q", out.Phase, p.Status.Message)
	}
}
