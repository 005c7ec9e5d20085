// Package helmguard is the program every helm run of a promotion step goes
// through. Helm runs as a separate program, and kustomize's Helm generator
// starts it with paths of its own making: `helm pull --untardir <chartHome>`
// writes wherever a kustomization's helmGlobals.chartHome says, `helm
// template <chartHome>/<name>` reads from there, and HELM_CONFIG_HOME comes
// from helmGlobals.configHome. None of that passes through the work
// directory's confinement (package workdir), and configuration can be
// assembled by kustomize itself (generators, patches), so checking
// kustomization files is not enough. Instead the steps start the guard in
// helm's place. It checks the command line helm is about to act on, points
// every helm home and repository path into the work directory, runs helm
// (or serves a pull from the chart cache), and checks what `helm pull`
// unpacked.
//
// The guard is started once or more per chart inflation, so its start-up
// time is part of every kustomize build: this package and its imports stay
// free of Kubernetes client libraries, and cmd/railyard-helm-guard is a
// program of its own. A manager without that program next to it starts
// itself under the guard's name instead (package steps).
package helmguard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/railyard-dev/railyard/internal/workdir"
)

// Name is the program name the guard is started under: a link of this name
// in the guard's private directory, which also holds ConfigFile.
const Name = "railyard-helm-guard"

const (
	// ConfigFile, in the guard's directory, is its Config as JSON.
	ConfigFile = "guard.json"
	// RefusalFile, in the guard's directory, says what the guard refused.
	RefusalFile = "refused"
	// ExitRefused is the exit status when the guard refuses to run helm.
	ExitRefused = 126
	// ExitNoHelm is the exit status when helm cannot be started, as a
	// shell's for a command not found.
	ExitNoHelm = 127
	// ExitTimedOut is the exit status when helm was killed at the
	// deadline, as timeout(1)'s.
	ExitTimedOut = 124
)

// Config is what a guard learns from the step that started it.
type Config struct {
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
	// manager: kustomize asks before every chart, and answering it here
	// saves starting helm once per inflation.
	VersionShort string `json:"versionShort,omitempty"`
	// ChartCache, when set, is the directory of the chart cache (see
	// chartcache.go), outside every work directory.
	ChartCache string `json:"chartCache,omitempty"`
	// TemplateCache, when set, is the directory of the cache of `helm
	// template` outputs (see templatecache.go), outside every work
	// directory.
	TemplateCache string `json:"templateCache,omitempty"`
}

// Main is the guard process: dir holds its configuration (ConfigFile) and
// args are helm's. It returns helm's exit status, or ExitRefused when it
// refuses to run helm.
func Main(dir string, args []string) int {
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	var cfg Config
	if err == nil {
		err = json.Unmarshal(b, &cfg)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "helm guard: reading configuration: %v\n", err)
		return ExitRefused
	}
	refuse := func(err error) int {
		msg := strings.ReplaceAll(err.Error(), workdir.ErrPathEscapes.Error()+": ", "")
		_ = os.WriteFile(filepath.Join(dir, RefusalFile), []byte(msg+"\n"), 0o600)
		fmt.Fprintf(os.Stderr, "helm guard: %v\n", err)
		return ExitRefused
	}
	if cfg.VersionShort != "" && len(args) == 2 && args[0] == "version" && args[1] == "--short" {
		fmt.Println(cfg.VersionShort)
		return 0
	}
	root, err := workdir.OpenRoot(cfg.Root)
	if err != nil {
		fmt.Fprintf(os.Stderr, "helm guard: %v\n", err)
		return ExitRefused
	}
	defer func() { _ = root.Close() }()
	inv, err := checkHelmArgs(root, args)
	if err != nil {
		return refuse(err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), cfg.Deadline)
	defer cancel()
	tmpl, tkey := cfg.templateEntry(args)
	if tkey != "" {
		if out, ok := tmpl.load(tkey); ok {
			_, err := os.Stdout.Write(out)
			if err != nil {
				return ExitRefused
			}
			return 0
		}
	}
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
	var printed bytes.Buffer
	if tkey != "" {
		cmd.Stdout = io.MultiWriter(os.Stdout, &printed)
	}
	cmd.Env = Env(os.Environ(), cfg.Home)
	cmd.SysProcAttr = helmSysProcAttr()
	runErr := cmd.Run()
	if ctx.Err() != nil {
		fmt.Fprintf(os.Stderr, "helm guard: helm %s did not finish in time (a repository or registry that does not answer?); stopped\n", args[0])
		return ExitTimedOut
	}
	// Whatever helm unpacked must not hold a link out, even on failure.
	for _, d := range inv.unpacked {
		if err := root.CheckTree(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return refuse(fmt.Errorf("after helm %s: %w", args[0], err))
		}
	}
	if runErr == nil && tkey != "" {
		_ = tmpl.store(tkey, printed.Bytes())
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
		return ExitNoHelm
	}
	return 0
}

// Env is env without any HELM_ setting of the caller (kustomize passes
// helmGlobals.configHome, the manager may have its own), with every helm
// home, repository and registry path inside home instead.
func Env(env []string, home string) []string {
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

// templateEntry is the template cache and the key of args in it, or "" when
// args is not a `helm template` whose output may be cached.
func (cfg Config) templateEntry(args []string) (templateCache, string) {
	if cfg.TemplateCache == "" {
		return templateCache{}, ""
	}
	cwd, err := os.Getwd()
	if err != nil {
		return templateCache{}, ""
	}
	key, ok := templateKey(cwd, cfg.VersionShort, args)
	if !ok {
		return templateCache{}, ""
	}
	return templateCache{dir: cfg.TemplateCache}, key
}
