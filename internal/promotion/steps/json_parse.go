package steps

import (
	"context"
	"encoding/json"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// JSONParse is the `json-parse` step: its outputs are expressions evaluated
// over a JSON file.
type JSONParse struct{}

// Name implements promotion.Step.
func (JSONParse) Name() string { return "json-parse" }

// Run implements promotion.Step.
func (JSONParse) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	return parseFile(sc, "JSON", func(b []byte) (any, error) {
		var doc any
		err := json.Unmarshal(b, &doc)
		return doc, err
	})
}
