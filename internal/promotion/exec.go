package promotion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/railyard-dev/railyard/internal/expr"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// meta returns the execution metadata of step i, creating entries as needed.
func (r *run) meta(i int) *railyard.StepExecutionMetadata {
	for len(r.status.StepExecutionMetadata) <= i {
		j := len(r.status.StepExecutionMetadata)
		r.status.StepExecutionMetadata = append(r.status.StepExecutionMetadata, railyard.StepExecutionMetadata{
			Alias:           r.steps[j].As,
			ContinueOnError: r.steps[j].ContinueOnError,
		})
	}
	md := &r.status.StepExecutionMetadata[i]
	md.Alias = r.steps[i].As
	md.ContinueOnError = r.steps[i].ContinueOnError
	return md
}

// step runs step i once. It returns how long to wait before running it
// again, or zero once the step has finished; the error is a failure to
// persist status.
func (r *run) step(ctx context.Context, i int) (time.Duration, error) {
	step := r.steps[i]
	md := r.meta(i)
	if md.FinishedAt != nil {
		// Finished before a restart that happened before currentStep moved.
		return 0, nil
	}
	now := metav1.NewTime(r.e.clock().Now())
	first := md.StartedAt == nil
	// As in Kargo, once an earlier step failed (not continueOnError), a
	// step without `if` is skipped before its vars are evaluated: they may
	// read outputs the failed step never produced. A step with `if` is
	// always evaluated, so `if: ${{ status('x') == 'Errored' }}` can react.
	// `if` is decided once, before the step first starts; retries and polls
	// of a Running step do not revisit it.
	if first && step.If == "" && failedSoFar(r.status.StepExecutionMetadata, i) {
		r.end(md, railyard.StepStatusSkipped, "skipped because an earlier step failed")
		return 0, nil
	}
	env, err := r.stepEnv(ctx, i)
	if err != nil {
		r.end(md, railyard.StepStatusErrored, err.Error())
		return 0, nil
	}
	if first {
		if step.If != "" {
			ok, err := expr.EvaluateBool(ctx, step.If, env)
			if err != nil {
				r.end(md, railyard.StepStatusErrored, fmt.Sprintf("if: %v", err))
				return 0, nil
			}
			if !ok {
				r.end(md, railyard.StepStatusSkipped, fmt.Sprintf("skipped because %s is false", step.If))
				return 0, nil
			}
		}
		// Not saved here: the step's start reaches status with its result
		// (or with its first poll), one write per step instead of two. A
		// crash in between runs the step again, as any crash before a save
		// does, so steps bear that already.
		md.StartedAt = &now
		md.Status = railyard.StepStatusRunning
	}

	runner, ok := r.e.Registry.Lookup(step.Uses)
	if !ok {
		r.end(md, railyard.StepStatusErrored, fmt.Sprintf("unknown step %q; known steps: %s", step.Uses, strings.Join(r.e.Registry.Names(), ", ")))
		return 0, nil
	}
	cfg, err := stepConfig(ctx, step, env)
	if err != nil {
		r.end(md, railyard.StepStatusErrored, err.Error())
		return 0, nil
	}
	sc := &StepContext{
		WorkDir:       r.workDir,
		Project:       r.promo.Namespace,
		Stage:         r.promo.Spec.Stage,
		Promotion:     r.promo.Name,
		Alias:         step.As,
		Freight:       r.freight,
		TargetFreight: r.target,
		Config:        cfg,
		Client:        r.e.Client,
		Credentials:   r.e.Credentials,
	}
	bound := r.runBound(step, runner, md)
	runCtx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	start := time.Now()
	res, err := safeRun(runCtx, runner, sc)
	observeStep(runner.Name(), start)
	if errors.Is(runCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		// A step stuck on a server that never answers ends here and counts
		// as an error, retried under the step's retry policy.
		cause := "it was still running"
		if err != nil {
			cause = err.Error()
		}
		res, err = Result{}, fmt.Errorf("step did not finish within %s: %s", bound.Round(time.Second), cause)
	}
	return r.handle(ctx, step, runner, md, res, err), nil
}

// runBound is how long one run of a step (an attempt, or a poll of a
// Running step) may take: the engine's StepRunTimeout, or less when the
// step's retry timeout ends sooner.
func (r *run) runBound(step railyard.PromotionStep, runner Step, md *railyard.StepExecutionMetadata) time.Duration {
	bound := r.e.StepRunTimeout
	if bound <= 0 {
		bound = DefaultStepRunTimeout
	}
	if _, timeout := retryPolicy(step, runner); timeout > 0 && md.StartedAt != nil {
		left := timeout - r.e.clock().Since(md.StartedAt.Time)
		if left > 0 && left < bound {
			bound = left
		}
	}
	return bound
}

// safeRun runs a step, turning a panic into a terminal error so that it
// never reaches the manager.
func safeRun(ctx context.Context, s Step, sc *StepContext) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			log.FromContext(ctx).Error(fmt.Errorf("panic: %v", p), "promotion step panicked", "step", s.Name(), "stack", string(debug.Stack()))
			res, err = Result{}, Terminalf("step %s panicked: %v", s.Name(), p)
		}
	}()
	return s.Run(ctx, sc)
}

// isTaskOutput reports whether runner publishes its output to its task.
func isTaskOutput(runner Step) bool {
	_, ok := runner.(TaskOutput)
	return ok
}

