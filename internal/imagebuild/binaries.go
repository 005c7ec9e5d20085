package imagebuild

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// HelmModule is the module the helm binary is built from, and
// DefaultHelmVersion the release the Makefile pins (HELM_VERSION).
const (
	HelmModule         = "helm.sh/helm/v3"
	DefaultHelmVersion = "v3.22.0"
)

// Binaries are the executables of one platform on the build machine.
type Binaries struct {
	Manager, CLI, Guard, Helm string
}

// BuildOptions says what BuildBinaries compiles and where it caches it.
type BuildOptions struct {
	// RepoRoot is the Railyard module's directory.
	RepoRoot string
	// CacheDir holds the results, keyed by version and platform:
	// <CacheDir>/<Version>/<os>_<arch>/{manager,railyard,railyard-helm-guard} and
	// <CacheDir>/helm/<HelmVersion>/<os>_<arch>/helm.
	CacheDir string
	// Version is stamped into the manager and CLI with LDFlags.
	Version string
	// LDFlags for the manager and CLI; empty means LDFlags(Version), as
	// `make build`.
	LDFlags     string
	HelmVersion string
	Platforms   []v1.Platform
	// Log receives the go commands' output (nil discards it).
	Log io.Writer
}

// BuildBinaries cross-compiles static (CGO_ENABLED=0) binaries for every
// platform. The manager and CLI are always handed to `go build`, whose cache
// makes an unchanged rebuild cheap and a changed source never stale; helm is
// pinned by version, so a cached binary is reused as is.
func BuildBinaries(ctx context.Context, o BuildOptions) (map[string]Binaries, error) {
	if o.LDFlags == "" {
		o.LDFlags = LDFlags(o.Version)
	}
	version := o.Version
	if version == "" {
		version = "dev"
	}
	var helmDir string
	out := map[string]Binaries{}
	for _, p := range o.Platforms {
		key := p.OS + "_" + p.Architecture
		dir := filepath.Join(o.CacheDir, version, key)
		b := Binaries{
			Manager: filepath.Join(dir, "manager"),
			CLI:     filepath.Join(dir, "railyard"),
			Guard:   filepath.Join(dir, "railyard-helm-guard"),
			Helm:    filepath.Join(o.CacheDir, "helm", o.HelmVersion, key, "helm"),
		}
		for _, c := range []struct{ out, pkg string }{{b.Manager, "./cmd/manager"}, {b.CLI, "./cmd/railyard"}, {b.Guard, "./cmd/railyard-helm-guard"}} {
			if err := goBuild(ctx, o.Log, o.RepoRoot, p, c.out, o.LDFlags, c.pkg); err != nil {
				return nil, err
			}
		}
		if _, err := os.Stat(b.Helm); err != nil {
			if helmDir == "" {
				if helmDir, err = moduleDir(ctx, HelmModule, o.HelmVersion); err != nil {
					return nil, err
				}
			}
			// helm's own Makefile stamps its version the same way.
			ldflags := "-s -w -X " + HelmModule + "/internal/version.version=" + o.HelmVersion
			if err := goBuild(ctx, o.Log, helmDir, p, b.Helm, ldflags, "./cmd/helm"); err != nil {
				return nil, err
			}
		}
		out[p.String()] = b
	}
	return out, nil
}

// goBuild builds pkg in dir for platform p into out, through a temporary name
// so that an interrupted build never leaves a truncated binary in the cache.
func goBuild(ctx context.Context, log io.Writer, dir string, p v1.Platform, out, ldflags, pkg string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	// Build in place when out exists: go build then relinks only if it is
	// out of date.
	if _, err := os.Stat(out); err == nil {
		tmp = out
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags, "-o", tmp, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture)
	var stderr bytes.Buffer
	cmd.Stdout = log
	cmd.Stderr = &stderr
	if log != nil {
		cmd.Stderr = io.MultiWriter(&stderr, log)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s for %s: %w\n%s", pkg, p, err, stderr.String())
	}
	if tmp != out {
		return os.Rename(tmp, out)
	}
	return nil
}

// moduleDir downloads mod@version through the module proxy and returns its
// directory in the module cache. Building there uses the module's own go.mod
// and go.sum, the same dependency set `go install mod@version` would.
func moduleDir(ctx context.Context, mod, version string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", mod+"@"+version)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w\n%s%s", mod, version, err, stdout.String(), stderr.String())
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w", mod, version, err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", mod, version, info.Error)
	}
	return info.Dir, nil
}
