package promotion

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/railyard-dev/railyard/internal/expr"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// DefaultPollInterval is how soon a Running step without a RetryAfter, or a
// step that failed with a retryable error, is run again.
const DefaultPollInterval = 10 * time.Second

// DefaultStepRunTimeout bounds one run of a step, whatever the step does,
// so a Promotion never waits forever on a server; steps that talk to
// servers also bound each call more tightly themselves.
const DefaultStepRunTimeout = 10 * time.Minute

// Engine runs the steps of Promotions. It keeps no state between calls: all
// progress lives in the Promotion's status, so any replica can resume.
type Engine struct {
	// Registry holds the steps that `uses:` may name.
	Registry *Registry
	// Client is handed to steps that read or write cluster objects.
	Client client.Client
	// Reader reads PromotionTasks, Secrets and ConfigMaps; an uncached
	// reader avoids caching every Secret. Defaults to Client.
	Reader client.Reader
	// Credentials is handed to steps that reach repositories.
	Credentials CredentialsProvider
	// WorkRoot holds the work directories; defaults to os.TempDir().
	WorkRoot string
	// Clock defaults to the real clock; tests inject a fake one.
	Clock clock.PassiveClock
	// PollInterval defaults to DefaultPollInterval.
	PollInterval time.Duration
	// StepRunTimeout bounds one run of a step; defaults to
	// DefaultStepRunTimeout.
	StepRunTimeout time.Duration
	// Expressions are the manager-wide values expressions see
	// (ctx.uiBaseUrl, the namespace of sharedSecret()).
	Expressions ExpressionSettings
	// Reclaim, when set, may take what it wants out of a work directory
	// before it is removed: the git cache keeps checked-out trees for the
	// next checkout of the same repository.
	Reclaim func(workDir string)
}

// PersistFunc saves the Promotion's status; the engine calls it after every
// step so that a restarted manager resumes where this one stopped.
type PersistFunc func(ctx context.Context, status *railyard.PromotionStatus) error

// Outcome tells the caller what to do next.
type Outcome struct {
	// Phase is Running while a step waits, else the terminal phase.
	Phase railyard.PromotionPhase
	// RequeueAfter is set when Phase is Running: call Run again after it,
	// or sooner when an object of WaitingOn changes.
	RequeueAfter time.Duration
	// WaitingOn names what the waiting step waits on (see Result).
	WaitingOn []ObjectRef
	// Unsaved is set when RunOptions.HoldWait kept a waiting step's
	// progress from being saved: it is in promo.Status only.
	Unsaved bool
}

// RunOptions adjust one call of Run.
type RunOptions struct {
	// HoldWait leaves the progress of a step that asks to wait (not one
	// that will be retried after an error) unsaved:
	// Run returns with Outcome.Unsaved, the progress in promo.Status, and
	// the caller runs again from that status or saves it itself. Most
	// waits (an Argo CD sync) end within a second or two, and the save at
	// the end then carries the progress too: one write of the whole status
	// instead of two.
	HoldWait bool
}

func (e *Engine) clock() clock.PassiveClock {
	if e.Clock == nil {
		return clock.RealClock{}
	}
	return e.Clock
}

func (e *Engine) reader() client.Reader {
	if e.Reader != nil {
		return e.Reader
	}
	if e.Client != nil {
		return e.Client
	}
	return nil
}

func (e *Engine) pollInterval() time.Duration {
	if e.PollInterval > 0 {
		return e.PollInterval
	}
	return DefaultPollInterval
}

// WorkDirPrefix starts the name of every Promotion work directory.
const WorkDirPrefix = "promotion-"

// WorkDir is the Promotion's work directory.
func (e *Engine) WorkDir(promo *railyard.Promotion) string {
	return e.dirFor(WorkDirPrefix, &promo.ObjectMeta)
}

// dirFor is the directory under WorkRoot for an object: prefix and its UID,
// or its namespace and name when it has none (tests).
func (e *Engine) dirFor(prefix string, obj *metav1.ObjectMeta) string {
	root := e.WorkRoot
	if root == "" {
		root = os.TempDir()
	}
	id := string(obj.UID)
	if id == "" {
		id = obj.Namespace + "-" + obj.Name
	}
	return filepath.Join(root, prefix+id)
}

// Cleanup removes the Promotion's work directory; call it when a Promotion
// is deleted before it finished.
func (e *Engine) Cleanup(promo *railyard.Promotion) error {
	return e.removeWorkDir(e.WorkDir(promo))
}

