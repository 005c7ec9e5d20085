package manager

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRemoveWorkDirsKeepsOtherFiles(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"promotion-a/out/.git", "promotion-b", "other"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "promotion-file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := removeWorkDirs(root)
	if err != nil || n != 2 {
		t.Fatalf("removeWorkDirs = %d, %v; want 2, nil", n, err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if len(left) != 2 || left[0] != "other" || left[1] != "promotion-file" {
		t.Errorf("left %v, want [other promotion-file]", left)
	}
	if n, err := removeWorkDirs(filepath.Join(root, "missing")); n != 0 || err != nil {
		t.Errorf("missing root: %d, %v", n, err)
	}
}
