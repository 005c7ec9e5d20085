package testenv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"time"
)

// Kubectl runs the real kubectl from bin/k8s as the administrator and returns
// its standard output. stdin may be nil. On failure the error carries
// kubectl's standard error.
func (e *Env) Kubectl(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	return e.KubectlAs(ctx, e.Kubeconfig, stdin, args...)
}

// KubectlAs runs kubectl with the given kubeconfig (see AddUser).
func (e *Env) KubectlAs(ctx context.Context, kubeconfig string, stdin io.Reader, args ...string) (string, error) {
	out, _, err := e.kubectl(ctx, kubeconfig, stdin, args...)
	return out, err
}

// KubectlCPU is Kubectl that also returns the CPU time kubectl itself used
// (user and system), for benchmarks that tell it from the processes it
// talks to.
func (e *Env) KubectlCPU(ctx context.Context, stdin io.Reader, args ...string) (string, time.Duration, error) {
	return e.kubectl(ctx, e.Kubeconfig, stdin, args...)
}

func (e *Env) kubectl(ctx context.Context, kubeconfig string, stdin io.Reader, args ...string) (string, time.Duration, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(e.Root, "bin", "k8s", "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var cpu time.Duration
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return stdout.String(), cpu, fmt.Errorf("kubectl %v: %w: %s", args, err, stderr.String())
	}
	return stdout.String(), cpu, nil
}
