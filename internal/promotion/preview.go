package promotion

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// PreviewWorkDirPrefix starts the name of every preview's scratch
// directory under the engine's WorkRoot. It differs from WorkDirPrefix so
// that the sweeper of Promotion work directories leaves previews alone.
const PreviewWorkDirPrefix = "preview-"

// DefaultPreviewTimeout bounds a whole preview, on top of each step's own
// bound: a preview is asked for by a person waiting at a page or a shell.
const DefaultPreviewTimeout = 5 * time.Minute

// PreviewDiffLimit bounds each commit's diff in a preview's status.
const PreviewDiffLimit = 64 << 10

// commitStep is the step whose commits a preview shows; it runs last.
const commitStep = "git-commit"

// Messages of steps a preview does not run.
const (
	skippedOutside   = "writes outside the work directory: not run in a preview"
	skippedAfterLast = "comes after the last git-commit: not run in a preview"
)

// PreviewInput is what a preview runs: a Stage's steps and vars, tasks
// inlined, and the Freight a promotion would see.
type PreviewInput struct {
	// Namespace is the project; Name and UID identify the preview (UID
	// names its scratch directory).
	Namespace string
	Name      string
	UID       types.UID
	Stage     string
	Vars      []railyard.ExpressionVariable
	// Steps are inlined already (InflateSteps).
	Steps   []railyard.PromotionStep
	Freight railyard.FreightCollection
	Target  railyard.FreightReference
}

// PreviewResult is the outcome of a preview.
type PreviewResult struct {
	// Phase is Succeeded or Failed.
	Phase   railyard.PreviewPhase
	Message string
	// Reason is the Ready condition's reason.
	Reason  string
	Steps   []railyard.PreviewStep
	Commits []railyard.PreviewCommit
}

// LastCommitStep returns the index of the last git-commit among steps, or
// -1 when there is none.
func LastCommitStep(steps []railyard.PromotionStep) int {
	last := -1
	for i, s := range steps {
		if s.Uses == commitStep {
			last = i
		}
	}
	return last
}

// Preview runs in.Steps up to the last git-commit in a scratch directory,
// running only steps whose effects stay in the work directory
// (WorkDirOnly) and skipping every other, and reports the commits the
// git-commit steps made there. Nothing is pushed and no cluster object is
// written; the scratch directory is removed before it returns. A step that
// would wait or retry fails instead: a preview runs once. The error is for
// problems of the manager (the scratch directory); a preview that failed
// is a result with Phase Failed.
func (e *Engine) Preview(ctx context.Context, in PreviewInput) (PreviewResult, error) {
	if e.Registry == nil {
		return PreviewResult{}, fmt.Errorf("promotion engine has no step registry")
	}
	last := LastCommitStep(in.Steps)
	if last < 0 {
		return PreviewResult{
			Phase:   railyard.PreviewPhaseFailed,
			Reason:  railyard.ReasonNothingToPreview,
			Message: fmt.Sprintf("Stage %q's promotion steps have no git-commit step: promoting commits nothing a preview could show", in.Stage),
			Steps:   previewSteps(in.Steps, nil, nil, -1),
		}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultPreviewTimeout)
	defer cancel()

	scratch := e.dirFor(PreviewWorkDirPrefix, &metav1.ObjectMeta{UID: in.UID, Namespace: in.Namespace, Name: in.Name})
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return PreviewResult{}, fmt.Errorf("creating the preview's scratch directory: %w", err)
	}
	defer func() { _ = e.removeWorkDir(scratch) }()

	rec := &commitRecorder{}
	skipped := map[string]bool{}
	shadow := *e
	shadow.WorkRoot = scratch
	shadow.Registry = previewRegistry(e.Registry, rec, skipped)
	promo := &railyard.Promotion{}
	promo.Namespace, promo.Name, promo.UID = in.Namespace, in.Name, in.UID
	promo.Spec = railyard.PromotionSpec{Stage: in.Stage, Freight: in.Target.Name, Vars: in.Vars, Steps: in.Steps[:last+1]}
	fc := in.Freight
	target := in.Target
	promo.Status.FreightCollection, promo.Status.Freight = &fc, &target

	outcome, err := shadow.Run(ctx, promo, nil)
	if err != nil {
		if ctx.Err() != nil {
			return PreviewResult{
				Phase:   railyard.PreviewPhaseFailed,
				Reason:  railyard.ReasonPreviewFailed,
				Message: fmt.Sprintf("the preview did not finish within %s", DefaultPreviewTimeout),
				Steps:   previewSteps(in.Steps, promo.Status.StepExecutionMetadata, skipped, last),
				Commits: rec.commits,
			}, nil
		}
		return PreviewResult{}, err
	}
	res := PreviewResult{
		Phase:   railyard.PreviewPhaseSucceeded,
		Reason:  railyard.ReasonPreviewed,
		Steps:   previewSteps(in.Steps, promo.Status.StepExecutionMetadata, skipped, last),
		Commits: rec.commits,
	}
	if outcome.Phase != railyard.PromotionPhaseSucceeded {
		res.Phase, res.Reason = railyard.PreviewPhaseFailed, railyard.ReasonPreviewFailed
		res.Message = explainSkipped(promo.Status.Message, skipped)
		return res, nil
	}
	res.Message = summary(rec.commits)
	return res, nil
}

