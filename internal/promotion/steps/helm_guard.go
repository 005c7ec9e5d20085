package steps

// Helm runs as a separate program, and kustomize's Helm generator starts it
// with paths of its own making: `helm pull --untardir <chartHome>` writes
// wherever a kustomization's helmGlobals.chartHome says, `helm template
// <chartHome>/<name>` reads from there, and HELM_CONFIG_HOME comes from
// helmGlobals.configHome. None of that passes through our filesystem layer,
// and configuration can be assembled by kustomize itself (generators,
// patches), so checking kustomization files is not enough. Instead helm is
// always started through a guard: this same executable, re-executed under
// the name guardName, which checks the command line helm is about to act
// on, points every helm home and repository path into the work directory,
// runs helm, and checks what `helm pull` unpacked.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// guardName is the name the guard is started under (argv[0]'s base name).
const guardName = "railyard-helm-guard"

const (
	guardConfigFile  = "guard.json"
	guardRefusalFile = "refused"
	// guardNoHelm is the guard's exit status when helm cannot be started,
	// as a shell's for a command not found.
	guardNoHelm = 127
)

func init() {
	// A guard process only ever runs helm: decide before anything else of
	// the program it is part of (manager, test binary) starts.
	if len(os.Args) > 0 && filepath.Base(os.Args[0]) == guardName {
		os.Exit(guardMain(filepath.Dir(os.Args[0]), os.Args[1:]))
	}
}

// guardConfig is what a guard learns from the step that started it.
type guardConfig struct {
	// Root is the work directory, symbolic links resolved.
	Root string `json:"root"`
	// Helm is the real helm binary.
	Helm string `json:"helm"`
	// Home is the private helm home inside Root.
	Home string `json:"home"`
	// Deadline is when helm is killed: a Helm repository that never
	// answers must not hold the step (and kustomize's lock) forever.
	Deadline time.Time `json:"deadline"`
	// VersionShort is `helm version --short` of Helm, asked once per
	// process: kustomize asks before every chart, and answering it here
	// saves starting helm once per inflation.
	VersionShort string `json:"versionShort,omitempty"`
	// ChartCache, when set, is the directory of the chart cache (see
	// helm_chart_cache.go), outside every work directory.
	ChartCache string `json:"chartCache,omitempty"`
}

// HelmTimeout bounds one run of helm (a pull, a template); charts render in
// seconds, so only a server that stopped answering reaches it. A step's own
// deadline, when sooner, wins.
const HelmTimeout = 2 * time.Minute

// guardTimedOut is the guard's exit status when it killed helm at the
// deadline, as timeout(1)'s.
const guardTimedOut = 124

// helmGuard is a guard set up for one step run.
type helmGuard struct {
	dir  string // private, outside the work directory: link and config
	home string // inside the work directory: HELM_*_HOME
}

// newHelmGuard prepares a guard that runs helm inside root until ctx's
// deadline or HelmTimeout, whichever comes first.
func newHelmGuard(ctx context.Context, root *promotion.Root, helm, chartCache string) (*helmGuard, error) {
	if p, err := exec.LookPath(helm); err == nil {
		helm = p
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the running executable for the helm guard: %w", err)
	}
	g := &helmGuard{}
	if g.dir, err = os.MkdirTemp("", "railyard-helm-guard-"); err != nil {
		return nil, fmt.Errorf("creating helm guard: %w", err)
	}
	// A fresh, randomly named directory: nothing committed can be in the
	// way, and the step removes it before anything is committed.
	if g.home, err = os.MkdirTemp(root.Dir(), ".railyard-helm-"); err != nil {
		g.Close()
		return nil, fmt.Errorf("creating helm home: %w", promotion.RelError(err, root.Dir()))
	}
	deadline := time.Now().Add(HelmTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	cfg, err := json.Marshal(guardConfig{Root: root.Dir(), Helm: helm, Home: g.home, Deadline: deadline,
		VersionShort: helmVersionShort(ctx, helm), ChartCache: chartCache})
	if err == nil {
		err = os.WriteFile(filepath.Join(g.dir, guardConfigFile), cfg, 0o600)
	}
	if err == nil {
		err = os.Symlink(exe, g.Command())
	}
	if err != nil {
		g.Close()
		return nil, fmt.Errorf("creating helm guard: %w", err)
	}
	return g, nil
}

// Command is the program to start instead of helm.
func (g *helmGuard) Command() string { return filepath.Join(g.dir, guardName) }

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
	b, err := os.ReadFile(filepath.Join(g.dir, guardRefusalFile))
	if err != nil {
		return nil
	}
	return promotion.Terminal(fmt.Errorf("%w: %s", promotion.ErrPathEscapes, strings.TrimSpace(string(b))))
}

