package testenv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
)

// Kubectl runs the real kubectl from bin/k8s as the administrator and returns
// its standard output. stdin may be nil. On failure the error carries
// kubectl's standard error.
func (e *Env) Kubectl(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	return e.KubectlAs(ctx, e.Kubeconfig, stdin, args...)
}

// KubectlAs runs kubectl with the given kubeconfig (see AddUser).
func (e *Env) KubectlAs(ctx context.Context, kubeconfig string, stdin io.Reader, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(e.Root, "bin", "k8s", "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %v: %w: %s", args, err, stderr.String())
	}
	return stdout.String(), nil
}
