// Package testenv starts a real kube-apiserver and etcd (envtest) for tests,
// using the binaries `make envtest` builds into bin/k8s, and installs the
// Railyard CRDs. Tests never need KUBEBUILDER_ASSETS set by hand.
package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	railyardscheme "github.com/railyard-dev/railyard/internal/scheme"
)

// ModulePath is the main module, used to find the repository root.
const ModulePath = "github.com/railyard-dev/railyard"

// RepoRoot walks up from the working directory to the directory whose go.mod
// declares the Railyard module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the working directory: %w", err)
	}
	for {
		if isRailyardRoot(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of " + ModulePath + " above the working directory")
		}
		dir = parent
	}
}

func isRailyardRoot(goMod string) bool {
	f, err := os.Open(goMod)
	if err != nil {
		return false
	}
	defer func() { _ = f.Close() }()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); strings.HasPrefix(line, "module ") {
			return strings.TrimSpace(strings.TrimPrefix(line, "module ")) == ModulePath
		}
	}
	return false
}

// AssetsDir returns bin/k8s, checking that the binaries tests need are there.
func AssetsDir() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "bin", "k8s")
	for _, name := range []string{"kube-apiserver", "etcd", "kubectl"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return "", fmt.Errorf("%s is missing from %s: run 'make envtest' first", name, dir)
		}
	}
	return dir, nil
}

// Binary returns the path of a binary in bin/k8s (kubectl, helm, ...).
func Binary(name string) (string, error) {
	dir, err := AssetsDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s is missing from %s: run 'make envtest' first", name, dir)
	}
	return p, nil
}

// Env is a running control plane with the Railyard CRDs installed.
type Env struct {
	// Config reaches the API server as an administrator.
	Config *rest.Config
	// Client is a controller-runtime client with the Railyard scheme; it
	// can also watch (client.WithWatch).
	Client client.Client
	// Kubeconfig is the path of a kubeconfig file for kubectl.
	Kubeconfig string
	// Root is the repository root.
	Root string

	env *envtest.Environment
	dir string
}

// Options tune Start.
type Options struct {
	// ExtraCRDPaths are installed next to the Railyard CRDs (files or
	// directories), for example Argo CD's Application CRD.
	ExtraCRDPaths []string
}

// Start starts kube-apiserver and etcd and installs the CRDs. Call Stop when
// done (from TestMain, or t.Cleanup).
func Start(opts Options) (*Env, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     append([]string{filepath.Join(root, "config", "crd", "bases")}, opts.ExtraCRDPaths...),
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest from %s: %w", assets, err)
	}
	e := &Env{Config: cfg, Root: root, env: env}
	if err := e.init(); err != nil {
		_ = env.Stop()
		return nil, err
	}
	return e, nil
}

func (e *Env) init() error {
	scheme, err := railyardscheme.New()
	if err != nil {
		return err
	}
	if e.Client, err = client.NewWithWatch(e.Config, client.Options{Scheme: scheme}); err != nil {
		return fmt.Errorf("creating client: %w", err)
	}
	user, err := e.env.AddUser(envtest.User{Name: "railyard-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("adding an admin user: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("writing a kubeconfig: %w", err)
	}
	if e.dir, err = os.MkdirTemp("", "railyard-testenv-"); err != nil {
		return fmt.Errorf("creating a temporary directory: %w", err)
	}
	e.Kubeconfig = filepath.Join(e.dir, "kubeconfig")
	if err := os.WriteFile(e.Kubeconfig, kubeconfig, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", e.Kubeconfig, err)
	}
	return nil
}

// AddUser returns a kubeconfig path and rest.Config for a user with the given
// name and groups (no rights unless RBAC grants them).
func (e *Env) AddUser(name string, groups ...string) (string, *rest.Config, error) {
	user, err := e.env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return "", nil, fmt.Errorf("adding user %s: %w", name, err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return "", nil, fmt.Errorf("writing a kubeconfig for %s: %w", name, err)
	}
	path := filepath.Join(e.dir, "kubeconfig-"+name)
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		return "", nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return path, user.Config(), nil
}

// Stop stops the control plane and removes temporary files.
func (e *Env) Stop() error {
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
	return e.env.Stop()
}
