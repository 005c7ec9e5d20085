package steps

import (
	"context"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// TOMLParse is the `toml-parse` step: its outputs are expressions evaluated
// over a TOML file. Integers are int64 while the expressions run; outputs
// are stored as JSON numbers, dates as RFC 3339 strings.
type TOMLParse struct{}

// Name implements promotion.Step.
func (TOMLParse) Name() string { return "toml-parse" }

// Run implements promotion.Step.
func (TOMLParse) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	return parseFile(sc, "TOML", func(b []byte) (any, error) {
		var doc any
		err := toml.Unmarshal(b, &doc)
		return doc, err
	})
}
