package steps

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// outsideDir is a directory outside every work directory; steps must never
// write into it. It holds one file, secret.yaml, that escape tests aim at.
type outsideDir struct{ dir string }

func newOutsideDir(t *testing.T) outsideDir {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret.yaml"), []byte("password: hunter2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return outsideDir{dir: dir}
}

func (s outsideDir) file() string { return filepath.Join(s.dir, "secret.yaml") }

// check fails if anything in the outsideDir directory changed.
func (s outsideDir) check(t *testing.T) {
	t.Helper()
	var names []string
	_ = filepath.WalkDir(s.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != s.dir {
			rel, _ := filepath.Rel(s.dir, p)
			names = append(names, rel)
		}
		return nil
	})
	sort.Strings(names)
	if len(names) != 1 || names[0] != "secret.yaml" {
		t.Errorf("directory outside the work directory now holds %v", names)
	}
	if b, _ := os.ReadFile(s.file()); string(b) != "password: hunter2\n" {
		t.Errorf("file outside the work directory changed: %q", b)
	}
}

// linkOut makes dir/link point at the outsideDir directory.
func (s outsideDir) linkOut(t *testing.T, dir string) { symlink(t, dir, "link", s.dir) }

// escapePaths are paths that leave the work directory: absolute, `..`, and
// through the symbolic link made by linkOut.
func (s outsideDir) escapePaths(name string) map[string]string {
	return map[string]string{
		"absolute": filepath.Join(s.dir, name),
		"dotdot":   "../" + name,
		"symlink":  "link/" + name,
	}
}