// guardMain is the guard process: it returns helm's exit status, or 126
// when it refuses to run helm.
func guardMain(dir string, args []string) int {
	b, err := os.ReadFile(filepath.Join(dir, guardConfigFile))
	var cfg guardConfig
	if err == nil {
		err = json.Unmarshal(b, &cfg)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "helm guard: reading configuration: %v\n", err)
		return 126
	}
	refuse := func(err error) int {
		msg := strings.ReplaceAll(err.Error(), promotion.ErrPathEscapes.Error()+": ", "")
		_ = os.WriteFile(filepath.Join(dir, guardRefusalFile), []byte(msg+"\n"), 0o600)
		fmt.Fprintf(os.Stderr, "helm guard: %v\n", err)
		return 126
	}
	if cfg.VersionShort != "" && len(args) == 2 && args[0] == "version" && args[1] == "--short" {
		fmt.Println(cfg.VersionShort)
		return 0
	}
	root, err := promotion.OpenRoot(cfg.Root)
	if err != nil {
		fmt.Fprintf(os.Stderr, "helm guard: %v\n", err)
		return 126
	}
	defer func() { _ = root.Close() }()
	inv, err := checkHelmArgs(root, args)
	if err != nil {
		return refuse(err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), cfg.Deadline)
	defer cancel()
	cached, store := cfg.cachedPull(ctx, root, args)
	if cached {
		for _, d := range inv.unpacked {
			if err := root.CheckTree(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return refuse(fmt.Errorf("after helm %s: %w", args[0], err))
			}
		}
		return 0
	}
	cmd := exec.CommandContext(ctx, cfg.Helm, args...)
	// Helm's own children must not keep the guard waiting on its output
	// once helm is killed.
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = helmEnv(os.Environ(), cfg.Home)
	cmd.SysProcAttr = helmSysProcAttr()
	runErr := cmd.Run()
	if ctx.Err() != nil {
		fmt.Fprintf(os.Stderr, "helm guard: helm %s did not finish in time (a repository or registry that does not answer?); stopped\n", args[0])
		return guardTimedOut
	}
	// Whatever helm unpacked must not hold a link out, even on failure.
	for _, d := range inv.unpacked {
		if err := root.CheckTree(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return refuse(fmt.Errorf("after helm %s: %w", args[0], err))
		}
	}
	if runErr == nil && store != nil {
		store()
	}
	var exitErr *exec.ExitError
	switch {
	case errors.As(runErr, &exitErr):
		return exitErr.ExitCode()
	case runErr != nil:
		fmt.Fprintf(os.Stderr, "helm guard: %v\n", runErr)
		return guardNoHelm
	}
	return 0
}

// helmEnv is env without any HELM_ setting of the caller (kustomize passes
// helmGlobals.configHome, the manager may have its own), with every helm
// home, repository and registry path inside home instead.
func helmEnv(env []string, home string) []string {
	out := make([]string, 0, len(env)+8)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "HELM_") {
			out = append(out, kv)
		}
	}
	config, cache, data := filepath.Join(home, "config"), filepath.Join(home, "cache"), filepath.Join(home, "data")
	return append(out,
		"HELM_CONFIG_HOME="+config,
		"HELM_CACHE_HOME="+cache,
		"HELM_DATA_HOME="+data,
		"HELM_REPOSITORY_CONFIG="+filepath.Join(config, "repositories.yaml"),
		"HELM_REPOSITORY_CACHE="+filepath.Join(cache, "repository"),
		"HELM_REGISTRY_CONFIG="+filepath.Join(config, "registry", "config.json"),
		"HELM_CONTENT_CACHE="+filepath.Join(cache, "content"),
		"HELM_PLUGINS="+filepath.Join(data, "plugins"),
	)
}
