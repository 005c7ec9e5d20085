package workdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrPathEscapes is returned for a path that would leave the work directory.
var ErrPathEscapes = errors.New("path escapes the work directory")

// refusedError is a path refused for what it is, not for a condition that
// may pass: retrying cannot help, so the promotion engine ends the step at
// once (see IsRefused).
type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// refused marks err as a refusal.
func refused(err error) error { return &refusedError{err: err} }

// refusedf formats a refusal.
func refusedf(format string, args ...any) error { return refused(fmt.Errorf(format, args...)) }

// IsRefused reports whether err is or wraps a refusal of this package: a
// path out of the work directory, an invalid path, a link cycle.
func IsRefused(err error) bool {
	var r *refusedError
	return errors.As(err, &r)
}

// maxSymlinks bounds the links followed while resolving one path, as the
// kernel's ELOOP does, so a link cycle ends with an error.
const maxSymlinks = 40

// SecureJoin joins rel to root and refuses results outside root. Symbolic
// links are resolved one path component at a time, a link's target included
// (chains, links to directories in the middle of the path, dangling links),
// and every intermediate result must stay inside root. Components that do
// not exist yet are joined as written. The result has no symbolic link left
// in its existing part, so handing it to a tool that follows links (helm,
// kustomize) reaches the place that was checked.
func SecureJoin(root, rel string) (string, error) {
	if filepath.IsAbs(rel) {
		return "", refused(fmt.Errorf("%w: %q is absolute; paths are relative to the work directory", ErrPathEscapes, rel))
	}
	if strings.ContainsRune(rel, 0) {
		return "", refusedf("invalid path %q", rel)
	}
	clean := filepath.Clean(rel)
	if clean != "." && !filepath.IsLocal(clean) {
		return "", refused(fmt.Errorf("%w: %q", ErrPathEscapes, rel))
	}
	rootAbs, err := resolvedRoot(root)
	if err != nil {
		return "", err
	}
	full, err := resolveIn(rootAbs, clean)
	if err != nil {
		if errors.Is(err, ErrPathEscapes) {
			return "", refused(fmt.Errorf("%w: %q resolves outside it through a symbolic link", ErrPathEscapes, rel))
		}
		return "", fmt.Errorf("resolving %q: %w", rel, RelError(err, rootAbs))
	}
	return full, nil
}

// resolvedRoot is root made absolute with its own symbolic links resolved:
// the work directory itself may live behind a link (/tmp on macOS).
func resolvedRoot(root string) (string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("resolving work directory: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		abs = resolved
	}
	return abs, nil
}

// resolveIn walks rel below root component by component, following symbolic
// links, and fails with ErrPathEscapes as soon as it would leave root.
func resolveIn(root, rel string) (string, error) {
	todo := splitPath(rel)
	cur := root
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if cur == root {
				return "", ErrPathEscapes
			}
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		fi, err := os.Lstat(next)
		switch {
		case errors.Is(err, fs.ErrNotExist), isNotDir(err):
			// Nothing below a missing entry can be a link; later
			// components are joined as written (`..` still checked).
			cur = next
			continue
		case err != nil:
			return "", err
		case fi.Mode()&fs.ModeSymlink == 0:
			cur = next
			continue
		}
		if links++; links > maxSymlinks {
			// A loop in a checkout: no retry will fix it.
			return "", refusedf("too many levels of symbolic links at %q", relTo(root, next))
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			target = filepath.Clean(target)
			if !within(root, target) {
				return "", ErrPathEscapes
			}
			// Restart from root with the target's components, which may
			// hold further links.
			cur = root
			target, _ = filepath.Rel(root, target)
		}
		todo = append(splitPath(target), todo...)
	}
	return cur, nil
}

func splitPath(p string) []string {
	return strings.Split(filepath.ToSlash(p), "/")
}

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// relTo shows p relative to root, for messages that must not expose where
// the work directory lives.
func relTo(root, p string) string {
	if !filepath.IsAbs(p) {
		return filepath.ToSlash(p)
	}
	if rel, err := filepath.Rel(root, p); err == nil && filepath.IsLocal(rel) {
		return filepath.ToSlash(rel)
	}
	if p == root {
		return "."
	}
	return filepath.Base(p)
}

func within(root, p string) bool {
	if p == root {
		return true
	}
	return strings.HasPrefix(p, root+string(filepath.Separator))
}
