package metasteps

import (
	"context"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// SetMetadata is Kargo's set-metadata: it sets keys of status.metadata on
// Stages and Freight of the project. Each key's value is replaced whole;
// other keys are kept.
type SetMetadata struct{}

type setMetadataConfig struct {
	Updates []metadataUpdate `json:"updates"`
}

type metadataUpdate struct {
	Kind   string         `json:"kind"`
	Name   string         `json:"name"`
	Values map[string]any `json:"values"`
}

// Name implements promotion.Step.
func (SetMetadata) Name() string { return "set-metadata" }

// ConfigType implements promotion.ConfigSchema.
func (SetMetadata) ConfigType() any { return setMetadataConfig{} }

// Run implements promotion.Step.
func (SetMetadata) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg setMetadataConfig
	if err := promotion.DecodeConfig(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	if len(cfg.Updates) == 0 {
		return failed(fmt.Errorf("invalid config: field %q needs at least one update", "updates"))
	}
	for i, u := range cfg.Updates {
		switch {
		case u.Kind != "Stage" && u.Kind != "Freight":
			return failed(fmt.Errorf("invalid config: updates[%d].kind is %q; it must be Stage or Freight", i, u.Kind))
		case u.Name == "":
			return failed(fmt.Errorf("invalid config: updates[%d].name is required", i))
		case len(u.Values) == 0:
			return failed(fmt.Errorf("invalid config: updates[%d].values needs at least one key", i))
		}
	}
	if sc.Client == nil {
		return errored(errNoClient)
	}
	for i, u := range cfg.Updates {
		values, err := toJSON(u.Values)
		if err != nil {
			return failed(fmt.Errorf("updates[%d]: %w", i, err))
		}
		if err := setMetadata(ctx, sc.Client, sc.Project, u.Kind, u.Name, values); err != nil {
			if apierrors.IsNotFound(err) {
				return failed(fmt.Errorf("updates[%d]: %s %q does not exist in project %q", i, u.Kind, u.Name, sc.Project))
			}
			return errored(fmt.Errorf("updates[%d]: setting metadata on %s %s: %w", i, u.Kind, u.Name, err))
		}
	}
	return promotion.Result{Status: railyard.StepStatusSucceeded}, nil
}

// setMetadata replaces values' keys in the object's status.metadata, again
// from a fresh copy when someone else wrote the object meanwhile.
func setMetadata(ctx context.Context, c client.Client, namespace, kind, name string, values map[string]apiextensionsv1.JSON) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var obj client.Object
		var md *map[string]apiextensionsv1.JSON
		switch kind {
		case "Stage":
			s := &railyard.Stage{}
			obj, md = s, &s.Status.Metadata
		default:
			f := &railyard.Freight{}
			obj, md = f, &f.Status.Metadata
		}
		if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, obj); err != nil {
			return err
		}
		base := obj.DeepCopyObject().(client.Object)
		if *md == nil {
			*md = map[string]apiextensionsv1.JSON{}
		}
		for k, v := range values {
			(*md)[k] = v
		}
		return c.Status().Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
	})
}
