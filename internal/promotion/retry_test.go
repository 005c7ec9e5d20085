package promotion

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// flaky fails with a retryable error on the given calls and succeeds on
// the others.
func flaky(failOn ...int) *fakeStep {
	return &fakeStep{name: "flaky", fn: func(call int, _ *StepContext) (Result, error) {
		for _, c := range failOn {
			if c == call {
				return Result{}, errors.New("connection reset")
			}
		}
		return Result{Status: railyard.StepStatusSucceeded, Output: map[string]any{"call": call}}, nil
	}}
}

func TestRetryThreshold(t *testing.T) {
	tests := []struct {
		name       string
		step       *fakeStep
		retry      *railyard.PromotionStepRetry
		wantRuns   []railyard.PromotionPhase
		wantStatus railyard.StepStatus
		wantMsg    string
	}{
		{
			name:       "default threshold is one: no retry",
			step:       flaky(1),
			wantRuns:   []railyard.PromotionPhase{railyard.PromotionPhaseErrored},
			wantStatus: railyard.StepStatusErrored,
			wantMsg:    "connection reset",
		},
		{
			name:       "errors below the threshold are retried",
			step:       flaky(1, 2),
			retry:      &railyard.PromotionStepRetry{ErrorThreshold: 3},
			wantRuns:   []railyard.PromotionPhase{railyard.PromotionPhaseRunning, railyard.PromotionPhaseRunning, railyard.PromotionPhaseSucceeded},
			wantStatus: railyard.StepStatusSucceeded,
		},
		{
			name:       "threshold reached",
			step:       flaky(1, 2, 3),
			retry:      &railyard.PromotionStepRetry{ErrorThreshold: 3},
			wantRuns:   []railyard.PromotionPhase{railyard.PromotionPhaseRunning, railyard.PromotionPhaseRunning, railyard.PromotionPhaseErrored},
			wantStatus: railyard.StepStatusErrored,
			wantMsg:    "3 consecutive errors, the last: connection reset",
		},
		{
			name: "terminal errors are never retried",
			step: &fakeStep{name: "flaky", fn: func(int, *StepContext) (Result, error) {
				return Result{Status: railyard.StepStatusFailed}, Terminalf("invalid config: field %q is required", "path")
			}},
			retry:      &railyard.PromotionStepRetry{ErrorThreshold: 5},
			wantRuns:   []railyard.PromotionPhase{railyard.PromotionPhaseFailed},
			wantStatus: railyard.StepStatusFailed,
			wantMsg:    `field "path" is required`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.step)
			p := promotion(railyard.PromotionStep{Uses: "flaky", Retry: tc.retry})
			for i, want := range tc.wantRuns {
				out := h.run(p)
				if out.Phase != want {
					t.Fatalf("run %d: phase %s (%s), want %s", i+1, out.Phase, p.Status.Message, want)
				}
				if want == railyard.PromotionPhaseRunning {
					md := p.Status.StepExecutionMetadata[0]
					if out.RequeueAfter != 3*time.Second || md.ErrorCount != uint32(i+1) || md.Status != railyard.StepStatusRunning {
						t.Errorf("run %d: requeue %s, errorCount %d, status %s", i+1, out.RequeueAfter, md.ErrorCount, md.Status)
					}
					// Polled runs must see the persisted state, as after a restart.
					if last := h.status[len(h.status)-1]; last.StepExecutionMetadata[0].ErrorCount != md.ErrorCount {
						t.Errorf("run %d: errorCount not persisted", i+1)
					}
				}
			}
			md := p.Status.StepExecutionMetadata[0]
			if md.Status != tc.wantStatus || !strings.Contains(md.Message, tc.wantMsg) {
				t.Errorf("step %s %q, want %s containing %q", md.Status, md.Message, tc.wantStatus, tc.wantMsg)
			}
			if tc.step.calls != len(tc.wantRuns) {
				t.Errorf("step ran %d times, want %d", tc.step.calls, len(tc.wantRuns))
			}
		})
	}
}

func TestErrorCountIsConsecutive(t *testing.T) {
	// error, running, error, success: with threshold 2 the two errors are
	// not consecutive, so the step succeeds.
	step := &fakeStep{name: "s", fn: func(call int, _ *StepContext) (Result, error) {
		switch call {
		case 1, 3:
			return Result{}, errors.New("timeout talking to the API")
		case 2:
			return Result{Status: railyard.StepStatusRunning}, nil
		}
		return Result{Status: railyard.StepStatusSucceeded}, nil
	}}
	h := newHarness(t, step)
	p := promotion(railyard.PromotionStep{Uses: "s", Retry: &railyard.PromotionStepRetry{ErrorThreshold: 2}})
	var last Outcome
	for range 4 {
		last = h.run(p)
	}
	if last.Phase != railyard.PromotionPhaseSucceeded {
		t.Fatalf("phase %s (%s), want Succeeded", last.Phase, p.Status.Message)
	}
}

