package expr

import (
	"fmt"
	"sort"
	"strings"

	"github.com/expr-lang/expr"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// functions returns the built-in functions, bound to this evaluation.
func (ev *evaluator) functions() []expr.Option {
	table := ev.functionTable()
	opts := make([]expr.Option, 0, len(table))
	for _, name := range sortedNames(table) {
		opts = append(opts, expr.Function(name, table[name]))
	}
	return opts
}

type function = func(args ...any) (any, error)

// functionTable maps each function's name to its implementation.
func (ev *evaluator) functionTable() map[string]function {
	return map[string]function{
		"warehouse":       ev.warehouse,
		"imageFrom":       ev.imageFrom,
		"chartFrom":       ev.chartFrom,
		"commitFrom":      ev.commitFrom,
		"artifactFrom":    artifactFrom,
		"secret":          ev.lookup("secret"),
		"configMap":       ev.lookup("configMap"),
		"sharedSecret":    ev.lookup("sharedSecret"),
		"sharedConfigMap": ev.lookup("sharedConfigMap"),
		"freightMetadata": ev.objectStatus("freightMetadata"),
		"freightStatus":   ev.objectStatus("freightStatus"),
		"stageMetadata":   ev.objectStatus("stageMetadata"),
		"success":         ev.success,
		"failure":         ev.failure,
		"always":          ev.always,
		"status":          ev.status,
		"semverParse":     semverParse,
		"semverDiff":      semverDiff,
		"quote":           quote,
		"unsafeQuote":     unsafeQuote,
		"asJSON":          asJSON,
		"asYAML":          asYAML,
	}
}

// FunctionNames lists the functions expressions may call, sorted; the
// Kargo compatibility table is checked against it.
func FunctionNames() []string {
	return sortedNames((&evaluator{}).functionTable())
}

func sortedNames(table map[string]function) []string {
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func stringArg(fn string, args []any, i int, what string) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", fmt.Errorf("%s: %s must be a string, not %T", fn, what, args[i])
	}
	return s, nil
}

func (ev *evaluator) warehouse(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("warehouse(name) takes one argument, got %d", len(args))
	}
	name, err := stringArg("warehouse", args, 0, "name")
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, fmt.Errorf("warehouse: name must not be empty")
	}
	return railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: name}, nil
}

// toOrigin accepts what warehouse() returns, or a map {kind, name} read from
// vars or outputs.
func toOrigin(fn string, v any) (railyard.FreightOrigin, error) {
	switch o := v.(type) {
	case railyard.FreightOrigin:
		return o, nil
	case *railyard.FreightOrigin:
		if o != nil {
			return *o, nil
		}
	case map[string]any:
		name, _ := o["name"].(string)
		kind, _ := o["kind"].(string)
		if kind == "" {
			kind = string(railyard.FreightOriginKindWarehouse)
		}
		if name != "" {
			return railyard.FreightOrigin{Kind: railyard.FreightOriginKind(kind), Name: name}, nil
		}
	}
	return railyard.FreightOrigin{}, fmt.Errorf("%s: origin must come from warehouse(name), not %T", fn, v)
}

// sameRepo compares repository URLs loosely, as users write them with and
// without ".git" or a trailing slash.
func sameRepo(a, b string) bool {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		s = strings.TrimSuffix(s, "/")
		return strings.TrimSuffix(s, ".git")
	}
	return norm(a) == norm(b)
}

// findInFreight searches the collection for the single origin whose Freight
// has an artifact matching match. Without an origin, two origins providing
// the repository is an error: the user must say which one.
func findInFreight[T any](ev *evaluator, fn, repoURL string, origin *railyard.FreightOrigin, match func(railyard.FreightReference) *T) (any, error) {
	if origin != nil {
		ref, ok := ev.env.Freight.Freight[origin.String()]
		if !ok {
			return nil, nil
		}
		if found := match(ref); found != nil {
			return found, nil
		}
		return nil, nil
	}
	var found *T
	var origins []string
	for key, ref := range ev.env.Freight.Freight {
		if m := match(ref); m != nil {
			found = m
			origins = append(origins, key)
		}
	}
	switch len(origins) {
	case 0:
		return nil, nil
	case 1:
		return found, nil
	default:
		return nil, fmt.Errorf("%s(%q): more than one origin provides it (%s); pass an origin, e.g. %s(%q, warehouse(%q))",
			fn, repoURL, strings.Join(sortedCopy(origins), ", "), fn, repoURL, strings.TrimPrefix(sortedCopy(origins)[0], "Warehouse/"))
	}
}

