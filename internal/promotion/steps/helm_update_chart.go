package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// HelmUpdateChart is the `helm-update-chart` step: it sets the versions of
// dependencies in a chart's Chart.yaml, then refreshes Chart.lock and
// charts/*.tgz as `helm dependency update` does (without charts, only the
// refresh, which resolves the version ranges of Chart.yaml).
type HelmUpdateChart struct {
	// HelmCommand is the helm binary; see HelmPath.
	HelmCommand string
	// GuardCommand is the helm guard program; see GuardExecutable.
	GuardCommand string
}

type helmUpdateChartConfig struct {
	// Path is the chart directory.
	Path string `json:"path"`
	// Charts are the dependencies to update, matched by repository and name.
	Charts []helmChartDependency `json:"charts,omitempty"`
}

type helmChartDependency struct {
	Repository string `json:"repository"`
	Name       string `json:"name"`
	Version    string `json:"version"`
}

func (c *helmUpdateChartConfig) validate() error {
	if err := required("path", c.Path); err != nil {
		return err
	}
	for i, ch := range c.Charts {
		for _, f := range []struct{ name, value string }{
			{"repository", ch.Repository}, {"name", ch.Name}, {"version", ch.Version},
		} {
			if err := required(fmt.Sprintf("charts[%d].%s", i, f.name), f.value); err != nil {
				return err
			}
		}
	}
	return nil
}

// Name implements promotion.Step.
func (HelmUpdateChart) Name() string { return "helm-update-chart" }

// Run implements promotion.Step.
func (h HelmUpdateChart) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg helmUpdateChartConfig
	if err := decode(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	root, err := sc.OpenRoot()
	if err != nil {
		return errored(err)
	}
	defer func() { _ = root.Close() }()
	if _, err := root.Resolve(cfg.Path); err != nil {
		return errored(err)
	}
	file, lockFile := filepath.Join(cfg.Path, "Chart.yaml"), filepath.Join(cfg.Path, "Chart.lock")
	src, err := root.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return failed(fmt.Errorf("no Chart.yaml in %q", cfg.Path))
	}
	if err != nil {
		return errored(fmt.Errorf("reading Chart.yaml in %q: %w", cfg.Path, err))
	}
	doc, err := parseYAMLDoc(src)
	if err != nil {
		return failed(fmt.Errorf("parsing Chart.yaml in %q: %w", cfg.Path, err))
	}
	updated := src
	if len(cfg.Charts) > 0 {
		changes, err := updateDependencies(doc, cfg.Charts)
		if err != nil {
			return failed(fmt.Errorf("updating Chart.yaml in %q: %w", cfg.Path, err))
		}
		if len(changes) > 0 {
			if updated, err = doc.bytes(); err != nil {
				return errored(err)
			}
		}
	}
	deps, err := parseChartDeps(updated)
	if err != nil {
		return failed(fmt.Errorf("parsing Chart.yaml in %q: %w", cfg.Path, err))
	}
	lock, err := root.ReadFile(lockFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return errored(fmt.Errorf("reading Chart.lock in %q: %w", cfg.Path, err))
	}
	hadLock := err == nil
	locked, err := parseChartDeps(lock)
	if err != nil {
		return failed(fmt.Errorf("parsing Chart.lock in %q: %w", cfg.Path, err))
	}
	if len(deps) == 0 && !hadLock {
		return succeeded(nil) // nothing for helm to resolve
	}
	if err := writeFileKeepMode(root, file, updated); err != nil {
		return errored(fmt.Errorf("writing Chart.yaml in %q: %w", cfg.Path, err))
	}
	// A failed update leaves the chart as it was.
	restore := func() {
		_ = writeFileKeepMode(root, file, src)
		if hadLock {
			_ = writeFileKeepMode(root, lockFile, lock)
		} else {
			_ = root.RemoveAll(lockFile)
		}
	}
	if err := h.update(ctx, sc, root, cfg.Path, deps); err != nil {
		restore()
		return errored(fmt.Errorf("updating dependencies of %q: %w", cfg.Path, err))
	}
	newLock, err := root.ReadFile(lockFile)
	var after []chartDep
	if err == nil {
		after, err = parseChartDeps(newLock)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		restore()
		return errored(fmt.Errorf("reading Chart.lock in %q after the update: %w", cfg.Path, err))
	}
	changes := lockChanges(locked, after)
	if len(changes) == 0 {
		if hadLock {
			// helm stamps a new date even when nothing changed.
			if err := writeFileKeepMode(root, lockFile, lock); err != nil {
				return errored(fmt.Errorf("writing Chart.lock in %q: %w", cfg.Path, err))
			}
		}
		return succeeded(nil)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Updated chart dependencies for %s\n", cfg.Path)
	for _, c := range changes {
		fmt.Fprintf(&b, "\n- %s", c)
	}
	return succeeded(map[string]any{"commitMessage": b.String()})
}

// update runs `helm dependency update` on the chart at path.
func (h HelmUpdateChart) update(ctx context.Context, sc *promotion.StepContext, root *workdir.Root, path string, deps []chartDep) error {
	guard, err := openHelmGuard(ctx, root, h.HelmCommand, h.GuardCommand, "")
	if err != nil {
		return err
	}
	defer guard.Close()
	d, err := newHelmDeps(ctx, sc, root, guard, path, deps)
	if err != nil {
		return err
	}
	return d.run(ctx, "update")
}

// updateDependencies sets each chart's version on the dependency with the
// same repository and name, returning "name: old -> new" per change.
func updateDependencies(doc *yamlDoc, charts []helmChartDependency) ([]string, error) {
	root := doc.root()
	if root.Kind != yamlMapping {
		return nil, errors.New("not a YAML map")
	}
	deps := mappingValue(root, "dependencies")
	if deps == nil || deps.Kind != yamlSequence {
		return nil, errors.New(`no "dependencies" list`)
	}
	var changes []string
	for _, ch := range charts {
		var found bool
		for i, dep := range deps.Content {
			if dep.Kind != yamlMapping || scalarOf(dep, "name") != ch.Name ||
				!sameRepository(scalarOf(dep, "repository"), ch.Repository) {
				continue
			}
			found = true
			old := scalarOf(dep, "version")
			if old == ch.Version {
				break
			}
			if err := setKey(doc, fmt.Sprintf("dependencies.%d.version", i), ch.Version); err != nil {
				return nil, err
			}
			changes = append(changes, fmt.Sprintf("%s: %s -> %s", ch.Name, old, ch.Version))
			break
		}
		if !found {
			return nil, fmt.Errorf("no dependency matches repository %q and name %q", ch.Repository, ch.Name)
		}
	}
	return changes, nil
}

func scalarOf(mapping *yamlNode, key string) string {
	if v := mappingValue(mapping, key); v != nil && v.Kind == yamlScalar {
		return v.Value
	}
	return ""
}

// sameRepository compares repository URLs ignoring a trailing slash.
func sameRepository(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}
