// Package metasteps holds the promotion steps that write to the project's
// own objects rather than to files or servers: set-metadata (free-form
// metadata on Stages and Freight, read back by freightMetadata() and
// stageMetadata()) and set-freight-alias. They reach only objects in the
// Promotion's own namespace.
package metasteps

import (
	"encoding/json"
	"errors"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// Steps returns the steps of this package.
func Steps() []promotion.Step { return []promotion.Step{SetMetadata{}, SetFreightAlias{}} }

var errNoClient = errors.New("step needs a Kubernetes client, and the engine has none")

func failed(err error) (promotion.Result, error) {
	if !promotion.IsTerminal(err) {
		err = promotion.Terminal(err)
	}
	return promotion.Result{Status: railyard.StepStatusFailed, Message: err.Error()}, err
}

func errored(err error) (promotion.Result, error) {
	if promotion.IsTerminal(err) {
		return failed(err)
	}
	return promotion.Result{Status: railyard.StepStatusErrored, Message: err.Error()}, err
}

// toJSON encodes each value for a status metadata map.
func toJSON(values map[string]any) (map[string]apiextensionsv1.JSON, error) {
	out := make(map[string]apiextensionsv1.JSON, len(values))
	for k, v := range values {
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("value of %q: %w", k, err)
		}
		out[k] = apiextensionsv1.JSON{Raw: raw}
	}
	return out, nil
}
