package steps

import (
	"context"

	"sigs.k8s.io/yaml"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// YAMLParse is the `yaml-parse` step: its outputs are expressions evaluated
// over a YAML file. The file is read as Kargo reads it (sigs.k8s.io/yaml,
// first document), so numbers are float64 and keys strings.
type YAMLParse struct{}

// Name implements promotion.Step.
func (YAMLParse) Name() string { return "yaml-parse" }

// Run implements promotion.Step.
func (YAMLParse) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	return parseFile(sc, "YAML", func(b []byte) (any, error) {
		var doc any
		err := yaml.Unmarshal(b, &doc)
		return doc, err
	})
}
