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

	"github.com/railyard-dev/railyard/internal/helmguard"
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

// runHelm runs helm through guard (see helm_guard.go), which keeps helm's
// homes and every path it touches in the work directory, and returns
// stdout. Errors carry helm's stderr, which is what users act on; a refusal
// of the guard is a terminal ErrPathEscapes.
func runHelm(ctx context.Context, guard *helmGuard, dir string, args ...string) ([]byte, error) {
	out, err := runHelmOutput(ctx, guard, dir, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// runHelmOutput is runHelm returning stdout even when helm failed: some
// commands print the cause of a failure there (`helm dependency update`
// warns about a repository it could not read, then fails on its absence).
func runHelmOutput(ctx context.Context, guard *helmGuard, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, guard.Command(), args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if refusal := guard.Refusal(); refusal != nil {
			return stdout.Bytes(), refusal
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return stdout.Bytes(), &helmError{args: args[0], msg: strings.ReplaceAll(msg, dir+string(filepath.Separator), ""), err: err}
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
	if e.exited() {
		return e.err
	}
	return errors.Join(ErrHelmNotFound, e.err)
}

// exited reports whether helm ran and exited with an error; the guard
// reports a helm it could not start with helmguard.ExitNoHelm.
func (e *helmError) exited() bool {
	var exitErr *exec.ExitError
	return errors.As(e.err, &exitErr) && exitErr.ExitCode() != helmguard.ExitNoHelm
}
