package workdir

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestRoot: writes follow links only inside, a final link is removed rather
// than followed, and a chart-like tree with a link out fails CheckTree.
func TestRoot(t *testing.T) {
	base := t.TempDir()
	work, outside := filepath.Join(base, "work"), filepath.Join(base, "outside")
	for _, d := range []string{"work/out", "work/shared", "outside"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"work/out/app":         "../../outside",
		"work/out/inside":      "../shared",
		"work/out/absinside":   filepath.Join(base, "work/shared"),
		"work/out/file.yaml":   "../../outside/created.yaml",
		"work/chart/files/ok":  "../../shared",
		"work/chart2/files/pw": "../../../outside/pw",
	} {
		p := filepath.Join(base, link)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	r, err := OpenRoot(work)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()

	for _, name := range []string{"out/app/deploy.yaml", "out/file.yaml", "../x", "/tmp/x"} {
		if err := r.WriteFile(name, []byte("x"), 0o644); !errors.Is(err, ErrPathEscapes) || !IsRefused(err) {
			t.Errorf("WriteFile(%q) = %v, want a terminal ErrPathEscapes", name, err)
		}
	}
	if err := r.WriteFile("out/inside/new/deploy.yaml", []byte("x"), 0o644); err != nil {
		t.Errorf("writing through a link inside: %v", err)
	} else if _, err := os.Stat(filepath.Join(work, "shared/new/deploy.yaml")); err != nil {
		t.Errorf("link inside not followed: %v", err)
	}
	if err := r.WriteFile("out/absinside/abs.yaml", []byte("x"), 0o644); err != nil {
		t.Errorf("writing through an absolute link inside: %v", err)
	}
	if err := r.RemoveAll("out/app"); err != nil {
		t.Errorf("RemoveAll of a link out: %v", err)
	}
	if err := r.CheckTree("chart"); err != nil {
		t.Errorf("CheckTree(chart) = %v, want nil", err)
	}
	if err := r.CheckTree("chart2"); !errors.Is(err, ErrPathEscapes) {
		t.Errorf("CheckTree(chart2) = %v, want ErrPathEscapes", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("outside directory changed: %v", entries)
	}
	if _, err := os.Lstat(filepath.Join(work, "out/app")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("link out/app still there: %v", err)
	}
}
