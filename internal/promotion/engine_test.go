package promotion

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// fakeStep is a step whose behaviour each test scripts; the engine, not the
// step, is under test.
type fakeStep struct {
	name    string
	fn      func(call int, sc *StepContext) (Result, error)
	calls   int
	configs []map[string]any
	log     *[]string
}

func (f *fakeStep) Name() string { return f.name }

func (f *fakeStep) Run(_ context.Context, sc *StepContext) (Result, error) {
	f.calls++
	f.configs = append(f.configs, sc.Config)
	if f.log != nil {
		*f.log = append(*f.log, sc.Alias)
	}
	if f.fn == nil {
		return Result{Status: railyard.StepStatusSucceeded}, nil
	}
	return f.fn(f.calls, sc)
}

// slowStep declares retry defaults, as argocd-update does.
type slowStep struct {
	fakeStep
	timeout   time.Duration
	threshold uint32
}

func (s *slowStep) DefaultTimeout() time.Duration { return s.timeout }
func (s *slowStep) DefaultErrorThreshold() uint32 { return s.threshold }

// echo publishes its configuration as its output.
func echo(log *[]string) *fakeStep {
	return &fakeStep{name: "echo", log: log, fn: func(_ int, sc *StepContext) (Result, error) {
		return Result{Status: railyard.StepStatusSucceeded, Output: sc.Config}, nil
	}}
}

// taskOutputStep is a fakeStep that publishes to its task (TaskOutput).
type taskOutputStep struct{ fakeStep }

func (*taskOutputStep) TaskOutput() {}

// composeOutput stands in for the real compose-output step.
func composeOutput() *taskOutputStep {
	return &taskOutputStep{fakeStep{name: ComposeOutputStep, fn: func(_ int, sc *StepContext) (Result, error) {
		return Result{Status: railyard.StepStatusSucceeded, Output: sc.Config}, nil
	}}}
}

func failing(name string, status railyard.StepStatus, err error) *fakeStep {
	return &fakeStep{name: name, fn: func(int, *StepContext) (Result, error) {
		return Result{Status: status, Message: "it broke"}, err
	}}
}

type harness struct {
	t      *testing.T
	eng    *Engine
	clock  *clocktesting.FakePassiveClock
	saves  int
	status []railyard.PromotionStatus
}

func newHarness(t *testing.T, steps ...Step) *harness {
	t.Helper()
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	return &harness{t: t, clock: clk, eng: &Engine{
		Registry:     NewRegistry(steps...),
		WorkRoot:     t.TempDir(),
		Clock:        clk,
		PollInterval: 3 * time.Second,
	}}
}

func (h *harness) persist(_ context.Context, st *railyard.PromotionStatus) error {
	h.saves++
	h.status = append(h.status, *st.DeepCopy())
	return nil
}

func (h *harness) run(p *railyard.Promotion) Outcome {
	h.t.Helper()
	out, err := h.eng.Run(context.Background(), p, h.persist)
	if err != nil {
		h.t.Fatalf("Run: %v", err)
	}
	return out
}

func promotion(steps ...railyard.PromotionStep) *railyard.Promotion {
	target := railyard.FreightReference{
		Name:   "f1",
		Origin: railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"},
		Images: []railyard.Image{{RepoURL: "ghcr.io/acme/app", Tag: "1.2.3"}},
	}
	return &railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "dev.01abc.f1", UID: types.UID("uid-1"),
			Annotations: map[string]string{railyard.AnnotationCreateActor: "alice"}},
		Spec:   railyard.PromotionSpec{Stage: "dev", Freight: "f1", Steps: steps},
		Status: railyard.PromotionStatus{Freight: &target},
	}
}

func cfg(m map[string]any) *apiextensionsv1.JSON {
	raw, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return &apiextensionsv1.JSON{Raw: raw}
}

