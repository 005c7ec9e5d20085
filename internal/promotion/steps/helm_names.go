package steps

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// checkHelmChartNames refuses a kustomization or generator configuration
// whose Helm chart name is not a plain name. Kustomize's Helm generator
// writes its copy of the values to <its temp dir>/<name>-kustomize-values.yaml
// itself, before helm (and so the guard) sees anything: a name such as
// "../../x" would write outside the work directory. Kustomize reads every
// kustomization and generator file through rootedFS, which calls this.
func checkHelmChartNames(data []byte) error {
	if !bytes.Contains(data, []byte("helmChart")) && !bytes.Contains(data, []byte("HelmChartInflationGenerator")) {
		return nil // fast path: nothing of the Helm generator in it
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc struct {
			Kind       string `yaml:"kind"`
			Name       string `yaml:"name"`
			HelmCharts []struct {
				Name string `yaml:"name"`
			} `yaml:"helmCharts"`
			Legacy []struct {
				ChartName string `yaml:"chartName"`
			} `yaml:"helmChartInflationGenerator"`
		}
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil // kustomize reports what it cannot parse
		}
		var names []string
		for _, c := range doc.HelmCharts {
			names = append(names, c.Name)
		}
		for _, c := range doc.Legacy {
			names = append(names, c.ChartName)
		}
		if doc.Kind == "HelmChartInflationGenerator" {
			names = append(names, doc.Name)
		}
		for _, n := range names {
			if n == "." || n == ".." || strings.ContainsAny(n, `/\`) {
				return promotion.Terminal(fmt.Errorf("%w: helm chart name %q is not a plain name", workdir.ErrPathEscapes, n))
			}
		}
	}
}
