package promotion

import (
	"os"
	"path/filepath"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Cleanup offers the work directory to Reclaim while it still holds what
// the steps left there, and removes it afterwards.
func TestCleanupOffersTheWorkDirectoryFirst(t *testing.T) {
	var seen []string
	e := &Engine{WorkRoot: t.TempDir(), Reclaim: func(dir string) {
		if _, err := os.Stat(filepath.Join(dir, "src", "file")); err != nil {
			t.Errorf("Reclaim called without the checkout in place: %v", err)
		}
		seen = append(seen, dir)
	}}
	promo := &railyard.Promotion{}
	promo.UID = "u1"
	dir := e.WorkDir(promo)
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "src", "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.Cleanup(promo); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != dir {
		t.Errorf("Reclaim saw %v, want [%s]", seen, dir)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("work directory still there: %v", err)
	}
}

// noWorkDirStep is a fakeStep that never touches the work directory, as
// argocd-update does not.
type noWorkDirStep struct{ fakeStep }

func (*noWorkDirStep) NoWorkDir() {}

// Once only steps that do not use the work directory are left, it is
// released (offered to Reclaim and emptied, the directory itself kept)
// before they run; a later run finds it empty and leaves it alone; and a
// Promotion resumed without it goes on where it was instead of starting
// again from the first step.
func TestWorkDirReleasedWhenNoStepNeedsIt(t *testing.T) {
	write := &fakeStep{name: "write", fn: func(_ int, sc *StepContext) (Result, error) {
		return Result{Status: railyard.StepStatusSucceeded}, os.WriteFile(filepath.Join(sc.WorkDir, "file"), []byte("x"), 0o644)
	}}
	wait := &noWorkDirStep{fakeStep{name: "wait", fn: func(call int, _ *StepContext) (Result, error) {
		if call <= 2 {
			return Result{Status: railyard.StepStatusRunning}, nil
		}
		return Result{Status: railyard.StepStatusSucceeded}, nil
	}}}
	h := newHarness(t, write, wait)
	var offered []bool
	h.eng.Reclaim = func(dir string) {
		_, err := os.Stat(filepath.Join(dir, "file"))
		offered = append(offered, err == nil)
	}
	p := promotion(railyard.PromotionStep{Uses: "write"}, railyard.PromotionStep{Uses: "wait"})
	if out := h.run(p); out.Phase != railyard.PromotionPhaseRunning {
		t.Fatalf("phase = %s, want Running", out.Phase)
	}
	if len(offered) != 1 || !offered[0] {
		t.Fatalf("Reclaim calls (with the step's file in place) = %v, want one", offered)
	}
	dir := h.eng.WorkDir(p)
	if _, err := os.Stat(filepath.Join(dir, "file")); !os.IsNotExist(err) {
		t.Errorf("the work directory still holds the step's file: %v", err)
	}
	kept := statDir(t, dir)
	if out := h.run(p); out.Phase != railyard.PromotionPhaseRunning {
		t.Fatalf("phase = %s, want Running", out.Phase)
	}
	if len(offered) != 1 {
		t.Errorf("Reclaim calls = %d after a run that found the directory empty, want 1", len(offered))
	}
	if !os.SameFile(statDir(t, dir), kept) {
		t.Error("the work directory was removed and made again")
	}
	// A manager that restarts elsewhere has no directory at all.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if out := h.run(p); out.Phase != railyard.PromotionPhaseSucceeded {
		t.Fatalf("phase = %s (%s), want Succeeded", out.Phase, p.Status.Message)
	}
	if write.calls != 1 {
		t.Errorf("the first step ran %d times, want once: the Promotion started again", write.calls)
	}
}

func statDir(t *testing.T, dir string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}