func TestRunningStepsArePolled(t *testing.T) {
	step := &fakeStep{name: "wait", fn: func(call int, _ *StepContext) (Result, error) {
		if call < 3 {
			return Result{Status: railyard.StepStatusRunning, Message: "waiting for sync", RetryAfter: 7 * time.Second}, nil
		}
		return Result{Status: railyard.StepStatusSucceeded, Output: map[string]any{"done": true}}, nil
	}}
	h := newHarness(t, step, &fakeStep{name: "ok"})
	p := promotion(
		railyard.PromotionStep{Uses: "wait", As: "sync", If: "${{ ctx.stage == 'dev' }}"},
		railyard.PromotionStep{Uses: "ok", As: "after"},
	)
	out := h.run(p)
	if out.Phase != railyard.PromotionPhaseRunning || out.RequeueAfter != 7*time.Second {
		t.Fatalf("first run: %+v, want Running after 7s", out)
	}
	md := p.Status.StepExecutionMetadata[0]
	started := md.StartedAt.DeepCopy()
	if md.Status != railyard.StepStatusRunning || md.Message != "waiting for sync" || p.Status.CurrentStep != 0 {
		t.Errorf("while running: %+v, currentStep %d", md, p.Status.CurrentStep)
	}
	h.clock.SetTime(h.clock.Now().Add(7 * time.Second))
	if out := h.run(p); out.Phase != railyard.PromotionPhaseRunning {
		t.Fatalf("second run: %+v", out)
	}
	h.clock.SetTime(h.clock.Now().Add(7 * time.Second))
	if out := h.run(p); out.Phase != railyard.PromotionPhaseSucceeded {
		t.Fatalf("third run: %+v (%s)", out, p.Status.Message)
	}
	md = p.Status.StepExecutionMetadata[0]
	if !md.StartedAt.Equal(started) {
		t.Errorf("startedAt moved from %v to %v while polling", started, md.StartedAt)
	}
	if got := md.FinishedAt.Sub(md.StartedAt.Time); got != 14*time.Second {
		t.Errorf("step took %s by the fake clock, want 14s", got)
	}
	if statuses(p.Status) != "sync=Succeeded after=Succeeded" || step.calls != 3 {
		t.Errorf("statuses %s, calls %d", statuses(p.Status), step.calls)
	}
}

func TestTimeout(t *testing.T) {
	forever := func(name string) fakeStep {
		return fakeStep{name: name, fn: func(int, *StepContext) (Result, error) {
			return Result{Status: railyard.StepStatusRunning, Message: "still syncing"}, nil
		}}
	}
	tests := []struct {
		name  string
		step  Step
		retry *railyard.PromotionStepRetry
		limit time.Duration
	}{
		{
			name:  "retry.timeout",
			step:  func() *fakeStep { s := forever("slow"); return &s }(),
			retry: &railyard.PromotionStepRetry{Timeout: &metav1.Duration{Duration: time.Minute}},
			limit: time.Minute,
		},
		{
			name:  "step default timeout",
			step:  &slowStep{fakeStep: forever("slow"), timeout: 5 * time.Minute},
			limit: 5 * time.Minute,
		},
		{
			name:  "retry.timeout overrides the step default",
			step:  &slowStep{fakeStep: forever("slow"), timeout: 5 * time.Minute},
			retry: &railyard.PromotionStepRetry{Timeout: &metav1.Duration{Duration: 2 * time.Minute}},
			limit: 2 * time.Minute,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.step)
			p := promotion(railyard.PromotionStep{Uses: "slow", Retry: tc.retry})
			if out := h.run(p); out.Phase != railyard.PromotionPhaseRunning {
				t.Fatalf("first run: %+v", out)
			}
			h.clock.SetTime(h.clock.Now().Add(tc.limit - time.Second))
			if out := h.run(p); out.Phase != railyard.PromotionPhaseRunning {
				t.Fatalf("run just before the timeout: %+v (%s)", out, p.Status.Message)
			}
			h.clock.SetTime(h.clock.Now().Add(time.Second))
			out := h.run(p)
			md := p.Status.StepExecutionMetadata[0]
			if out.Phase != railyard.PromotionPhaseErrored || md.Status != railyard.StepStatusErrored || !strings.Contains(md.Message, "not finished after "+tc.limit.String()) {
				t.Errorf("after the timeout: phase %s, step %s %q", out.Phase, md.Status, md.Message)
			}
		})
	}
}

