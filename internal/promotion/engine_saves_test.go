package promotion

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// localStep changes only the work directory (WorkDirOnly).
type localStep struct{ fakeStep }

func (*localStep) WorkDirOnly() {}

// The engine saves when a step waits or retries and at the end, not after
// each step (Kargo's engine saves once per reconcile); each save holds
// every earlier step's result.
func TestSavesOnlyWhenWaitingRetryingOrDone(t *testing.T) {
	retryOnce := func(call int, _ *StepContext) (Result, error) {
		if call == 1 {
			return Result{}, errors.New("server busy")
		}
		return Result{Status: railyard.StepStatusSucceeded}, nil
	}
	tests := []struct {
		name  string
		steps []string // "l" a WorkDirOnly step, "x" one with effects elsewhere, "r" WorkDirOnly failing once
		runs  int      // Run calls until the end
		// saves are the currentStep of each save after the first (the
		// Running save before any step).
		saves []int64
	}{
		{name: "only work-directory steps", steps: []string{"l", "l", "l"}, runs: 1, saves: []int64{3}},
		{name: "a push between", steps: []string{"l", "l", "x", "l"}, runs: 1, saves: []int64{4}},
		{name: "effects elsewhere each", steps: []string{"x", "x"}, runs: 1, saves: []int64{2}},
		{name: "a retry after a push saves the push", steps: []string{"x", "r", "l"}, runs: 2, saves: []int64{1, 3}},
		{name: "a retry saves what came before", steps: []string{"l", "r", "l"}, runs: 2, saves: []int64{1, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local := &localStep{fakeStep{name: "local"}}
			elsewhere := &fakeStep{name: "elsewhere"}
			retry := &localStep{fakeStep{name: "retry", fn: retryOnce}}
			h := newHarness(t, local, elsewhere, retry)
			var steps []railyard.PromotionStep
			for i, s := range tt.steps {
				uses := map[string]string{"l": "local", "x": "elsewhere", "r": "retry"}[s]
				step := railyard.PromotionStep{Uses: uses, As: string(rune('a' + i))}
				if s == "r" {
					step.Retry = &railyard.PromotionStepRetry{ErrorThreshold: 2}
				}
				steps = append(steps, step)
			}
			p := promotion(steps...)
			var out Outcome
			for range tt.runs {
				out = h.run(p)
			}
			if out.Phase != railyard.PromotionPhaseSucceeded {
				t.Fatalf("phase %s: %s", out.Phase, p.Status.Message)
			}
			var got []int64
			for _, st := range h.status[1:] {
				got = append(got, st.CurrentStep)
			}
			if len(got) != len(tt.saves) {
				t.Fatalf("saves at steps %v, want %v", got, tt.saves)
			}
			for i := range got {
				if got[i] != tt.saves[i] {
					t.Fatalf("saves at steps %v, want %v", got, tt.saves)
				}
			}
		})
	}
}

// A manager that stops after work-directory steps ran but before a save
// runs them again from the last saved step: the saved status never claims
// a step whose result it does not hold.
func TestUnsavedWorkDirOnlyStepsRunAgain(t *testing.T) {
	local := &localStep{fakeStep{name: "local"}}
	crash := &fakeStep{name: "elsewhere"}
	h := newHarness(t, local, crash)
	p := promotion(
		railyard.PromotionStep{Uses: "local", As: "a"},
		railyard.PromotionStep{Uses: "local", As: "b"},
		railyard.PromotionStep{Uses: "elsewhere", As: "c"},
	)
	ctx, cancel := context.WithCancel(context.Background())
	crash.fn = func(int, *StepContext) (Result, error) {
		cancel() // the manager stops while c runs
		return Result{}, context.Canceled
	}
	// Saving needs the API server, which a stopped manager cannot reach.
	persist := func(ctx context.Context, st *railyard.PromotionStatus) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return h.persist(ctx, st)
	}
	if _, err := h.eng.Run(ctx, p, persist); err == nil {
		t.Fatal("Run went on after its context ended")
	}
	saved := h.status[len(h.status)-1]
	if saved.CurrentStep != 0 || len(saved.StepExecutionMetadata) != 0 {
		t.Fatalf("saved currentStep %d with %d step results before any step's result was saved", saved.CurrentStep, len(saved.StepExecutionMetadata))
	}
	// The restarted manager reads what was saved.
	resumed := p.DeepCopy()
	resumed.Status = *saved.DeepCopy()
	crash.fn = nil
	if out := h.run(resumed); out.Phase != railyard.PromotionPhaseSucceeded {
		t.Fatalf("resumed: %s %s", out.Phase, resumed.Status.Message)
	}
	if local.calls != 4 {
		t.Errorf("work-directory steps ran %d times, want 4 (twice each)", local.calls)
	}
}

