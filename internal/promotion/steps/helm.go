package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// HelmEnv is the environment variable naming the helm binary.
const HelmEnv = "RAILYARD_HELM"

// ErrHelmNotFound is returned when no helm binary can be found.
var ErrHelmNotFound = errors.New("helm binary not found")

// HelmPath finds the helm binary: configured (if not empty), else
// $RAILYARD_HELM, else bin/k8s/helm in the directory of the go.mod enclosing
// the working directory (where `make` puts it for tests and development),
// else `helm` on PATH.
func HelmPath(configured string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	if env := os.Getenv(HelmEnv); env != "" {
		return env, nil
	}
	if root, ok := moduleRoot(); ok {
		p := filepath.Join(root, "bin", "k8s", "helm")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	p, err := exec.LookPath("helm")
	if err != nil {
		return "", fmt.Errorf("%w: set %s, or put helm on PATH", ErrHelmNotFound, HelmEnv)
	}
	return p, nil
}

// moduleRoot walks up from the working directory to the first go.mod.
func moduleRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// runHelm runs helm with args in a private HELM_CONFIG/CACHE/DATA home, so
// the user's repositories and plugins neither leak in nor get modified, and
// returns stdout. Errors carry helm's stderr, which is what users act on.
func runHelm(ctx context.Context, helm, dir string, args ...string) ([]byte, error) {
	home, err := os.MkdirTemp("", "railyard-helm-")
	if err != nil {
		return nil, fmt.Errorf("creating helm home: %w", err)
	}
	defer func() { _ = os.RemoveAll(home) }()
	cmd := exec.CommandContext(ctx, helm, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, &helmError{args: args[0], msg: msg, err: err}
	}
	return stdout.Bytes(), nil
}

// helmError is a failed helm run. A helm that could not be started is
// ErrHelmNotFound; a helm that ran and failed reported a problem with the
// chart or values (exit status), which the caller treats as terminal.
type helmError struct {
	args string
	msg  string
	err  error
}

func (e *helmError) Error() string { return fmt.Sprintf("helm %s: %s", e.args, e.msg) }

func (e *helmError) Unwrap() error {
	var exitErr *exec.ExitError
	if errors.As(e.err, &exitErr) {
		return e.err
	}
	return errors.Join(ErrHelmNotFound, e.err)
}

// exited reports whether helm ran and exited with an error.
func (e *helmError) exited() bool {
	var exitErr *exec.ExitError
	return errors.As(e.err, &exitErr)
}
