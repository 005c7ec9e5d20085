package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/railyard-dev/railyard/internal/testenv"
)

// TestBinary builds railyard and runs it by both of its names: directly,
// and through kubectl's plugin mechanism as kubectl-railyard.
func TestBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "railyard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := os.Symlink("railyard", filepath.Join(dir, "kubectl-railyard")); err != nil {
		t.Fatal(err)
	}
	kubectl, kerr := testenv.Binary("kubectl")

	tests := []struct {
		name     string
		cmd      []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "version", cmd: []string{bin, "version"}, wantOut: "railyard "},
		{name: "plugin name", cmd: []string{filepath.Join(dir, "kubectl-railyard"), "version"}, wantOut: "railyard "},
		{name: "help lists commands", cmd: []string{bin, "--help"}, wantOut: "promote"},
		{name: "unknown command", cmd: []string{bin, "frobnicate"}, wantCode: 2, wantErr: `unknown command "frobnicate"`},
		{name: "unknown flag", cmd: []string{bin, "version", "--frob"}, wantCode: 2, wantErr: "unknown flag: --frob"},
		{name: "as a kubectl plugin", cmd: []string{kubectl, "railyard", "version"}, wantOut: "railyard "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cmd[0] == kubectl && kerr != nil {
				t.Fatalf("the kubectl plugin check needs bin/k8s/kubectl: %v", kerr)
			}
			cmd := exec.Command(tt.cmd[0], tt.cmd[1:]...)
			cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d (stderr %q)", code, tt.wantCode, errOut.String())
			}
			if !strings.Contains(out.String(), tt.wantOut) || !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stdout %q, stderr %q; want %q and %q", out.String(), errOut.String(), tt.wantOut, tt.wantErr)
			}
		})
	}
}