// handle records a step's result and returns how long to wait before
// running it again (zero when it finished).
func (r *run) handle(ctx context.Context, step railyard.PromotionStep, runner Step, md *railyard.StepExecutionMetadata, res Result, err error) time.Duration {
	threshold, timeout := retryPolicy(step, runner)
	now := r.e.clock().Now()
	timedOut := timeout > 0 && md.StartedAt != nil && now.Sub(md.StartedAt.Time) >= timeout

	if err != nil {
		switch {
		case IsTerminal(err) && res.Status == railyard.StepStatusFailed:
			r.end(md, railyard.StepStatusFailed, err.Error())
		case IsTerminal(err):
			r.end(md, railyard.StepStatusErrored, err.Error())
		default:
			md.ErrorCount++
			switch {
			case md.ErrorCount >= threshold:
				msg := err.Error()
				if threshold > 1 {
					msg = fmt.Sprintf("%d consecutive errors, the last: %s", md.ErrorCount, msg)
				}
				r.end(md, railyard.StepStatusErrored, msg)
			case timedOut:
				r.end(md, railyard.StepStatusErrored, fmt.Sprintf("not finished after %s; last error: %s", timeout, err))
			default:
				md.Status = railyard.StepStatusRunning
				md.Message = r.relative(fmt.Sprintf("error %d of %d, will retry: %s", md.ErrorCount, threshold, err))
				return r.e.pollInterval()
			}
		}
		return 0
	}

	md.ErrorCount = 0
	switch res.Status {
	case railyard.StepStatusRunning:
		if timedOut {
			r.end(md, railyard.StepStatusErrored, fmt.Sprintf("not finished after %s: %s", timeout, res.Message))
			return 0
		}
		md.Status = railyard.StepStatusRunning
		md.Message = r.relative(res.Message)
		r.waitingOn = res.WaitingOn
		if res.RetryAfter > 0 {
			return res.RetryAfter
		}
		return r.e.pollInterval()
	case railyard.StepStatusSucceeded, railyard.StepStatusSkipped, "":
		r.state.record(step.As, isTaskOutput(runner), res.Output)
		r.addHealthCheck(ctx, res.HealthCheck)
		status := res.Status
		if status == "" {
			status = railyard.StepStatusSucceeded
		}
		r.end(md, status, res.Message)
	case railyard.StepStatusFailed, railyard.StepStatusErrored:
		r.state.record(step.As, isTaskOutput(runner), res.Output)
		r.end(md, res.Status, res.Message)
	default:
		r.end(md, railyard.StepStatusErrored, fmt.Sprintf("step returned unexpected status %q", res.Status))
	}
	return 0
}

// retryPolicy resolves errorThreshold and timeout: the step's retry
// settings, else the step's defaults, else one attempt and no timeout.
func retryPolicy(step railyard.PromotionStep, runner Step) (uint32, time.Duration) {
	threshold, timeout := uint32(1), time.Duration(0)
	if d, ok := runner.(Defaults); ok {
		if t := d.DefaultErrorThreshold(); t > 0 {
			threshold = t
		}
		timeout = d.DefaultTimeout()
	}
	if step.Retry != nil {
		if step.Retry.ErrorThreshold > 0 {
			threshold = step.Retry.ErrorThreshold
		}
		if step.Retry.Timeout != nil && step.Retry.Timeout.Duration > 0 {
			timeout = step.Retry.Timeout.Duration
		}
	}
	return threshold, timeout
}

func (r *run) end(md *railyard.StepExecutionMetadata, status railyard.StepStatus, msg string) {
	now := metav1.NewTime(r.e.clock().Now())
	if md.StartedAt == nil {
		md.StartedAt = &now
	}
	md.Status = status
	md.Message = r.relative(msg)
	md.FinishedAt = &now
}

// relative rewrites the work directory's absolute path in a message as a
// relative one: messages land in status, and where the manager keeps its
// files is no business of a Promotion's readers.
func (r *run) relative(msg string) string {
	if r.workDir == "" {
		return msg
	}
	dirs := []string{r.workDir}
	if resolved, err := filepath.EvalSymlinks(r.workDir); err == nil && resolved != r.workDir {
		dirs = append(dirs, resolved)
	}
	for _, d := range dirs {
		msg = strings.ReplaceAll(msg, d+string(filepath.Separator), "")
		msg = strings.ReplaceAll(msg, d, ".")
	}
	return msg
}

// addHealthCheck keeps criteria a step left, once even if the step ran
// again after a restart.
func (r *run) addHealthCheck(ctx context.Context, hc *railyard.HealthCheckStep) {
	if hc == nil {
		return
	}
	for _, existing := range r.status.HealthChecks {
		if existing.Uses == hc.Uses && sameJSON(existing.Config, hc.Config) {
			return
		}
	}
	r.status.HealthChecks = append(r.status.HealthChecks, *hc.DeepCopy())
	log.FromContext(ctx).V(1).Info("step left health criteria", "uses", hc.Uses)
}

func sameJSON(a, b *apiextensionsv1.JSON) bool {
	if a == nil || b == nil {
		return a == b
	}
	var x, y any
	if json.Unmarshal(a.Raw, &x) != nil || json.Unmarshal(b.Raw, &y) != nil {
		return string(a.Raw) == string(b.Raw)
	}
	ax, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	return string(ax) == string(by)
}
