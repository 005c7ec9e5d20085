package workdir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSecureJoin resolves arbitrary relative paths in a work directory whose
// symbolic links (at the top, in the middle of a path, and chained) point at
// arbitrary targets. Whatever the input, SecureJoin returns a path inside the
// work directory whose existing part holds no link left to follow, or an
// error; and an error never names the work directory.
func FuzzSecureJoin(f *testing.F) {
	for _, seed := range [][4]string{
		{"l1/x", "a", "b", "f"},
		{"l1/x", "../outside", "", ""},
		{"a/l2/l3/f", "a", "b", "../../outside/secret"},
		{"a/l2/x", "", "../l1", ""},
		{"l1", "/etc", "", ""},
		{"a/b/l3/../../l1/y", "a/b/l3", "", "../../l1"},
		{"a/l2/new/dir/file", "", "../../outside/missing", ""},
		{"l1/f", "a/l2", "b/l3", "../.."},
		{"a/b/../../l1", "l1", "", ""},
		{"./a//b/./f", "", "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	// One layout for all inputs, only its links change: a fresh directory
	// per input would make the fuzzer mostly create directories.
	base := f.TempDir()
	root := filepath.Join(base, "work")
	for _, d := range []string{"work/a/b", "outside"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			f.Fatal(err)
		}
	}
	for _, name := range []string{"work/a/f", "outside/secret"} {
		if err := os.WriteFile(filepath.Join(base, name), []byte("x"), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, rel, link1, link2, link3 string) {
		for link, target := range map[string]string{"l1": link1, "a/l2": link2, "a/b/l3": link3} {
			p := filepath.Join(root, link)
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			if target == "" || strings.ContainsRune(target, 0) {
				continue
			}
			_ = os.Symlink(target, p) // some targets are invalid
		}
		resolvedRoot, err := filepath.EvalSymlinks(root)
		if err != nil {
			t.Fatal(err)
		}
		p, err := SecureJoin(root, rel)
		if err != nil {
			if strings.Contains(err.Error(), base) {
				t.Fatalf("error names the work directory: %v", err)
			}
			return
		}
		if !within(resolvedRoot, p) {
			t.Fatalf("SecureJoin(%q) = %q, outside %q", rel, p, resolvedRoot)
		}
		existing := existingPrefix(t, p)
		real, err := filepath.EvalSymlinks(existing)
		if err != nil {
			t.Fatalf("resolving %q: %v", existing, err)
		}
		if real != existing {
			t.Fatalf("SecureJoin(%q) = %q: %q still is a link to %q", rel, p, existing, real)
		}
	})
}

// existingPrefix is the longest prefix of p that exists.
func existingPrefix(t *testing.T, p string) string {
	t.Helper()
	for {
		_, err := os.Lstat(p)
		if err == nil {
			return p
		}
		if !errors.Is(err, fs.ErrNotExist) && !isNotDir(err) {
			t.Fatalf("lstat %q: %v", p, err)
		}
		p = filepath.Dir(p)
	}
}
