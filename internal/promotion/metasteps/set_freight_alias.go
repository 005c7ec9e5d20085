package metasteps

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// SetFreightAlias is Kargo's set-freight-alias: it gives a Freight of the
// project a new alias, refused when another Freight has it.
type SetFreightAlias struct{}

type setFreightAliasConfig struct {
	Name  string `json:"name"`
	Alias string `json:"alias"`
}

// Name implements promotion.Step.
func (SetFreightAlias) Name() string { return "set-freight-alias" }

// ConfigType implements promotion.ConfigSchema.
func (SetFreightAlias) ConfigType() any { return setFreightAliasConfig{} }

// Run implements promotion.Step.
func (SetFreightAlias) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg setFreightAliasConfig
	if err := promotion.DecodeConfig(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	switch {
	case cfg.Name == "":
		return failed(fmt.Errorf("invalid config: field %q is required", "name"))
	case cfg.Alias == "":
		return failed(fmt.Errorf("invalid config: field %q is required", "alias"))
	}
	if errs := validation.IsValidLabelValue(cfg.Alias); len(errs) > 0 {
		return failed(fmt.Errorf("invalid config: alias %q: %s", cfg.Alias, errs[0]))
	}
	if sc.Client == nil {
		return errored(errNoClient)
	}
	f := &railyard.Freight{}
	if err := sc.Client.Get(ctx, client.ObjectKey{Namespace: sc.Project, Name: cfg.Name}, f); err != nil {
		if apierrors.IsNotFound(err) {
			return failed(fmt.Errorf("no Freight %q in project %q", cfg.Name, sc.Project))
		}
		return errored(fmt.Errorf("getting Freight %s: %w", cfg.Name, err))
	}
	// The one rule for whose alias is whose (internal/freight).
	if _, err := freight.ChooseAlias(ctx, sc.Client, f, cfg.Alias); err != nil {
		var taken *freight.AliasTakenError
		if errors.As(err, &taken) {
			return failed(fmt.Errorf("alias %q is already used by Freight %s", cfg.Alias, taken.Freight))
		}
		return errored(err)
	}
	base := f.DeepCopy()
	f.Alias = cfg.Alias
	if f.Labels == nil {
		f.Labels = map[string]string{}
	}
	f.Labels[railyard.LabelAlias] = cfg.Alias
	if _, ok := f.Labels[railyard.LabelKargoAlias]; ok {
		f.Labels[railyard.LabelKargoAlias] = cfg.Alias
	}
	if err := sc.Client.Patch(ctx, f, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return errored(fmt.Errorf("setting the alias of Freight %s: %w", cfg.Name, err))
	}
	return promotion.Result{Status: railyard.StepStatusSucceeded}, nil
}
