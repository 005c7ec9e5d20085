package cli

import (
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/railyard-dev/railyard/internal/expr"
)

// exprFunctions are the functions Railyard's expressions may call besides
// expr-lang's builtins (which the parser turns into BuiltinNodes).
var exprFunctions = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, n := range expr.FunctionNames() {
		m[n] = true
	}
	return m
})

// exprDelimiters are the two template syntaxes internal/expr evaluates.
var exprDelimiters = [...]struct{ open, close string }{{"${{", "}}"}, {"${%", "%}"}}

// checkExpressions reports, in every string value under n (keys are never
// evaluated), calls to functions internal/expr does not have and
// expressions that do not parse. where names n for the message.
func checkExpressions(n *yaml.Node, where string, report func(int, string, ...any)) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkExpressions(n.Content[i+1], where+"."+n.Content[i].Value, report)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			checkExpressions(c, where+"["+strconv.Itoa(i)+"]", report)
		}
	case yaml.ScalarNode:
		for _, e := range templateExpressions(n.Value) {
			line := scalarLine(n, e.offset)
			tree, err := parser.Parse(e.text)
			if err != nil {
				report(line, "%s: expression %q does not parse: %v", where, e.text, firstLine(err.Error()))
				continue
			}
			for _, fn := range unknownCalls(tree.Node) {
				report(line, "%s: expression function %s() is not supported by Railyard", where, fn)
			}
		}
	}
}

// templateExpression is the body of one ${{ }} or ${% %} and where it
// starts in the string.
type templateExpression struct {
	text   string
	offset int
}

// templateExpressions splits s as internal/expr does; an unterminated
// expression is ignored here (the Promotion's own check names it).
func templateExpressions(s string) []templateExpression {
	var out []templateExpression
	pos := 0
	for {
		start, d := -1, 0
		for i, delim := range exprDelimiters {
			if j := strings.Index(s[pos:], delim.open); j >= 0 && (start < 0 || j < start) {
				start, d = j, i
			}
		}
		if start < 0 {
			return out
		}
		start += pos
		body := start + len(exprDelimiters[d].open)
		end := strings.Index(s[body:], exprDelimiters[d].close)
		if end < 0 {
			return out
		}
		if text := strings.TrimSpace(s[body : body+end]); text != "" {
			out = append(out, templateExpression{text, start})
		}
		pos = body + end + len(exprDelimiters[d].close)
	}
}

// scalarLine is the input line of offset in a scalar's value: exact for
// literal blocks (|), whose lines are the value's lines; the scalar's first
// line otherwise.
func scalarLine(n *yaml.Node, offset int) int {
	if n.Style&yaml.LiteralStyle == 0 {
		return n.Line
	}
	return n.Line + 1 + strings.Count(n.Value[:offset], "\n")
}

// callCollector gathers the names of plain function calls, f(...), that are
// not Railyard functions. Methods (a.b()) and builtins are other nodes.
type callCollector struct{ names map[string]bool }

func (c *callCollector) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok {
		return
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); ok && !exprFunctions()[id.Value] {
		c.names[id.Value] = true
	}
}

func unknownCalls(root ast.Node) []string {
	c := &callCollector{names: map[string]bool{}}
	ast.Walk(&root, c)
	names := make([]string, 0, len(c.names))
	for n := range c.names {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
