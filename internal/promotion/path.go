package promotion

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrPathEscapes is returned for a path that would leave the work directory.
var ErrPathEscapes = errors.New("path escapes the work directory")

// Path resolves a path from step configuration inside the work directory.
// Absolute paths, `..` and symbolic links that lead outside are refused with
// a TerminalError.
func (sc *StepContext) Path(rel string) (string, error) {
	return SecureJoin(sc.WorkDir, rel)
}

// SecureJoin joins rel to root and refuses results outside root, following
// any symbolic links that already exist along the way.
func SecureJoin(root, rel string) (string, error) {
	if filepath.IsAbs(rel) {
		return "", Terminal(fmt.Errorf("%w: %q is absolute; paths are relative to the work directory", ErrPathEscapes, rel))
	}
	rootAbs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("resolving work directory: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(rootAbs); err == nil {
		rootAbs = resolved
	}
	joined := filepath.Join(rootAbs, rel)
	if !within(rootAbs, joined) {
		return "", Terminal(fmt.Errorf("%w: %q", ErrPathEscapes, rel))
	}
	// Resolve the longest existing prefix so a symlink inside the work
	// directory cannot point outside it.
	existing := joined
	var rest []string
	for {
		if _, err := os.Lstat(existing); err == nil {
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			break
		}
		rest = append([]string{filepath.Base(existing)}, rest...)
		existing = parent
	}
	resolved, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return "", fmt.Errorf("resolving %q: %w", rel, err)
	}
	full := filepath.Join(append([]string{resolved}, rest...)...)
	if !within(rootAbs, full) {
		return "", Terminal(fmt.Errorf("%w: %q resolves outside it through a symbolic link", ErrPathEscapes, rel))
	}
	return full, nil
}

func within(root, p string) bool {
	if p == root {
		return true
	}
	return strings.HasPrefix(p, root+string(filepath.Separator))
}
