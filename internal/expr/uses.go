package expr

import (
	"fmt"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// UsesFunction reports whether any expression in the template string s calls
// one of the named functions. The engine uses it to decide whether a step's
// `if` opts out of "skip after a failure" with always() or failure().
func UsesFunction(s string, names ...string) (bool, error) {
	segs, _, err := parseTemplate(s)
	if err != nil {
		return false, err
	}
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	for _, seg := range segs {
		if !seg.isExpr {
			continue
		}
		tree, err := parser.Parse(seg.text)
		if err != nil {
			return false, fmt.Errorf("%w: %q does not compile: %w", ErrExpression, seg.text, err)
		}
		v := &callFinder{want: want}
		ast.Walk(&tree.Node, v)
		if v.found {
			return true, nil
		}
	}
	return false, nil
}

type callFinder struct {
	want  map[string]bool
	found bool
}

func (f *callFinder) Visit(node *ast.Node) {
	if call, ok := (*node).(*ast.CallNode); ok {
		if id, ok := call.Callee.(*ast.IdentifierNode); ok && f.want[id.Value] {
			f.found = true
		}
	}
}
