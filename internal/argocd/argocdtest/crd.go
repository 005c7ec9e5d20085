// Package argocdtest gives tests Argo CD's real Application CRD without
// committing it: it comes from the Argo CD Go module in the module cache.
package argocdtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// ArgoCDModule is the Argo CD release whose Application CRD tests use.
const ArgoCDModule = "github.com/argoproj/argo-cd/v3@v3.5.7"

// crdFile is the CRD's path inside the module.
const crdFile = "manifests/crds/application-crd.yaml"

var (
	once    sync.Once
	crdPath string
	crdErr  error
)

// TestCRDPath returns the path of Argo CD's Application CRD, downloading
// the Argo CD module through the Go module proxy on first use (about 10s;
// cached afterwards). Pass it to testenv.Options.ExtraCRDPaths.
func TestCRDPath() (string, error) {
	once.Do(func() { crdPath, crdErr = download() })
	return crdPath, crdErr
}

func download() (string, error) {
	// Run outside any module so that go.mod and go.sum are never touched.
	dir, err := os.MkdirTemp("", "argocd-crd-")
	if err != nil {
		return "", fmt.Errorf("creating a temporary directory: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()

	cmd := exec.Command("go", "mod", "download", "-json", ArgoCDModule)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GO111MODULE=on")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var info struct {
		Dir   string
		Error string
	}
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil && runErr == nil {
		return "", fmt.Errorf("reading the output of go mod download %s: %w", ArgoCDModule, err)
	}
	if runErr != nil || info.Error != "" {
		return "", fmt.Errorf("go mod download %s: %w %s %s", ArgoCDModule, runErr, info.Error, stderr.String())
	}
	path := filepath.Join(info.Dir, crdFile)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("finding Argo CD's Application CRD: %w", err)
	}
	return path, nil
}