func outputsOf(t *testing.T, st railyard.PromotionStatus) map[string]any {
	t.Helper()
	o, err := decodeState(st.State)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func statuses(st railyard.PromotionStatus) string {
	var s []string
	for _, md := range st.StepExecutionMetadata {
		s = append(s, md.Alias+"="+string(md.Status))
	}
	return strings.Join(s, " ")
}

func TestRunInOrderWithOutputsAndVars(t *testing.T) {
	var log []string
	h := newHarness(t, echo(&log))
	p := promotion(
		railyard.PromotionStep{Uses: "echo", As: "first", Config: cfg(map[string]any{"value": "${{ vars.app }}", "n": 2})},
		railyard.PromotionStep{Uses: "echo", Config: cfg(map[string]any{
			"fromOutput": "${{ outputs.first.value }}-x",
			"n":          "${{ outputs.first.n + 1 }}",
			"tag":        "${{ imageFrom('ghcr.io/acme/app').Tag }}",
			"who":        "${{ ctx.meta.promotion.actor }}@${{ ctx.stage }}",
		})},
		railyard.PromotionStep{Uses: "echo",
			Vars: []railyard.ExpressionVariable{
				{Name: "app", Value: "step-${{ vars.app }}"},
				{Name: "prev", Value: "${{ outputs['step-2'].fromOutput }}"},
			},
			Config: cfg(map[string]any{"app": "${{ vars.app }}", "prev": "${{ vars.prev }}", "env": "${{ vars.env }}"})},
	)
	p.Spec.Vars = []railyard.ExpressionVariable{
		{Name: "app", Value: "guestbook"},
		{Name: "env", Value: "${{ ctx.stage }}"},
		{Name: "app", Value: "${{ vars.app }}-v2"},
	}
	var dirSeen bool
	h.eng.Registry.Register(&fakeStep{name: "check-dir", fn: func(_ int, sc *StepContext) (Result, error) {
		_, err := os.Stat(sc.WorkDir)
		dirSeen = err == nil
		return Result{}, nil
	}})
	p.Spec.Steps = append(p.Spec.Steps, railyard.PromotionStep{Uses: "check-dir"})

	out := h.run(p)
	if out.Phase != railyard.PromotionPhaseSucceeded {
		t.Fatalf("phase = %s (%s), want Succeeded", out.Phase, p.Status.Message)
	}
	if got := strings.Join(log, ","); got != "first,step-2,step-3" {
		t.Errorf("steps ran in order %s", got)
	}
	o := outputsOf(t, p.Status)
	want := map[string]map[string]any{
		"first":  {"value": "guestbook-v2", "n": 2.0},
		"step-2": {"fromOutput": "guestbook-v2-x", "n": 3.0, "tag": "1.2.3", "who": "alice@dev"},
		"step-3": {"app": "step-guestbook-v2", "prev": "guestbook-v2-x", "env": "dev"},
	}
	for alias, fields := range want {
		got, _ := o[alias].(map[string]any)
		for k, v := range fields {
			if got[k] != v {
				t.Errorf("outputs.%s.%s = %#v, want %#v", alias, k, got[k], v)
			}
		}
	}
	if p.Status.CurrentStep != 4 || statuses(p.Status) != "first=Succeeded step-2=Succeeded step-3=Succeeded step-4=Succeeded" {
		t.Errorf("currentStep %d, statuses %s", p.Status.CurrentStep, statuses(p.Status))
	}
	if !dirSeen {
		t.Error("the work directory did not exist while steps ran")
	}
	if _, err := os.Stat(h.eng.WorkDir(p)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("work directory not removed after the promotion ended: %v", err)
	}
	if h.saves != 2 {
		t.Errorf("status persisted %d times, want 2 (at the start and at the end)", h.saves)
	}
	if p.Status.StartedAt == nil || p.Status.FinishedAt == nil {
		t.Error("startedAt/finishedAt not set")
	}
	// A terminal promotion runs nothing again.
	if again := h.run(p); again.Phase != railyard.PromotionPhaseSucceeded || len(log) != 3 {
		t.Errorf("second Run on a finished promotion: %v, steps ran %d times", again.Phase, len(log))
	}
}

func TestIfAndContinueOnError(t *testing.T) {
	tests := []struct {
		name      string
		steps     []railyard.PromotionStep
		wantPhase railyard.PromotionPhase
		want      string
	}{
		{
			name: "failure skips later steps without if; steps with if are evaluated",
			steps: []railyard.PromotionStep{
				{Uses: "ok", As: "a"},
				{Uses: "fail", As: "b"},
				{Uses: "ok", As: "c"},
				{Uses: "ok", As: "d", If: "${{ always() }}"},
				{Uses: "ok", As: "e", If: "${{ failure() }}"},
				{Uses: "ok", As: "f", If: "${{ success() }}"},
				{Uses: "ok", As: "g", If: "${{ status('b') == 'Failed' }}"},
				{Uses: "ok", As: "h", If: "${{ always() && status('b') == 'Succeeded' }}"},
				{Uses: "ok", As: "i", If: "${{ always() }}", Vars: []railyard.ExpressionVariable{{Name: "x", Value: "${{ outputs.b.missing }}"}}},
			},
			wantPhase: railyard.PromotionPhaseErrored,
			want:      "a=Succeeded b=Failed c=Skipped d=Succeeded e=Succeeded f=Skipped g=Succeeded h=Skipped i=Errored",
		},
		{
			name: "if without failure",
			steps: []railyard.PromotionStep{
				{Uses: "ok", As: "a", If: "${{ false }}"},
				{Uses: "ok", As: "b", If: "${{ status('a') == 'Skipped' }}"},
				{Uses: "ok", As: "c", If: "${{ failure() }}"},
				{Uses: "ok", As: "d", If: "${{ success() && ctx.stage == 'dev' }}"},
			},
			wantPhase: railyard.PromotionPhaseSucceeded,
			want:      "a=Skipped b=Succeeded c=Skipped d=Succeeded",
		},
		{
			name: "continueOnError keeps going and succeeds",
			steps: []railyard.PromotionStep{
				{Uses: "fail", As: "a", ContinueOnError: true},
				{Uses: "error", As: "b", ContinueOnError: true},
				{Uses: "ok", As: "c"},
				{Uses: "ok", As: "d", If: "${{ failure() }}"},
			},
			wantPhase: railyard.PromotionPhaseSucceeded,
			want:      "a=Failed b=Errored c=Succeeded d=Skipped",
		},
		{
			name: "worst step decides: errored beats failed",
			steps: []railyard.PromotionStep{
				{Uses: "fail", As: "a"},
				{Uses: "error", As: "b", If: "${{ always() }}"},
			},
			wantPhase: railyard.PromotionPhaseErrored,
			want:      "a=Failed b=Errored",
		},
		{
			name: "if that is not a bool",
			steps: []railyard.PromotionStep{
				{Uses: "ok", As: "a", If: "${{ ctx.stage }}"},
			},
			wantPhase: railyard.PromotionPhaseErrored,
			want:      "a=Errored",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t,
				&fakeStep{name: "ok"},
				failing("fail", railyard.StepStatusFailed, nil),
				failing("error", railyard.StepStatusErrored, Terminal(errors.New("bad config"))),
			)
			p := promotion(tc.steps...)
			out := h.run(p)
			if out.Phase != tc.wantPhase {
				t.Errorf("phase = %s (%s), want %s", out.Phase, p.Status.Message, tc.wantPhase)
			}
			if got := statuses(p.Status); got != tc.want {
				t.Errorf("statuses:\n got %s\nwant %s", got, tc.want)
			}
			for _, md := range p.Status.StepExecutionMetadata {
				if md.FinishedAt == nil {
					t.Errorf("step %s has no finishedAt", md.Alias)
				}
			}
		})
	}
}