// removeWorkDir offers dir to Reclaim, then removes it.
func (e *Engine) removeWorkDir(dir string) error {
	if e.Reclaim != nil {
		e.Reclaim(dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing work directory: %w", err)
	}
	return nil
}

// run is the state of one call to Run.
type run struct {
	e       *Engine
	promo   *railyard.Promotion
	status  *railyard.PromotionStatus
	steps   []railyard.PromotionStep
	workDir string
	state   outputs
	freight railyard.FreightCollection
	target  railyard.FreightReference
	ctxVar  expr.PromotionContext
	vars    map[string]any
	persist PersistFunc
	// waitingOn is what the step that asked to wait waits on.
	waitingOn []ObjectRef
	// released is set once the work directory was given up.
	released bool
}

// Run runs promo's steps from status.currentStep until one asks to be polled
// again or all have finished, updating promo.Status in place and calling
// persist when it starts, when a step waits or will be retried, and at the
// end. promo.Status.FreightCollection (or Freight)
// must be set. An error means a transient problem (reading a task,
// persisting status): call Run again later. A terminal phase is returned
// with a nil error; the work directory is then removed.
func (e *Engine) Run(ctx context.Context, promo *railyard.Promotion, persist PersistFunc) (Outcome, error) {
	return e.RunWith(ctx, promo, persist, RunOptions{})
}

// RunWith is Run with options.
func (e *Engine) RunWith(ctx context.Context, promo *railyard.Promotion, persist PersistFunc, opts RunOptions) (Outcome, error) {
	if e.Registry == nil {
		return Outcome{}, errors.New("promotion engine has no step registry")
	}
	r := &run{e: e, promo: promo, status: &promo.Status, workDir: e.WorkDir(promo), persist: persist}
	if r.status.Phase.IsTerminal() {
		return Outcome{Phase: r.status.Phase}, e.Cleanup(promo)
	}
	r.freight, r.target = freightOf(promo)

	steps, err := InflateSteps(ctx, e.reader(), promo.Namespace, promo.Spec.Vars, promo.Spec.Steps)
	if err != nil {
		if IsTerminal(err) {
			return r.finish(ctx, railyard.PromotionPhaseErrored, err.Error())
		}
		return Outcome{}, err
	}
	r.steps = steps

	if err := r.prepare(ctx); err != nil {
		return Outcome{}, err
	}
	if err := r.baseEnv(ctx); err != nil {
		return r.finish(ctx, railyard.PromotionPhaseErrored, err.Error())
	}

	for int(r.status.CurrentStep) < len(r.steps) {
		if err := ctx.Err(); err != nil {
			return Outcome{}, err
		}
		if err := r.releaseWorkDir(); err != nil {
			return Outcome{}, err
		}
		wait, err := r.step(ctx, int(r.status.CurrentStep))
		if err != nil {
			return Outcome{}, err
		}
		if wait > 0 {
			out := Outcome{Phase: railyard.PromotionPhaseRunning, RequeueAfter: wait, WaitingOn: r.waitingOn}
			// Only a wait is held: a retry's error count and timing are
			// saved as they come.
			if opts.HoldWait && r.meta(int(r.status.CurrentStep)).ErrorCount == 0 {
				out.Unsaved = true
				return out, r.record()
			}
			if err := r.save(ctx); err != nil {
				return Outcome{}, err
			}
			return out, nil
		}
		// The next save (a step waiting or retrying, or the end) carries
		// this step's result, as Kargo's engine saves once per reconcile: a
		// crash before it runs the step again, which steps must bear anyway.
		r.status.CurrentStep++
	}
	phase, msg := finalPhase(r.status.StepExecutionMetadata)
	return r.finish(ctx, phase, msg)
}

// freightOf returns the Freight collection the steps see and the Freight
// being promoted.
func freightOf(promo *railyard.Promotion) (railyard.FreightCollection, railyard.FreightReference) {
	var fc railyard.FreightCollection
	if promo.Status.FreightCollection != nil {
		fc = *promo.Status.FreightCollection
	}
	var target railyard.FreightReference
	if promo.Status.Freight != nil {
		target = *promo.Status.Freight
	} else {
		for _, ref := range fc.Freight {
			if ref.Name == promo.Spec.Freight {
				target = ref
			}
		}
	}
	if len(fc.Freight) == 0 && target.Name != "" {
		fc.Freight = map[string]railyard.FreightReference{target.Origin.String(): target}
	}
	return fc, target
}

// prepare starts a Pending promotion, loads outputs, and starts again from
// the first step when a resumed promotion lost its work directory (the
// manager moved to another node) while a step left still needs it: steps
// are idempotent, so that is safe.
func (r *run) prepare(ctx context.Context) error {
	now := metav1.NewTime(r.e.clock().Now())
	// Only what prepare changes is saved here: a status handed in with
	// progress not yet saved (RunOptions.HoldWait) waits for the next save.
	changed := false
	if r.status.Phase == "" || r.status.Phase == railyard.PromotionPhasePending {
		r.status.Phase = railyard.PromotionPhaseRunning
		r.status.StartedAt = &now
		// The Pending message ("waiting for ...") no longer holds.
		r.status.Message = ""
		changed = true
	}
	_, err := os.Stat(r.workDir)
	if errors.Is(err, os.ErrNotExist) && r.started() && r.needsWorkDir(int(r.status.CurrentStep)) {
		r.status.CurrentStep = 0
		r.status.StepExecutionMetadata = nil
		r.status.State = nil
		r.status.HealthChecks = nil
		r.status.Message = "work directory was lost; starting again from the first step"
		changed = true
	}
	if r.status.CurrentStep < 0 || int(r.status.CurrentStep) > len(r.steps) {
		r.status.CurrentStep = 0
		changed = true
	}
	if err := os.MkdirAll(r.workDir, 0o700); err != nil {
		return fmt.Errorf("creating work directory: %w", err)
	}
	state, err := decodeState(r.status.State)
	if err != nil {
		// A corrupt state cannot be fixed by retrying; start afresh.
		state = outputs{}
	}
	r.state = state
	if !changed {
		return nil
	}
	return r.save(ctx)
}

// needsWorkDir reports whether a step from i on may use the work
// directory.
func (r *run) needsWorkDir(from int) bool {
	for i := max(from, 0); i < len(r.steps); i++ {
		runner, ok := r.e.Registry.Lookup(r.steps[i].Uses)
		if !ok {
			return true
		}
		if _, none := runner.(NoWorkDir); !none {
			return true
		}
	}
	return false
}

// releaseWorkDir empties the work directory, once per run, when no step
// left needs it, so its checkouts go back to the git cache while, say,
// argocd-update waits for a sync. Steps are handed the directory's path,
// so the directory itself stays: removing and making it again cost two
// directory operations per promotion, and one more per later reconcile.
func (r *run) releaseWorkDir() error {
	if r.released || r.needsWorkDir(int(r.status.CurrentStep)) {
		return nil
	}
	r.released = true
	return r.e.emptyWorkDir(r.workDir)
}

// emptyWorkDir offers dir to Reclaim and removes what is in it, unless it
// is empty already. Entries are removed without following links.
func (e *Engine) emptyWorkDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("reading work directory: %w", err)
	}
	names, err := f.Readdirnames(-1)
	_ = f.Close()
	if err != nil {
		return fmt.Errorf("reading work directory: %w", err)
	}
	if len(names) == 0 {
		return nil
	}
	if e.Reclaim != nil {
		e.Reclaim(dir)
	}
	for _, name := range names {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("emptying work directory: %w", err)
		}
	}
	return nil
}