// With HoldWait a waiting step's progress is not saved but handed back in
// the status: the next run goes on from it without running earlier steps
// again, and its end's save carries everything. Without it, the wait is
// saved.
func TestHeldWaitIsSavedWithTheEnd(t *testing.T) {
	waitOnce := func(call int, _ *StepContext) (Result, error) {
		if call == 1 {
			return Result{Status: railyard.StepStatusRunning, RetryAfter: time.Minute}, nil
		}
		return Result{Status: railyard.StepStatusSucceeded}, nil
	}
	for _, hold := range []bool{true, false} {
		t.Run(fmt.Sprintf("hold=%v", hold), func(t *testing.T) {
			push := &fakeStep{name: "push", fn: func(int, *StepContext) (Result, error) {
				return Result{Status: railyard.StepStatusSucceeded, Output: map[string]any{"commit": "abc"}}, nil
			}}
			wait := &fakeStep{name: "wait", fn: waitOnce}
			h := newHarness(t, push, wait)
			p := promotion(railyard.PromotionStep{Uses: "push", As: "push"}, railyard.PromotionStep{Uses: "wait", As: "wait"})
			opts := RunOptions{HoldWait: hold}
			out, err := h.eng.RunWith(context.Background(), p, h.persist, opts)
			if err != nil {
				t.Fatal(err)
			}
			if out.Phase != railyard.PromotionPhaseRunning || out.Unsaved != hold {
				t.Fatalf("first run: phase %s, unsaved %v", out.Phase, out.Unsaved)
			}
			wantSaves := 2 // the start and the wait
			if hold {
				wantSaves = 1
			}
			if h.saves != wantSaves {
				t.Fatalf("%d saves after the wait, want %d", h.saves, wantSaves)
			}
			// The progress is in the status either way.
			if p.Status.CurrentStep != 1 || len(p.Status.StepExecutionMetadata) != 2 || !strings.Contains(string(p.Status.State.Raw), `"abc"`) {
				t.Fatalf("status after the wait: step %d, %d results, state %s", p.Status.CurrentStep, len(p.Status.StepExecutionMetadata), p.Status.State.Raw)
			}
			out, err = h.eng.RunWith(context.Background(), p, h.persist, opts)
			if err != nil {
				t.Fatal(err)
			}
			if out.Phase != railyard.PromotionPhaseSucceeded || out.Unsaved {
				t.Fatalf("second run: phase %s, unsaved %v: %s", out.Phase, out.Unsaved, p.Status.Message)
			}
			if h.saves != wantSaves+1 {
				t.Fatalf("%d saves in all, want %d: the end only", h.saves, wantSaves+1)
			}
			if push.calls != 1 {
				t.Errorf("push ran %d times, want once", push.calls)
			}
			last := h.status[len(h.status)-1]
			if last.CurrentStep != 2 || len(last.StepExecutionMetadata) != 2 || !strings.Contains(string(last.State.Raw), `"abc"`) {
				t.Errorf("last save: step %d, %d results, state %s", last.CurrentStep, len(last.StepExecutionMetadata), last.State.Raw)
			}
		})
	}
}

// A step that will be retried after an error is saved even with HoldWait:
// its error count and the time of its next attempt must survive.
func TestHeldWaitSavesRetries(t *testing.T) {
	retry := &fakeStep{name: "retry", fn: func(call int, _ *StepContext) (Result, error) {
		if call == 1 {
			return Result{}, errors.New("server busy")
		}
		return Result{Status: railyard.StepStatusSucceeded}, nil
	}}
	h := newHarness(t, retry)
	step := railyard.PromotionStep{Uses: "retry", As: "a", Retry: &railyard.PromotionStepRetry{ErrorThreshold: 2}}
	p := promotion(step)
	out, err := h.eng.RunWith(context.Background(), p, h.persist, RunOptions{HoldWait: true})
	if err != nil {
		t.Fatal(err)
	}
	if out.Phase != railyard.PromotionPhaseRunning || out.Unsaved {
		t.Fatalf("phase %s, unsaved %v; want a saved retry", out.Phase, out.Unsaved)
	}
	if last := h.status[len(h.status)-1]; len(last.StepExecutionMetadata) != 1 || last.StepExecutionMetadata[0].ErrorCount != 1 {
		t.Fatalf("saved %+v, want the error counted", last.StepExecutionMetadata)
	}
}
