package steps

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/expr-lang/expr"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// parseConfig is the configuration of yaml-parse, json-parse and
// toml-parse.
type parseConfig struct {
	// Path is the file to parse.
	Path string `json:"path"`
	// Outputs are evaluated against the parsed document.
	Outputs []parseOutput `json:"outputs"`
}

type parseOutput struct {
	// Name is the output's name under the step's alias.
	Name string `json:"name"`
	// FromExpression is an expr-lang expression without ${{ }}: the step
	// evaluates it with the document's top-level keys as variables.
	FromExpression string `json:"fromExpression"`
}

func (c *parseConfig) validate() error {
	if err := required("path", c.Path); err != nil {
		return err
	}
	if len(c.Outputs) == 0 {
		return errors.New(`field "outputs" must list at least one output`)
	}
	for i, o := range c.Outputs {
		if err := required(fmt.Sprintf("outputs[%d].name", i), o.Name); err != nil {
			return err
		}
		if err := required(fmt.Sprintf("outputs[%d].fromExpression", i), o.FromExpression); err != nil {
			return err
		}
	}
	return nil
}

// parseFile is the run of the three parse steps: read cfg.Path, decode it
// with unmarshal (kind names the format in messages) and evaluate the
// outputs.
func parseFile(sc *promotion.StepContext, kind string, unmarshal func([]byte) (any, error)) (promotion.Result, error) {
	var cfg parseConfig
	if err := decode(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	root, err := sc.OpenRoot()
	if err != nil {
		return errored(err)
	}
	defer func() { _ = root.Close() }()
	src, err := root.ReadFile(cfg.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return failed(fmt.Errorf("file %q does not exist", cfg.Path))
	}
	if err != nil {
		return errored(fmt.Errorf("reading %q: %w", cfg.Path, err))
	}
	if len(src) == 0 {
		return failed(fmt.Errorf("%s file %q is empty", kind, cfg.Path))
	}
	doc, err := unmarshal(src)
	if err != nil {
		return failed(fmt.Errorf("parsing %s file %q: %w", kind, cfg.Path, err))
	}
	out := make(map[string]any, len(cfg.Outputs))
	for i, o := range cfg.Outputs {
		v, err := evalOnDocument(o.FromExpression, doc)
		if err != nil {
			return failed(fmt.Errorf("outputs[%d] (%q): %w", i, o.Name, err))
		}
		out[o.Name] = v
	}
	return succeeded(out)
}

// evalOnDocument evaluates expression with the document as its environment,
// as Kargo does: the document's top-level keys are the variables, a name the
// document lacks is nil, and only expr-lang's built-in functions exist. The
// result is returned as JSON would carry it, since step outputs are stored
// as JSON: a value JSON cannot hold (a function, NaN) fails here rather
// than when the Promotion's state is saved.
func evalOnDocument(expression string, doc any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("expression %q: %v", expression, r)
		}
	}()
	env, ok := doc.(map[string]any)
	if !ok {
		// expr-lang needs a map; a top-level list or scalar has no keys.
		return nil, fmt.Errorf("expression %q: the document is a %s, not a map of keys", expression, kindOf(doc))
	}
	program, err := expr.Compile(expression)
	if err != nil {
		return nil, fmt.Errorf("expression %q does not compile: %w", expression, err)
	}
	v, err := expr.Run(program, env)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", expression, err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("expression %q yields a %T, which an output cannot hold: %w", expression, v, err)
	}
	var norm any
	if err := json.Unmarshal(raw, &norm); err != nil {
		return nil, fmt.Errorf("expression %q: %w", expression, err)
	}
	return norm, nil
}

func kindOf(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case nil:
		return "null value"
	default:
		return "scalar value"
	}
}
