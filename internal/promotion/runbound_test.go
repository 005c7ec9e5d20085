package promotion

import (
	"context"
	"strings"
	"testing"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// hangingStep blocks until its context ends, like a step talking to a
// server that accepted the connection and never answers.
type hangingStep struct{ name string }

func (h hangingStep) Name() string { return h.name }

func (h hangingStep) Run(ctx context.Context, _ *StepContext) (Result, error) {
	<-ctx.Done()
	return Result{}, ctx.Err()
}

func TestStepRunIsBounded(t *testing.T) {
	tests := []struct {
		name      string
		retry     *railyard.PromotionStepRetry
		wantPhase railyard.PromotionPhase
	}{
		{"one attempt: the step errors", nil, railyard.PromotionPhaseErrored},
		{"retries left: the Promotion runs on", &railyard.PromotionStepRetry{ErrorThreshold: 3}, railyard.PromotionPhaseRunning},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, hangingStep{name: "hang"})
			h.eng.StepRunTimeout = 50 * time.Millisecond
			p := promotion(railyard.PromotionStep{Uses: "hang", As: "hang", Retry: tc.retry})
			done := make(chan Outcome, 1)
			go func() { out, _ := h.eng.Run(context.Background(), p, nil); done <- out }()
			var out Outcome
			select {
			case out = <-done:
			case <-time.After(time.Minute): // a guard against a hang, not a timing assertion
				t.Fatal("the engine waited on a hanging step")
			}
			if out.Phase != tc.wantPhase {
				t.Fatalf("phase %s, want %s", out.Phase, tc.wantPhase)
			}
			md := p.Status.StepExecutionMetadata[0]
			if !strings.Contains(md.Message, "did not finish within") || md.ErrorCount != 1 {
				t.Fatalf("step metadata %+v does not record the timeout as one error", md)
			}
		})
	}
}

// A step's message never shows where the work directory is.
func TestMessagesHideTheWorkDirectory(t *testing.T) {
	var dir string
	h := newHarness(t, &fakeStep{name: "leaky", fn: func(_ int, sc *StepContext) (Result, error) {
		dir = sc.WorkDir
		return Result{}, Terminalf("open %s/out/app.yaml: permission denied", sc.WorkDir)
	}})
	p := promotion(railyard.PromotionStep{Uses: "leaky", As: "leaky"})
	if out := h.run(p); out.Phase != railyard.PromotionPhaseErrored {
		t.Fatalf("phase %s, want Errored", out.Phase)
	}
	md := p.Status.StepExecutionMetadata[0]
	for _, msg := range []string{md.Message, p.Status.Message} {
		if dir == "" || strings.Contains(msg, dir) || !strings.Contains(msg, "open out/app.yaml") {
			t.Errorf("message %q shows the work directory %q (or lost the relative path)", msg, dir)
		}
	}
}