func TestBadInputEndsTheStep(t *testing.T) {
	tests := []struct {
		name    string
		step    railyard.PromotionStep
		wantMsg string
	}{
		{"unknown step", railyard.PromotionStep{Uses: "git-clonez"}, `unknown step "git-clonez"`},
		{"expression does not compile", railyard.PromotionStep{Uses: "ok", Config: cfg(map[string]any{"a": "${{ vars. }}"})}, "config: a: expression error"},
		{"expression fails at run time", railyard.PromotionStep{Uses: "ok", Config: cfg(map[string]any{"a": "${{ outputs.none.x }}"})}, `"outputs.none.x"`},
		{"step var fails", railyard.PromotionStep{Uses: "ok", Vars: []railyard.ExpressionVariable{{Name: "v", Value: "${{ nope }}"}}}, `var "v"`},
		{"panic", railyard.PromotionStep{Uses: "panics"}, "panicked: runtime error: index out of range"},
		{"unexpected status", railyard.PromotionStep{Uses: "weird"}, `unexpected status "Bogus"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t,
				&fakeStep{name: "ok"},
				&fakeStep{name: "panics", fn: func(int, *StepContext) (Result, error) {
					var s []int
					_ = s[3]
					return Result{}, nil
				}},
				&fakeStep{name: "weird", fn: func(int, *StepContext) (Result, error) {
					return Result{Status: "Bogus"}, nil
				}},
			)
			p := promotion(tc.step, railyard.PromotionStep{Uses: "ok", As: "after"})
			out := h.run(p)
			if out.Phase != railyard.PromotionPhaseErrored {
				t.Fatalf("phase = %s, want Errored", out.Phase)
			}
			md := p.Status.StepExecutionMetadata[0]
			if md.Status != railyard.StepStatusErrored || !strings.Contains(md.Message, tc.wantMsg) {
				t.Errorf("step status %s message %q, want Errored containing %q", md.Status, md.Message, tc.wantMsg)
			}
			if !strings.Contains(p.Status.Message, "step-1") {
				t.Errorf("promotion message %q does not name the step", p.Status.Message)
			}
			if after := p.Status.StepExecutionMetadata[1]; after.Status != railyard.StepStatusSkipped {
				t.Errorf("later step %s, want Skipped", after.Status)
			}
		})
	}
}

func TestPromotionVarErrorEndsPromotion(t *testing.T) {
	h := newHarness(t, &fakeStep{name: "ok"})
	p := promotion(railyard.PromotionStep{Uses: "ok"})
	p.Spec.Vars = []railyard.ExpressionVariable{{Name: "x", Value: "${{ outputs.a }}"}}
	out := h.run(p)
	if out.Phase != railyard.PromotionPhaseErrored || !strings.Contains(p.Status.Message, `var "x"`) {
		t.Fatalf("phase %s message %q; promotion vars cannot read outputs", out.Phase, p.Status.Message)
	}
}

func TestHealthChecksAreKeptOnce(t *testing.T) {
	hc := &railyard.HealthCheckStep{Uses: "argocd-update", Config: cfg(map[string]any{"apps": []any{"a"}})}
	h := newHarness(t, &fakeStep{name: "argo", fn: func(int, *StepContext) (Result, error) {
		return Result{Status: railyard.StepStatusSucceeded, HealthCheck: hc}, nil
	}})
	p := promotion(railyard.PromotionStep{Uses: "argo"}, railyard.PromotionStep{Uses: "argo"})
	if out := h.run(p); out.Phase != railyard.PromotionPhaseSucceeded {
		t.Fatalf("phase %s", out.Phase)
	}
	if len(p.Status.HealthChecks) != 1 || p.Status.HealthChecks[0].Uses != "argocd-update" {
		t.Errorf("health checks = %+v, want one argocd-update", p.Status.HealthChecks)
	}
}
