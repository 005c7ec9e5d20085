package netsteps

import (
	"context"
	"strings"
	"testing"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// guard bounds a test that talks to a server: a step that ignored its own
// timeout would hang here until the guard, not until the test binary's.
const guard = 30 * time.Second

func stepContext(t *testing.T, cfg map[string]any) *promotion.StepContext {
	t.Helper()
	return &promotion.StepContext{
		WorkDir: t.TempDir(), Project: "demo", Stage: "dev", Promotion: "p1", Alias: "step", Config: cfg,
	}
}

// runStep runs s under the test guard.
func runStep(t *testing.T, s promotion.Step, sc *promotion.StepContext) (promotion.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	res, err := s.Run(ctx, sc)
	if ctx.Err() != nil {
		t.Fatalf("%s: still running at the test guard", s.Name())
	}
	return res, err
}

// outcome is what a table test expects of a run.
type outcome struct {
	status   railyard.StepStatus
	terminal bool
	msg      []string // substrings of the message
}

func (o outcome) check(t *testing.T, res promotion.Result, err error) {
	t.Helper()
	if res.Status != o.status {
		t.Fatalf("status %s, want %s (message %q, error %v)", res.Status, o.status, res.Message, err)
	}
	switch o.status {
	case railyard.StepStatusFailed, railyard.StepStatusErrored:
		if err == nil {
			t.Fatalf("status %s without an error", res.Status)
		}
		if promotion.IsTerminal(err) != o.terminal {
			t.Errorf("terminal = %v, want %v: %v", promotion.IsTerminal(err), o.terminal, err)
		}
		if res.Message != err.Error() {
			t.Errorf("message %q differs from error %q", res.Message, err)
		}
	default:
		if err != nil {
			t.Fatalf("status %s with error %v", res.Status, err)
		}
	}
	for _, m := range o.msg {
		if !strings.Contains(res.Message, m) {
			t.Errorf("message %q does not mention %q", res.Message, m)
		}
	}
}

// noSecret fails if secret appears in the result's message or outputs.
func noSecret(t *testing.T, res promotion.Result, err error, secret string) {
	t.Helper()
	if strings.Contains(res.Message, secret) || err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("secret leaked into the message: %q", res.Message)
	}
	for k, v := range res.Output {
		if s, ok := v.(string); ok && strings.Contains(s, secret) {
			t.Errorf("secret leaked into output %q", k)
		}
	}
}

var ok = outcome{status: railyard.StepStatusSucceeded}

func failedWith(msg ...string) outcome {
	return outcome{status: railyard.StepStatusFailed, terminal: true, msg: msg}
}

func erroredWith(msg ...string) outcome {
	return outcome{status: railyard.StepStatusErrored, msg: msg}
}