// imageFrom, commitFrom and chartFrom read the Freight collection, or, in
// freightCreationCriteria (see WithDiscovered), the discovered artifacts.
func (ev *evaluator) imageFrom(args ...any) (any, error) {
	repoURL, origin, err := repoAndOrigin("imageFrom", args)
	if err != nil {
		return nil, err
	}
	if d := discoveredIn(ev.ctx); d != nil {
		return d.image(repoURL, origin), nil
	}
	return findInFreight(ev, "imageFrom", repoURL, origin, func(ref railyard.FreightReference) *railyard.Image {
		for i := range ref.Images {
			if sameImage(ref.Images[i].RepoURL, repoURL) {
				img := ref.Images[i]
				return &img
			}
		}
		return nil
	})
}

func (ev *evaluator) commitFrom(args ...any) (any, error) {
	repoURL, origin, err := repoAndOrigin("commitFrom", args)
	if err != nil {
		return nil, err
	}
	if d := discoveredIn(ev.ctx); d != nil {
		return d.commit(repoURL, origin), nil
	}
	return findInFreight(ev, "commitFrom", repoURL, origin, func(ref railyard.FreightReference) *railyard.GitCommit {
		for i := range ref.Commits {
			if sameGitRepo(ref.Commits[i].RepoURL, repoURL) {
				c := ref.Commits[i]
				return &c
			}
		}
		return nil
	})
}

// chartFrom(repoURL[, name][, origin]).
func (ev *evaluator) chartFrom(args ...any) (any, error) {
	if len(args) < 1 || len(args) > 3 {
		return nil, fmt.Errorf("chartFrom(repoURL[, name][, origin]) takes one to three arguments, got %d", len(args))
	}
	repoURL, err := stringArg("chartFrom", args, 0, "repoURL")
	if err != nil {
		return nil, err
	}
	var name string
	var origin *railyard.FreightOrigin
	for i := 1; i < len(args); i++ {
		if s, ok := args[i].(string); ok && i == 1 {
			name = s
			continue
		}
		o, err := toOrigin("chartFrom", args[i])
		if err != nil {
			return nil, err
		}
		origin = &o
	}
	if d := discoveredIn(ev.ctx); d != nil {
		return d.chart(repoURL, name, origin), nil
	}
	return findInFreight(ev, "chartFrom", repoURL, origin, func(ref railyard.FreightReference) *railyard.Chart {
		for i := range ref.Charts {
			c := ref.Charts[i]
			if sameChartRepo(c.RepoURL, repoURL) && (name == "" || c.Name == name) {
				return &c
			}
		}
		return nil
	})
}

func repoAndOrigin(fn string, args []any) (string, *railyard.FreightOrigin, error) {
	if len(args) < 1 || len(args) > 2 {
		return "", nil, fmt.Errorf("%s(repoURL[, origin]) takes one or two arguments, got %d", fn, len(args))
	}
	repoURL, err := stringArg(fn, args, 0, "repoURL")
	if err != nil {
		return "", nil, err
	}
	if len(args) == 1 {
		return repoURL, nil, nil
	}
	o, err := toOrigin(fn, args[1])
	if err != nil {
		return "", nil, err
	}
	return repoURL, &o, nil
}

