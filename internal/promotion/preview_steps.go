package promotion

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
)

// previewRegistry returns a registry holding every step of r wrapped for a
// preview: steps confined to the work directory run once, without
// waiting or retrying; every other step is skipped and its alias noted in
// skipped; git-commit also records its commit in rec.
func previewRegistry(r *Registry, rec *commitRecorder, skipped map[string]bool) *Registry {
	out := NewRegistry()
	for _, name := range r.Names() {
		s, _ := r.Lookup(name)
		switch _, confined := s.(WorkDirOnly); {
		case !confined:
			out.Register(skipStep{name: name, skipped: skipped})
		case name == commitStep:
			out.Register(onceStep{inner: commitPreview{inner: s, rec: rec}})
		case isTaskOutput(s):
			out.Register(onceTaskOutput{onceStep{inner: s}})
		default:
			out.Register(onceStep{inner: s})
		}
	}
	return out
}

// skipStep stands for a step with effects outside the work directory.
type skipStep struct {
	name    string
	skipped map[string]bool
}

func (s skipStep) Name() string { return s.name }

func (s skipStep) Run(_ context.Context, sc *StepContext) (Result, error) {
	s.skipped[sc.Alias] = true
	return Result{Status: railyard.StepStatusSkipped, Message: skippedOutside}, nil
}

// onceStep runs a step once: a preview neither waits nor retries, so a
// step asking to be run again fails with what it said.
type onceStep struct{ inner Step }

func (s onceStep) Name() string { return s.inner.Name() }
func (onceStep) WorkDirOnly()   {}

func (s onceStep) Run(ctx context.Context, sc *StepContext) (Result, error) {
	res, err := s.inner.Run(ctx, sc)
	if err != nil {
		return res, Terminal(err)
	}
	if res.Status == railyard.StepStatusRunning {
		msg := "the step would wait, and a preview does not"
		if res.Message != "" {
			msg += ": " + res.Message
		}
		return Result{Status: railyard.StepStatusFailed, Message: msg}, nil
	}
	return res, nil
}

// onceTaskOutput keeps compose-output's TaskOutput marker.
type onceTaskOutput struct{ onceStep }

func (onceTaskOutput) TaskOutput() {}

// commitRecorder collects the commits of a preview's git-commit steps.
type commitRecorder struct {
	commits []railyard.PreviewCommit
}

// commitPreview runs git-commit and records the commit it made with its
// diff against the commit the checkout had before.
type commitPreview struct {
	inner Step
	rec   *commitRecorder
}

func (s commitPreview) Name() string { return s.inner.Name() }

func (s commitPreview) Run(ctx context.Context, sc *StepContext) (Result, error) {
	path, _ := sc.Config["path"].(string)
	message, _ := sc.Config["message"].(string)
	before := checkoutState(sc, path)
	res, err := s.inner.Run(ctx, sc)
	if err != nil || (res.Status != railyard.StepStatusSucceeded && res.Status != railyard.StepStatusSkipped) {
		return res, err
	}
	pc := railyard.PreviewCommit{Step: sc.Alias, Path: path, Branch: before.branch, Base: before.head, Message: message}
	commit, _ := res.Output["commit"].(string)
	if res.Status == railyard.StepStatusSkipped || commit == "" || commit == before.head {
		pc.NothingToCommit = true
		s.rec.commits = append(s.rec.commits, pc)
		return res, nil
	}
	w, err := openWorkTree(sc, path)
	if err != nil {
		return Result{}, err
	}
	d, err := w.DiffCommits(ctx, before.head, commit, PreviewDiffLimit)
	if err != nil {
		return Result{}, fmt.Errorf("reading the diff of the commit: %w", err)
	}
	pc.FilesChanged, pc.Additions, pc.Deletions = len(d.Files), d.Added(), d.Deleted()
	pc.Diff, pc.DiffTruncated = d.Patch, d.Truncated
	s.rec.commits = append(s.rec.commits, pc)
	return res, nil
}

type checkout struct{ head, branch string }

// checkoutState reads the checkout's HEAD and branch before git-commit
// runs; a checkout that cannot be read is left for the step to refuse.
func checkoutState(sc *StepContext, path string) checkout {
	w, err := openWorkTree(sc, path)
	if err != nil {
		return checkout{}
	}
	head, _ := w.Head()
	return checkout{head: head, branch: w.Branch()}
}

func openWorkTree(sc *StepContext, path string) (*git.WorkTree, error) {
	dir, err := sc.Path(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		return nil, errors.New("not a git checkout: " + path)
	}
	w, err := git.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("opening checkout %q: %w", path, err)
	}
	return w, nil
}