// summary words a successful preview's commits.
func summary(commits []railyard.PreviewCommit) string {
	files, add, del, made := 0, 0, 0, 0
	for _, c := range commits {
		if c.NothingToCommit {
			continue
		}
		made++
		files, add, del = files+c.FilesChanged, add+c.Additions, del+c.Deletions
	}
	if made == 0 {
		return "promoting this Freight would commit nothing: every checkout is unchanged"
	}
	return fmt.Sprintf("%d commit(s) would change %d file(s): +%d -%d", made, files, add, del)
}

// explainSkipped puts before the message of a step that failed on an
// expression reading a step the preview did not run that it was not run
// (first: expression errors end with the expression, over several lines).
func explainSkipped(msg string, skipped map[string]bool) string {
	for alias := range skipped {
		if strings.Contains(msg, "outputs."+alias) || strings.Contains(msg, "'"+alias+"'") || strings.Contains(msg, `"`+alias+`"`) {
			return fmt.Sprintf("step %q is not run in a preview, so it has no outputs; ", alias) + msg
		}
	}
	return msg
}

// previewSteps reports every step of the Stage: what the engine recorded
// for those it reached, and "not run" for those after the last git-commit.
func previewSteps(steps []railyard.PromotionStep, metas []railyard.StepExecutionMetadata, skipped map[string]bool, last int) []railyard.PreviewStep {
	out := make([]railyard.PreviewStep, 0, len(steps))
	for i, s := range steps {
		ps := railyard.PreviewStep{Alias: s.GetAlias(i), Uses: s.Uses}
		switch {
		case last < 0:
			ps.Status, ps.Message = railyard.PreviewStepSkipped, "not run: there is no git-commit to preview"
		case i > last:
			ps.Status, ps.Message = railyard.PreviewStepSkipped, skippedAfterLast
		case i >= len(metas):
			ps.Status, ps.Message = railyard.PreviewStepSkipped, "not reached"
		default:
			md := metas[i]
			ps.Message = md.Message
			switch md.Status {
			case railyard.StepStatusSucceeded:
				ps.Status = railyard.PreviewStepRan
			case railyard.StepStatusSkipped:
				ps.Status = railyard.PreviewStepSkipped
				if s.Uses == commitStep && md.Message == "nothing to commit" {
					ps.Status = railyard.PreviewStepRan
				}
			default:
				ps.Status = railyard.PreviewStepFailed
				ps.Message = explainSkipped(md.Message, skipped)
			}
		}
		out = append(out, ps)
	}
	return out
}
