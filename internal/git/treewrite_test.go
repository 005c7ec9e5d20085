//go:build linux

package git

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// (Linux only: stamps are read only there; elsewhere nothing is pooled and
// clockPast is not called.)
//
// clockPast reads a change time later than the one it is given without
// making or removing anything in the directory (its modification time
// and names stay), and leaves the directory's mode as it was.
func TestClockPastMakesNothing(t *testing.T) {
	tests := []struct {
		name string
		mode fs.FileMode
	}{
		{"a work tree", 0o755},
		{"a private directory", 0o700},
		{"set-group-ID", 0o755 | fs.ModeSetgid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "tree")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "a"), []byte("1"), 0o644); err != nil {
				t.Fatal(err)
			}
			written := stampAt(t, filepath.Join(dir, "a"))
			before := stampAt(t, dir)
			root, err := os.OpenRoot(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = root.Close() }()

			now, err := clockPast(root, written.ctime)
			if err != nil {
				t.Fatal(err)
			}
			if now <= written.ctime {
				t.Errorf("clock %d, not past %d", now, written.ctime)
			}
			after := stampAt(t, dir)
			if after.mtime != before.mtime || after.mode != before.mode || after.ino != before.ino {
				t.Errorf("directory changed: %+v, was %+v", after, before)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if !slices.Equal(names, []string{"a"}) {
				t.Errorf("directory holds %v", names)
			}
		})
	}
}

func stampAt(t *testing.T, p string) stamp {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := stampOf(fi)
	if !ok {
		t.Fatalf("no stamp for %s", p)
	}
	return st
}