// lookup returns secret(), configMap(), sharedSecret() or sharedConfigMap()
// as map[string]any. As in Kargo, a missing object is an empty map; reading
// a key it lacks is then an error unless written with ?? or ?. .
func (ev *evaluator) lookup(fn string) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		if len(args) != 1 {
			return nil, fmt.Errorf("%s(name) takes one argument, got %d", fn, len(args))
		}
		name, err := stringArg(fn, args, 0, "name")
		if err != nil {
			return nil, err
		}
		source := ev.env.Data
		if strings.HasPrefix(fn, "shared") {
			source = ev.env.SharedData
		}
		if source == nil {
			return nil, fmt.Errorf("%s(%q): not available here", fn, name)
		}
		key := fn + "/" + name
		if data, ok := ev.cache[key]; ok {
			return data, nil
		}
		var data map[string]string
		if strings.HasSuffix(fn, "ecret") {
			data, err = source.Secret(ev.ctx, name)
		} else {
			data, err = source.ConfigMap(ev.ctx, name)
		}
		if err != nil {
			return nil, fmt.Errorf("%s(%q): %w", fn, name, err)
		}
		out := make(map[string]any, len(data))
		for k, v := range data {
			out[k] = v
		}
		ev.cache[key] = out
		return out, nil
	}
}

// artifactFrom(subscriptionName[, origin]) is Kargo's lookup of an artifact
// from a generic subscription. Railyard Warehouses have no generic
// subscriptions and Freight carries no such artifacts, so the function can
// never find one; it says so rather than yield nil, which would let a
// migrated manifest write "null" where a version belongs.
func artifactFrom(args ...any) (any, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, fmt.Errorf("artifactFrom(subscriptionName[, origin]) takes one or two arguments, got %d", len(args))
	}
	name, err := stringArg("artifactFrom", args, 0, "subscriptionName")
	if err != nil {
		return nil, err
	}
	if len(args) == 2 {
		if _, err := toOrigin("artifactFrom", args[1]); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("artifactFrom(%q): Railyard Warehouses have no generic subscriptions, so Freight holds no such artifact; use imageFrom, commitFrom or chartFrom", name)
}

func (ev *evaluator) steps(fn string) (*StepState, error) {
	if ev.env.Steps == nil {
		return nil, fmt.Errorf("%s() is only available in promotion steps", fn)
	}
	return ev.env.Steps, nil
}

func (ev *evaluator) success(args ...any) (any, error) {
	s, err := ev.steps("success")
	if err != nil {
		return nil, err
	}
	return !s.Failed, nil
}

func (ev *evaluator) failure(args ...any) (any, error) {
	s, err := ev.steps("failure")
	if err != nil {
		return nil, err
	}
	return s.Failed, nil
}

func (ev *evaluator) always(args ...any) (any, error) {
	if _, err := ev.steps("always"); err != nil {
		return nil, err
	}
	return true, nil
}

// status returns the status of an earlier step, or "" if there is none.
// As in Kargo, aliases are resolved among the steps of the caller's own
// task: inside task "deploy", status('push') is the status of
// "deploy::push"; outside any task it is the top-level step "push".
func (ev *evaluator) status(args ...any) (any, error) {
	s, err := ev.steps("status")
	if err != nil {
		return nil, err
	}
	if len(args) != 1 {
		return nil, fmt.Errorf("status(alias) takes one argument, got %d", len(args))
	}
	alias, err := stringArg("status", args, 0, "alias")
	if err != nil {
		return nil, err
	}
	if alias == "" {
		return nil, fmt.Errorf("status(alias): alias must not be empty")
	}
	scope, _ := splitAlias(s.Current)
	for full, status := range s.Statuses {
		if ns, short := splitAlias(full); ns == scope && short == alias {
			return string(status), nil
		}
	}
	return "", nil
}

// taskSeparator joins a task's alias and the alias of one of its steps.
const taskSeparator = "::"

// splitAlias splits "<task>::<step>" into its parts; any other alias has
// no task part.
func splitAlias(alias string) (task, step string) {
	parts := strings.Split(alias, taskSeparator)
	if len(parts) != 2 {
		return "", alias
	}
	return parts[0], parts[1]
}
