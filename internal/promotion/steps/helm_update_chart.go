package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// HelmUpdateChart is the `helm-update-chart` step: it sets the versions of
// dependencies in a chart's Chart.yaml.
type HelmUpdateChart struct{}

type helmUpdateChartConfig struct {
	// Path is the chart directory.
	Path string `json:"path"`
	// Charts are the dependencies to update, matched by repository and name.
	Charts []helmChartDependency `json:"charts"`
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
	if len(c.Charts) == 0 {
		return errors.New(`field "charts" must list at least one chart`)
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
func (HelmUpdateChart) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg helmUpdateChartConfig
	if err := decode(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	root, err := sc.OpenRoot()
	if err != nil {
		return errored(err)
	}
	defer func() { _ = root.Close() }()
	file := filepath.Join(cfg.Path, "Chart.yaml")
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
	changes, err := updateDependencies(doc, cfg.Charts)
	if err != nil {
		return failed(fmt.Errorf("updating Chart.yaml in %q: %w", cfg.Path, err))
	}
	if len(changes) == 0 {
		return succeeded(nil)
	}
	out, err := doc.bytes()
	if err != nil {
		return errored(err)
	}
	if err := writeFileKeepMode(root, file, out); err != nil {
		return errored(fmt.Errorf("writing Chart.yaml in %q: %w", cfg.Path, err))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Updated chart dependencies for %s\n", cfg.Path)
	for _, c := range changes {
		fmt.Fprintf(&b, "\n- %s", c)
	}
	return succeeded(map[string]any{"commitMessage": b.String()})
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
