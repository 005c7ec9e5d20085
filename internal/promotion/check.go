package promotion

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/expr"
)

// Check refuses steps that could never run, before any step runs: a `uses:`
// no step answers to, or a var, `if:` or configuration whose expressions do
// not parse. Without it an unknown step after git-push is found only once
// the push has happened. steps must be inflated (see InflateSteps). The
// error is a TerminalError wrapping ErrInvalidSteps.
func (r *Registry) Check(vars []railyard.ExpressionVariable, steps []railyard.PromotionStep) error {
	for _, v := range vars {
		if err := expr.CheckString(v.Value, "vars."+v.Name); err != nil {
			return Terminalf("%w: %w", ErrInvalidSteps, err)
		}
	}
	for i, s := range steps {
		alias := s.GetAlias(i)
		if s.Uses == "" {
			return Terminalf("%w: step %q sets no uses", ErrInvalidSteps, alias)
		}
		if _, ok := r.Lookup(s.Uses); !ok {
			return Terminalf("%w: step %q uses %q, which is not a known step (known: %s)", ErrInvalidSteps, alias, s.Uses, strings.Join(r.Names(), ", "))
		}
		if err := checkStep(s, alias); err != nil {
			return Terminalf("%w: %w", ErrInvalidSteps, err)
		}
		if err := r.checkConfig(s, alias); err != nil {
			return Terminalf("%w: %w", ErrInvalidSteps, err)
		}
	}
	return nil
}

func checkStep(s railyard.PromotionStep, alias string) error {
	prefix := "step " + alias
	if err := expr.CheckString(s.If, prefix+" if"); err != nil {
		return err
	}
	for _, v := range s.Vars {
		if err := expr.CheckString(v.Value, prefix+" vars."+v.Name); err != nil {
			return err
		}
	}
	if s.Config == nil || len(s.Config.Raw) == 0 {
		return nil
	}
	var cfg any
	if err := json.Unmarshal(s.Config.Raw, &cfg); err != nil {
		return fmt.Errorf("%s config: %w", prefix, err)
	}
	return expr.Check(cfg, prefix+" config")
}

// checkConfig refuses configuration fields the step does not know.
func (r *Registry) checkConfig(s railyard.PromotionStep, alias string) error {
	step, _ := r.Lookup(s.Uses)
	schema, ok := step.(ConfigSchema)
	if !ok || s.Config == nil || len(s.Config.Raw) == 0 {
		return nil
	}
	var cfg any
	if err := json.Unmarshal(s.Config.Raw, &cfg); err != nil {
		return fmt.Errorf("step %s config: %w", alias, err)
	}
	if err := checkFields(cfg, reflect.TypeOf(schema.ConfigType()), ""); err != nil {
		return fmt.Errorf("step %s (%s) config: %w", alias, s.Uses, err)
	}
	v, ok := step.(ConfigValidator)
	m, isMap := cfg.(map[string]any)
	if !ok || !isMap || strings.Contains(string(s.Config.Raw), "${{") || strings.Contains(string(s.Config.Raw), "${%") {
		return nil
	}
	if err := v.ValidateConfig(m); err != nil {
		return fmt.Errorf("step %s (%s) config: %s", alias, s.Uses, strings.TrimPrefix(err.Error(), "invalid config: "))
	}
	return nil
}
