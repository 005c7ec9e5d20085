package steps

import (
	"context"
	"errors"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// ComposeOutput is the `compose-output` step: its output is its
// configuration, which is how a PromotionTask returns values to its caller.
type ComposeOutput struct{}

// Name implements promotion.Step.
func (ComposeOutput) Name() string { return promotion.ComposeOutputStep }

// TaskOutput implements promotion.TaskOutput: its output is its task's.
func (ComposeOutput) TaskOutput() {}

// Run implements promotion.Step.
func (ComposeOutput) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	if len(sc.Config) == 0 {
		return failed(errors.New("invalid config: compose-output needs at least one field"))
	}
	out := make(map[string]any, len(sc.Config))
	for k, v := range sc.Config {
		out[k] = v
	}
	return succeeded(out)
}

// Fail is the `fail` step: it always fails, with its message.
type Fail struct{}

type failConfig struct {
	Message string `json:"message,omitempty"`
}

func (*failConfig) validate() error { return nil }

// ErrFailStep is the error of a `fail` step without a message.
var ErrFailStep = errors.New("failed by the fail step")

// Name implements promotion.Step.
func (Fail) Name() string { return "fail" }

// Run implements promotion.Step.
func (Fail) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg failConfig
	if err := decode(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	err := ErrFailStep
	if cfg.Message != "" {
		err = errors.New(cfg.Message)
	}
	return promotion.Result{Status: railyard.StepStatusFailed, Message: err.Error()}, promotion.Terminal(err)
}