func TestStepDefaultErrorThreshold(t *testing.T) {
	s := &slowStep{fakeStep: *flaky(1, 2), threshold: 3}
	s.name = "slow"
	h := newHarness(t, s)
	p := promotion(railyard.PromotionStep{Uses: "slow"})
	var out Outcome
	for range 3 {
		out = h.run(p)
	}
	if out.Phase != railyard.PromotionPhaseSucceeded {
		t.Fatalf("phase %s (%s): the step's default threshold of 3 was not applied", out.Phase, p.Status.Message)
	}
}

func TestResume(t *testing.T) {
	for _, lostWorkDir := range []bool{false, true} {
		name := "work directory kept"
		if lostWorkDir {
			name = "work directory lost"
		}
		t.Run(name, func(t *testing.T) {
			var log []string
			wait := &fakeStep{name: "wait", log: &log, fn: func(call int, _ *StepContext) (Result, error) {
				if call == 1 {
					return Result{Status: railyard.StepStatusRunning}, nil
				}
				return Result{Status: railyard.StepStatusSucceeded}, nil
			}}
			h := newHarness(t, echo(&log), wait)
			steps := []railyard.PromotionStep{
				{Uses: "echo", As: "a", Config: cfg(map[string]any{"v": 1})},
				{Uses: "echo", As: "b", Config: cfg(map[string]any{"v": "${{ outputs.a.v + 1 }}"})},
				{Uses: "wait", As: "c"},
				{Uses: "echo", As: "d", Config: cfg(map[string]any{"v": "${{ outputs.b.v + 1 }}"})},
			}
			if out := h.run(promotion(steps...)); out.Phase != railyard.PromotionPhaseRunning {
				t.Fatalf("first run: %+v", out)
			}
			// The manager dies; a new one starts from the persisted status.
			persisted := h.status[len(h.status)-1]
			if persisted.CurrentStep != 2 {
				t.Fatalf("persisted currentStep %d, want 2", persisted.CurrentStep)
			}
			p := promotion(steps...)
			p.Status = *persisted.DeepCopy()
			eng2 := &Engine{Registry: h.eng.Registry, WorkRoot: h.eng.WorkRoot, Clock: h.clock}
			if lostWorkDir {
				if err := os.RemoveAll(eng2.WorkDir(p)); err != nil {
					t.Fatal(err)
				}
			}
			log = nil
			out, err := eng2.Run(t.Context(), p, h.persist)
			if err != nil || out.Phase != railyard.PromotionPhaseSucceeded {
				t.Fatalf("resumed run: %+v, %v (%s)", out, err, p.Status.Message)
			}
			wantLog := "c,d"
			if lostWorkDir {
				wantLog = "a,b,c,d"
			}
			if got := strings.Join(log, ","); got != wantLog {
				t.Errorf("resumed run ran %s, want %s", got, wantLog)
			}
			if got := outputsOf(t, p.Status)["d"].(map[string]any)["v"]; got != 3.0 {
				t.Errorf("outputs.d.v = %v, want 3", got)
			}
			if statuses(p.Status) != "a=Succeeded b=Succeeded c=Succeeded d=Succeeded" {
				t.Errorf("statuses %s", statuses(p.Status))
			}
		})
	}
}

func TestAbort(t *testing.T) {
	h := newHarness(t, &fakeStep{name: "wait", fn: func(int, *StepContext) (Result, error) {
		return Result{Status: railyard.StepStatusRunning}, nil
	}})
	p := promotion(railyard.PromotionStep{Uses: "wait"})
	if out := h.run(p); out.Phase != railyard.PromotionPhaseRunning {
		t.Fatalf("run: %+v", out)
	}
	if err := h.eng.Abort(t.Context(), p, "by alice", h.persist); err != nil {
		t.Fatal(err)
	}
	md := p.Status.StepExecutionMetadata[0]
	if p.Status.Phase != railyard.PromotionPhaseAborted || md.Status != railyard.StepStatusAborted || md.FinishedAt == nil {
		t.Errorf("after abort: phase %s, step %s", p.Status.Phase, md.Status)
	}
	if _, err := os.Stat(h.eng.WorkDir(p)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("work directory not removed on abort: %v", err)
	}
}
