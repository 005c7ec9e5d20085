package git

import (
	"fmt"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// exprFilter is a compiled ExpressionFilter.
type exprFilter struct {
	program *vm.Program
}

// compileFilter checks the expression against the variables of the
// strategy family, so a misspelt variable fails at validation.
func compileFilter(src string, tags bool) (*exprFilter, error) {
	env := commitEnv(Commit{}, "")
	if tags {
		env = tagEnv(Commit{}, "", "")
	}
	p, err := expr.Compile(src, expr.Env(env), expr.AsBool())
	if err != nil {
		return nil, err
	}
	return &exprFilter{program: p}, nil
}

func (f *exprFilter) match(env map[string]any) (bool, error) {
	out, err := expr.Run(f.program, env)
	if err != nil {
		return false, fmt.Errorf("%w: expressionFilter: %w", ErrInvalidSubscription, err)
	}
	ok, _ := out.(bool)
	return ok, nil
}

// commitEnv is what a branch expression sees.
func commitEnv(c Commit, _ string) map[string]any {
	return map[string]any{
		"id":         c.ID,
		"commitDate": c.CreatorDate,
		"author":     c.Author,
		"committer":  c.Committer,
		"subject":    c.Subject,
	}
}

// tagEnv is what a tag expression sees.
func tagEnv(c Commit, tagger, annotation string) map[string]any {
	return map[string]any{
		"tag":         c.Tag,
		"id":          c.ID,
		"creatorDate": c.CreatorDate,
		"author":      c.Author,
		"committer":   c.Committer,
		"subject":     c.Subject,
		"tagger":      tagger,
		"annotation":  annotation,
	}
}
