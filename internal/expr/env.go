package expr

import (
	"context"
	"fmt"
	"slices"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Env is what expressions can see. Variables become top-level names; the
// other fields back the built-in functions.
type Env struct {
	// Variables are the top-level names, such as ctx, vars, outputs and
	// task. A name that is absent is a compile error, which points users at
	// typos early.
	Variables map[string]any
	// Freight is searched by imageFrom, chartFrom and commitFrom.
	Freight railyard.FreightCollection
	// Data backs secret() and configMap(); nil makes them fail.
	Data DataLookup
	// SharedData backs sharedSecret() and sharedConfigMap(): it reads the
	// shared resources namespace (DefaultSharedNamespace unless the manager
	// is told otherwise) and must return only Secrets labelled as generic
	// credentials, as Kargo does. Nil makes them fail.
	SharedData DataLookup
	// Objects backs freightMetadata(), freightStatus() and stageMetadata();
	// nil makes them fail.
	Objects ObjectLookup
	// Steps backs success(), failure(), always() and status(); nil (outside
	// a promotion step) makes them fail.
	Steps *StepState
}

// StepState is what the status functions know of the running promotion.
type StepState struct {
	// Current is the alias of the step being evaluated. Inside a task
	// ("<task>::<step>"), status() resolves aliases within that task.
	Current string
	// Failed is true once an earlier step, not marked continueOnError,
	// ended Failed or Errored.
	Failed bool
	// Statuses maps full aliases of steps seen so far to their status.
	Statuses map[string]railyard.StepStatus
}

// DataLookup reads Secrets and ConfigMaps of the project namespace. The
// values it returns are secret: callers must never write evaluated step
// configuration into status, logs or events.
type DataLookup interface {
	// Secret returns the data of a Secret, or nil if it does not exist.
	Secret(ctx context.Context, name string) (map[string]string, error)
	// ConfigMap returns the data of a ConfigMap, or nil if it does not exist.
	ConfigMap(ctx context.Context, name string) (map[string]string, error)
}

// PromotionContext is the value of `ctx` in promotion expressions.
type PromotionContext struct {
	// UIBaseURL is the base URL of the user interface, if any.
	UIBaseURL     string
	Project       string
	Stage         string
	Promotion     string
	TargetFreight railyard.FreightReference
	// FreightAlias is the human-friendly alias of the target Freight.
	FreightAlias string
	// Actor is who asked for the promotion.
	Actor string
	// Rollback is true when the Promotion is marked as a rollback.
	Rollback bool
	// StepAlias is the alias of the step being evaluated, if any.
	StepAlias string
}

// Map renders c with the keys Kargo expressions use.
func (c PromotionContext) Map() map[string]any {
	m := map[string]any{
		"uiBaseUrl": c.UIBaseURL,
		"project":   c.Project,
		"stage":     c.Stage,
		"promotion": c.Promotion,
		"targetFreight": map[string]any{
			"name":  c.TargetFreight.Name,
			"alias": c.FreightAlias,
			"origin": map[string]any{
				"kind": string(c.TargetFreight.Origin.Kind),
				"name": c.TargetFreight.Origin.Name,
			},
		},
		"meta": map[string]any{
			"promotion": map[string]any{"actor": c.Actor, "rollback": c.Rollback},
			"step":      map[string]any{"alias": c.StepAlias},
		},
	}
	return m
}

// evaluator compiles and runs expressions for one Evaluate call; it caches
// Secret and ConfigMap lookups so a config naming one Secret many times reads
// it once.
type evaluator struct {
	ctx     context.Context
	env     *Env
	vars    map[string]any
	options []expr.Option
	cache   map[string]map[string]any
}

func newEvaluator(ctx context.Context, env *Env) *evaluator {
	if env == nil {
		env = &Env{}
	}
	vars := make(map[string]any, len(env.Variables))
	for k, v := range env.Variables {
		vars[k] = v
	}
	ev := &evaluator{ctx: ctx, env: env, vars: vars, cache: map[string]map[string]any{}}
	ev.options = append([]expr.Option{expr.Env(vars)}, ev.functions()...)
	return ev
}

// run compiles and runs one expression. Panics inside expr-lang or inside a
// function become errors naming the expression.
func (ev *evaluator) run(src string) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: %q: %v", ErrExpression, src, r)
		}
	}()
	var program *vm.Program
	program, err = expr.Compile(src, slices.Concat(ev.options, strictMembers())...)
	if err != nil {
		return nil, fmt.Errorf("%w: %q does not compile: %w", ErrExpression, src, err)
	}
	out, err = expr.Run(program, ev.vars)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrExpression, src, err)
	}
	return out, nil
}
