package steps

// Helm always runs behind the guard (package helmguard): kustomize and the
// helm steps start the guard in helm's place, and the guard checks and
// confines what helm is asked to do. The guard is the program
// railyard-helm-guard when it sits next to the running executable (the
// image ships it beside the manager), or set with GuardExecutable; without
// it, the running executable is started under the guard's name, and the
// init below turns that process into the guard.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/railyard-dev/railyard/internal/helmguard"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

func init() {
	// A guard process only ever runs helm: decide before anything else of
	// the program it is part of (manager, test binary) starts.
	if len(os.Args) > 0 && filepath.Base(os.Args[0]) == helmguard.Name {
		os.Exit(helmguard.Main(filepath.Dir(os.Args[0]), os.Args[1:]))
	}
}

// HelmTimeout bounds one run of helm (a pull, a template); charts render in
// seconds, so only a server that stopped answering reaches it. A step's own
// deadline, when sooner, wins.
const HelmTimeout = 2 * time.Minute

// GuardExecutable returns the program to start as the helm guard:
// configured when set, else railyard-helm-guard next to the running
// executable, else the running executable itself. The separate program
// starts in a few milliseconds; the manager, with every client library it
// links, takes tens of them, and kustomize starts the guard two or three
// times per chart.
func GuardExecutable(configured string) (string, error) {
	if configured != "" {
		p, err := exec.LookPath(configured)
		if err != nil {
			return "", fmt.Errorf("helm guard %q: %w", configured, err)
		}
		return filepath.Abs(p)
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding the running executable for the helm guard: %w", err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return "", fmt.Errorf("finding the running executable for the helm guard: %w", err)
	}
	beside := filepath.Join(filepath.Dir(exe), helmguard.Name)
	if fi, err := os.Stat(beside); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
		return beside, nil
	}
	return exe, nil
}

// openHelmGuard prepares the guard for one step run: helm is found as
// HelmPath says, the guard program as GuardExecutable says.
func openHelmGuard(ctx context.Context, root *workdir.Root, helmCommand, guardCommand, chartCache string) (*helmGuard, error) {
	helm, err := HelmPath(helmCommand)
	if err != nil {
		return nil, err
	}
	exe, err := GuardExecutable(guardCommand)
	if err != nil {
		return nil, err
	}
	return newHelmGuard(ctx, root, exe, helm, chartCache)
}

// helmGuard is a guard set up for one step run.
type helmGuard struct {
	dir  string // private, outside the work directory: link and config
	home string // inside the work directory: HELM_*_HOME
}

// newHelmGuard prepares a guard, the program exe, that runs helm inside
// root until ctx's deadline or HelmTimeout, whichever comes first.
func newHelmGuard(ctx context.Context, root *workdir.Root, exe, helm, chartCache string) (*helmGuard, error) {
	if p, err := exec.LookPath(helm); err == nil {
		helm = p
	}
	g := &helmGuard{}
	var err error
	if g.dir, err = os.MkdirTemp("", "railyard-helm-guard-"); err != nil {
		return nil, fmt.Errorf("creating helm guard: %w", err)
	}
	// A fresh, randomly named directory: nothing committed can be in the
	// way, and the step removes it before anything is committed.
	if g.home, err = os.MkdirTemp(root.Dir(), ".railyard-helm-"); err != nil {
		g.Close()
		return nil, fmt.Errorf("creating helm home: %w", workdir.RelError(err, root.Dir()))
	}
	deadline := time.Now().Add(HelmTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	var templateCache string
	if chartCache != "" {
		// Rendered charts are kept whenever pulled ones are.
		templateCache = filepath.Join(filepath.Dir(chartCache), "helm-templates")
	}
	cfg, err := json.Marshal(helmguard.Config{Root: root.Dir(), Helm: helm, Home: g.home, Deadline: deadline,
		VersionShort: helmVersionShort(ctx, helm), ChartCache: chartCache, TemplateCache: templateCache})
	if err == nil {
		err = os.WriteFile(filepath.Join(g.dir, helmguard.ConfigFile), cfg, 0o600)
	}
	if err == nil {
		// The guard finds its configuration next to the name it was
		// started under.
		err = os.Symlink(exe, g.Command())
	}
	if err != nil {
		g.Close()
		return nil, fmt.Errorf("creating helm guard: %w", err)
	}
	return g, nil
}

// Command is the program to start instead of helm.
func (g *helmGuard) Command() string { return filepath.Join(g.dir, helmguard.Name) }

// Close removes the guard and the helm home.
func (g *helmGuard) Close() {
	if g.home != "" {
		_ = os.RemoveAll(g.home)
	}
	_ = os.RemoveAll(g.dir)
}

// Refusal is the guard's refusal to run helm, a terminal ErrPathEscapes
// error, or nil if it refused nothing.
func (g *helmGuard) Refusal() error {
	b, err := os.ReadFile(filepath.Join(g.dir, helmguard.RefusalFile))
	if err != nil {
		return nil
	}
	return promotion.Terminal(fmt.Errorf("%w: %s", workdir.ErrPathEscapes, strings.TrimSpace(string(b))))
}
