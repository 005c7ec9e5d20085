package cli

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// stepRegistry is the registry the manager runs Promotions with, so convert
// reports exactly the steps and config fields a Promotion would refuse.
var stepRegistry = sync.OnceValue(func() *promotion.Registry {
	return manager.NewStepRegistry(manager.Options{})
})

// stepContainers returns the mappings holding steps and vars in a document
// of kind: the Stage's promotion template, or the spec of the others.
func stepContainers(root *yaml.Node, kind string) []*yaml.Node {
	var path []string
	switch kind {
	case "Stage":
		path = []string{"spec", "promotionTemplate", "spec"}
	case "Promotion", "PromotionTask", "ClusterPromotionTask":
		path = []string{"spec"}
	default:
		return nil
	}
	n := root
	for _, p := range path {
		if n = mapValue(n, p); n == nil {
			return nil
		}
	}
	return []*yaml.Node{n}
}

// mapValue returns the value of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// checkSteps reports, in the promotion steps of a document, steps Railyard
// does not have, configuration fields its steps do not take and expression
// functions it does not know.
func checkSteps(root *yaml.Node, kind, name string) []Finding {
	reg := stepRegistry()
	var findings []Finding
	report := func(line int, format string, args ...any) {
		findings = append(findings, Finding{line, SeverityUnsupported, fmt.Sprintf("%s %s: ", kind, name) + fmt.Sprintf(format, args...)})
	}
	for _, c := range stepContainers(root, kind) {
		if vars := mapValue(c, "vars"); vars != nil {
			checkExpressions(vars, "vars", report)
		}
		steps := mapValue(c, "steps")
		if steps == nil || steps.Kind != yaml.SequenceNode {
			continue
		}
		for i, s := range steps.Content {
			if s.Kind != yaml.MappingNode {
				continue
			}
			alias := "steps[" + strconv.Itoa(i) + "]"
			checkExpressions(s, alias, report)
			uses := mapValue(s, "uses")
			if uses == nil || uses.Kind != yaml.ScalarNode || uses.Value == "" {
				continue // a task step, or one the API server refuses anyway
			}
			step, ok := reg.Lookup(uses.Value)
			if !ok {
				report(uses.Line, "%s.uses: step %s is not supported by Railyard", alias, uses.Value)
				continue
			}
			if schema, ok := step.(promotion.ConfigSchema); ok {
				if cfg := mapValue(s, "config"); cfg != nil {
					t := reflect.TypeOf(schema.ConfigType())
					checkConfig(cfg, t, schema, configPath{}, func(line int, path string) {
						report(line, "%s.config.%s: step %s does not take this field", alias, path, uses.Value)
					})
				}
			}
		}
	}
	return findings
}

// configPath is a key path into a step's configuration, both as shown to
// the user ("checkout[1].path") and as promotion.HasConfigField takes it
// ("checkout[].path").
type configPath struct{ shown, generic string }

func (p configPath) key(k string) configPath {
	if p.shown == "" {
		return configPath{k, k}
	}
	return configPath{p.shown + "." + k, p.generic + "." + k}
}

func (p configPath) index(i int) configPath {
	return configPath{p.shown + "[" + strconv.Itoa(i) + "]", p.generic + "[]"}
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// checkConfig reports every key under n that the step's configuration does
// not have, recursively, as promotion.Check would refuse it (Check stops at
// the first). HasConfigField decides whether a key exists; t, the Go type at
// n, only says where to descend: free-form values (interfaces, raw JSON) are
// not checked.
func checkConfig(n *yaml.Node, t reflect.Type, schema promotion.ConfigSchema, path configPath, report func(int, string)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			p := path.key(key.Value)
			ft, ok := promotion.ConfigFieldType(t, key.Value)
			if !ok || !promotion.HasConfigField(schema, p.generic) {
				report(key.Line, p.shown)
				continue
			}
			checkConfig(val, ft, schema, p, report)
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkConfig(n.Content[i+1], t.Elem(), schema, path.key(n.Content[i].Value), report)
		}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && n.Kind == yaml.SequenceNode:
		for i, el := range n.Content {
			checkConfig(el, t.Elem(), schema, path.index(i), report)
		}
	}
}
