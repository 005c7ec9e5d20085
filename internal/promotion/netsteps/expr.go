package netsteps

import (
	"encoding/json"
	"fmt"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// program is a compiled expression over the response; a nil program is an
// expression that was not configured.
type program struct {
	field  string
	source string
	prog   *vm.Program
}

// compile compiles an expression of field; "" gives nil. A compile error is
// terminal: only a change of configuration fixes it.
func compile(field, source string) (*program, error) {
	if source == "" {
		return nil, nil
	}
	p, err := expr.Compile(source)
	if err != nil {
		return nil, promotion.Terminalf("invalid config: field %q: %w", field, err)
	}
	return &program{field: field, source: source, prog: p}, nil
}

func (p *program) run(env map[string]any) (any, error) {
	v, err := expr.Run(p.prog, env)
	if err != nil {
		return nil, fmt.Errorf("evaluating %s %q: %w", p.field, p.source, err)
	}
	return plain(v)
}

// boolean evaluates a criterion; nil means it is not configured. A value
// that is not a boolean is an error, as in Kargo: the response may be
// shaped differently on the next attempt.
func (p *program) boolean(env map[string]any) (*bool, error) {
	if p == nil {
		return nil, nil
	}
	v, err := expr.Run(p.prog, env)
	if err != nil {
		return nil, fmt.Errorf("evaluating %s %q: %w", p.field, p.source, err)
	}
	b, ok := v.(bool)
	if !ok {
		return nil, fmt.Errorf("%s %q did not evaluate to a boolean (got %T)", p.field, p.source, v)
	}
	return &b, nil
}

// message evaluates errorExpression: anything but a non-empty string,
// evaluation errors included, gives "" and the default message.
func (p *program) message(env map[string]any) string {
	if p == nil {
		return ""
	}
	v, err := expr.Run(p.prog, env)
	if err != nil {
		return ""
	}
	s, _ := v.(string)
	return s
}

// plain turns an output value into plain JSON data (maps, slices, strings,
// float64, bools), which is what step outputs hold; values JSON cannot
// represent, such as the header function, are an error.
func plain(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int64, float64:
		return v, nil
	case int:
		return int64(x), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("value of type %T cannot be an output", v)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}