func (r *run) started() bool {
	if r.status.CurrentStep > 0 {
		return true
	}
	for _, md := range r.status.StepExecutionMetadata {
		if md.StartedAt != nil {
			return true
		}
	}
	return false
}

// record writes the step outputs into the status.
func (r *run) record() error {
	raw, err := r.state.encode()
	if err != nil {
		return err
	}
	r.status.State = raw
	return nil
}

func (r *run) save(ctx context.Context) error {
	if err := r.record(); err != nil {
		return err
	}
	if r.persist == nil {
		return nil
	}
	if err := r.persist(ctx, r.status); err != nil {
		return fmt.Errorf("saving promotion status: %w", err)
	}
	return nil
}

// finish records a terminal phase, persists it and removes the work
// directory.
func (r *run) finish(ctx context.Context, phase railyard.PromotionPhase, msg string) (Outcome, error) {
	now := metav1.NewTime(r.e.clock().Now())
	r.status.Phase = phase
	r.status.Message = r.relative(msg)
	r.status.FinishedAt = &now
	if r.state == nil {
		r.state = outputs{}
		if s, err := decodeState(r.status.State); err == nil {
			r.state = s
		}
	}
	if err := r.save(ctx); err != nil {
		return Outcome{}, err
	}
	return Outcome{Phase: phase}, r.e.Cleanup(r.promo)
}

// Abort ends a running Promotion: the step in progress is marked Aborted and
// the phase becomes Aborted.
func (e *Engine) Abort(ctx context.Context, promo *railyard.Promotion, reason string, persist PersistFunc) error {
	if promo.Status.Phase.IsTerminal() {
		return nil
	}
	r := &run{e: e, promo: promo, status: &promo.Status, persist: persist}
	now := metav1.NewTime(e.clock().Now())
	if i := int(promo.Status.CurrentStep); i >= 0 && i < len(promo.Status.StepExecutionMetadata) {
		md := &promo.Status.StepExecutionMetadata[i]
		if md.FinishedAt == nil {
			md.Status = railyard.StepStatusAborted
			md.FinishedAt = &now
			md.Message = reason
		}
	}
	msg := "aborted"
	if reason != "" {
		msg += ": " + reason
	}
	_, err := r.finish(ctx, railyard.PromotionPhaseAborted, msg)
	return err
}
