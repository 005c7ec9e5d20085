// Package rolloutstest runs the real Argo Rollouts controller (analysis
// controller only) against an envtest control plane, so that AnalysisRuns
// Railyard creates are executed as in a cluster. The binary and the CRDs come
// from `make rollouts` (bin/rollouts/<version>/).
package rolloutstest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/railyard-dev/railyard/internal/testenv"
)

// versionFile pins the Argo Rollouts version hack/tools/rollouts/build.sh
// builds.
const versionFile = "hack/tools/rollouts/VERSION"

// Dir returns bin/rollouts/<version>, checking that the controller binary and
// the CRDs are there.
func Dir() (string, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return "", err
	}
	v, err := os.ReadFile(filepath.Join(root, versionFile))
	if err != nil {
		return "", fmt.Errorf("reading the Argo Rollouts version: %w", err)
	}
	dir := filepath.Join(root, "bin", "rollouts", strings.TrimSpace(string(v)))
	for _, p := range []string{filepath.Join(dir, "rollouts-controller"), filepath.Join(dir, "crds")} {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s is missing: run 'make rollouts' first", p)
		}
	}
	return dir, nil
}

// CRDPaths returns the Argo Rollouts CRD directory, for
// testenv.Options.ExtraCRDPaths (then Start need not install them).
func CRDPaths() ([]string, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	return []string{filepath.Join(dir, "crds")}, nil
}

// InstallCRDs installs (or updates) the Argo Rollouts CRDs in a running
// control plane and waits until they are served.
func InstallCRDs(env *testenv.Env) error {
	paths, err := CRDPaths()
	if err != nil {
		return err
	}
	if _, err := envtest.InstallCRDs(env.Config, envtest.CRDInstallOptions{Paths: paths, ErrorIfPathMissing: true}); err != nil {
		return fmt.Errorf("installing the Argo Rollouts CRDs: %w", err)
	}
	return nil
}

// Controller is a running rollouts-controller process.
type Controller struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error
	stop    sync.Once
}

// Run installs the CRDs and starts rollouts-controller (analysis controller
// only, no leader election, metrics and health ports chosen by the kernel)
// with env's administrator kubeconfig. Call Stop when done; Start does it
// for a test.
func Run(env *testenv.Env) (*Controller, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	if err := InstallCRDs(env); err != nil {
		return nil, err
	}
	logFile, err := os.CreateTemp("", "rollouts-controller-*.log")
	if err != nil {
		return nil, fmt.Errorf("creating the controller log: %w", err)
	}
	cmd := exec.Command(filepath.Join(dir, "rollouts-controller"),
		"--kubeconfig", env.Kubeconfig,
		"--leader-elect=false",
		"--controllers=analysis",
		"--metricsPort=0",
		"--healthzPort=0",
		"--loglevel=info",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	c := &Controller{cmd: cmd, logPath: logFile.Name(), done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		_ = logFile.Close()
		close(c.done)
	}()
	// It exits at once on a bad flag or kubeconfig: report that here.
	select {
	case <-c.done:
		return nil, fmt.Errorf("rollouts-controller exited at start (%w); log:\n%s", c.err, c.LogTail(40))
	case <-time.After(300 * time.Millisecond):
	}
	return c, nil
}

// Start runs the controller for the test and stops it on cleanup, failing
// the test (with `make rollouts` advice when the binary is missing) if it
// cannot start. On failure of the test the controller's log tail is logged.
func Start(t testing.TB, env *testenv.Env) *Controller {
	t.Helper()
	c, err := Run(env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("rollouts-controller log (tail):\n%s", c.LogTail(60))
		}
		if err := c.Stop(); err != nil {
			t.Log(err)
		}
	})
	return c
}

// Exited reports whether the process has ended, and how.
func (c *Controller) Exited() (bool, error) {
	select {
	case <-c.done:
		return true, c.err
	default:
		return false, nil
	}
}

// LogPath is the file holding the controller's output.
func (c *Controller) LogPath() string { return c.logPath }

// LogTail returns the last n lines of the controller's output.
func (c *Controller) LogTail(n int) string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Stop terminates the process group (SIGTERM, then SIGKILL after 5s) and
// removes the log.
func (c *Controller) Stop() error {
	var err error
	c.stop.Do(func() {
		pgid := -c.cmd.Process.Pid
		_ = syscall.Kill(pgid, syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(pgid, syscall.SIGKILL)
			<-c.done
		}
		if rmErr := os.Remove(c.logPath); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
			err = rmErr
		}
	})
	return err
}
