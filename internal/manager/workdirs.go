package manager

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// DefaultWorkDir holds Promotions' work directories when Options.WorkDir is
// empty: a directory of Railyard's own, so the sweep below never touches
// anything else in $TMPDIR.
func DefaultWorkDir() string { return filepath.Join(os.TempDir(), "railyard-work") }

func workDir(opts Options) string {
	if opts.WorkDir != "" {
		return opts.WorkDir
	}
	return DefaultWorkDir()
}

// workDirSweeper removes, once at start, the work directories of Promotions
// that no longer need one: deleted while the manager was down, or finished
// without their directory being removed. Promotions that are still going
// keep theirs, so they resume where they stopped.
type workDirSweeper struct {
	Reader client.Reader
	Engine *promotion.Engine
}

// NeedLeaderElection is false: every replica cleans its own disk.
func (s *workDirSweeper) NeedLeaderElection() bool { return false }

func (s *workDirSweeper) Start(ctx context.Context) error {
	removed, err := s.sweep(ctx, time.Now())
	log := ctrl.Log.WithName("workdir-sweeper")
	if err != nil {
		// Not fatal: stale directories cost disk, not correctness.
		log.Error(err, "sweeping stale Promotion work directories")
		return nil
	}
	if removed > 0 {
		log.Info("removed stale Promotion work directories", "count", removed)
	}
	return nil
}

// sweep removes directories older than started whose Promotion is gone or
// finished; younger ones may belong to a Promotion created after the list.
func (s *workDirSweeper) sweep(ctx context.Context, started time.Time) (int, error) {
	root := s.Engine.WorkRoot
	entries, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", root, err)
	}
	var list railyard.PromotionList
	if err := s.Reader.List(ctx, &list); err != nil {
		return 0, fmt.Errorf("listing Promotions: %w", err)
	}
	keep := map[string]bool{}
	for i := range list.Items {
		if p := &list.Items[i]; !p.Status.Phase.IsTerminal() && p.DeletionTimestamp.IsZero() {
			keep[filepath.Base(s.Engine.WorkDir(p))] = true
		}
	}
	removed := 0
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), promotion.WorkDirPrefix) || keep[e.Name()] {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(started) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			return removed, fmt.Errorf("removing %s: %w", e.Name(), err)
		}
		removed++
	}
	return removed, nil
}

// removeWorkDirs removes every Promotion work directory under root. With
// leader election, a replica runs at start-up with this before any
// reconciler: while it was down another replica may have led and taken a
// Promotion past the steps this replica's directory reflects, and resuming
// from status.currentStep on that directory would push or render stale
// files. Without its directory the engine starts the Promotion again from
// the first step, which idempotent steps make safe (the commit is already
// on the branch: no diff, no second commit).
func removeWorkDirs(root string) (int, error) {
	entries, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", root, err)
	}
	removed := 0
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), promotion.WorkDirPrefix) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			return removed, fmt.Errorf("removing %s: %w", e.Name(), err)
		}
		removed++
	}
	return removed, nil
}
