package expr

import (
	"fmt"
	"reflect"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// memberFunc replaces member accesses that must find their key. Its name
// cannot clash with a user's: expressions cannot name identifiers this way
// by accident, and the function is not documented.
const memberFunc = "__railyardMember"

// strictMembers returns the options that make a.b and a["b"] on a map
// without key b an error, where expr-lang (and Kargo) yield nil: a typo such
// as ${{ vars.replica }} would otherwise write "null" or an empty value into
// a manifest. Accesses that ask for nil keep it: a?.b and the x.a of
// x.a?.b, the left side of ??, and an operand of == nil or != nil.
func strictMembers() []expr.Option {
	m := &markLenient{lenient: map[*ast.MemberNode]bool{}, names: map[*ast.MemberNode]string{}}
	return []expr.Option{
		expr.Function(memberFunc, member),
		expr.Patch(m),
		expr.Patch(&patchMembers{m}),
	}
}

// markLenient finds the accesses that keep nil for a missing key, and
// records the source of each accessed object for messages. It runs over the
// whole tree before patchMembers, since ast.Walk visits children before
// their parent.
type markLenient struct {
	lenient map[*ast.MemberNode]bool
	names   map[*ast.MemberNode]string
}

func (m *markLenient) Visit(node *ast.Node) {
	if n, ok := (*node).(*ast.MemberNode); ok {
		m.names[n] = n.Node.String()
	}
	if n, ok := (*node).(*ast.MemberNode); ok && n.Optional {
		// In outputs.x?.y, outputs.x may be absent.
		if inner, ok := n.Node.(*ast.MemberNode); ok {
			m.lenient[inner] = true
		}
		return
	}
	b, ok := (*node).(*ast.BinaryNode)
	if !ok {
		return
	}
	switch b.Operator {
	case "??":
		m.spine(b.Left)
	case "==", "!=":
		if _, isNil := b.Right.(*ast.NilNode); isNil {
			m.spine(b.Left)
		}
		if _, isNil := b.Left.(*ast.NilNode); isNil {
			m.spine(b.Right)
		}
	}
}

// spine marks the chain of accesses a.b.c down to its root.
func (m *markLenient) spine(n ast.Node) {
	for {
		switch t := n.(type) {
		case *ast.ChainNode:
			n = t.Node
		case *ast.MemberNode:
			m.lenient[t] = true
			n = t.Node
		default:
			return
		}
	}
}

type patchMembers struct{ *markLenient }

func (p *patchMembers) Visit(node *ast.Node) {
	n, ok := (*node).(*ast.MemberNode)
	if !ok || n.Optional || n.Method || p.lenient[n] {
		return
	}
	ast.Patch(node, &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: memberFunc},
		Arguments: []ast.Node{n.Node, n.Property, &ast.StringNode{Value: p.names[n]}},
	})
}

// member reads key from obj as expr-lang would, but refuses a key a map
// does not have.
func member(args ...any) (any, error) {
	if len(args) != 3 {
		return nil, fmt.Errorf("%s takes three arguments", memberFunc)
	}
	obj, key := args[0], args[1]
	if v := reflect.ValueOf(obj); v.Kind() == reflect.Map {
		k := reflect.ValueOf(key)
		if k.IsValid() && k.Type().AssignableTo(v.Type().Key()) && !v.MapIndex(k).IsValid() {
			return nil, fmt.Errorf("%v has no key %q (write %v?.%v or add ?? default if it may be absent)", args[2], fmt.Sprint(key), args[2], key)
		}
	}
	if obj == nil {
		return nil, fmt.Errorf("cannot read %v of %v: it is nil (write %v?.%v if it may be absent)", key, args[2], args[2], key)
	}
	return runtime.Fetch(obj, key), nil
}
