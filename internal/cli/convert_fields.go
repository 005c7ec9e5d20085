package cli

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// kindTypes are the Go types whose JSON fields Railyard's CRDs accept.
var kindTypes = map[string]reflect.Type{
	"Project":              reflect.TypeFor[railyard.Project](),
	"ProjectConfig":        reflect.TypeFor[railyard.ProjectConfig](),
	"Warehouse":            reflect.TypeFor[railyard.Warehouse](),
	"Stage":                reflect.TypeFor[railyard.Stage](),
	"Freight":              reflect.TypeFor[railyard.Freight](),
	"Promotion":            reflect.TypeFor[railyard.Promotion](),
	"PromotionTask":        reflect.TypeFor[railyard.PromotionTask](),
	"ClusterPromotionTask": reflect.TypeFor[railyard.ClusterPromotionTask](),
}

// kargoOnly explains fields Kargo has and Railyard does not, by path with
// list indexes written as [].
var kargoOnly = []struct {
	path *regexp.Regexp
	why  string
}{
	{regexp.MustCompile(`^spec\.subscriptions\[\]\.[^.]+$`), "generic (plug-in) subscriptions are not supported; Railyard subscribes to image, chart and git only"},
	{regexp.MustCompile(`^artifacts$`), "generic artifacts are not supported"},
	{regexp.MustCompile(`^spec\.targets$`), "target-aware Stages are not supported"},
	{regexp.MustCompile(`^spec\.target$`), "Promotions for Targets (PromotionRequest) are not supported"},
	{regexp.MustCompile(`^spec\.promotionPolicies\[\]\.autoRollback$`), "auto-rollback is not supported"},
	{regexp.MustCompile(`^spec\.promotionWindows$`), "promotion windows are not supported"},
	{regexp.MustCompile(`^spec\.(freight|stage)Links$`), "UI deep links are not supported"},
	{regexp.MustCompile(`^spec\.promotionPolicies$`), "Project spec.promotionPolicies moved to ProjectConfig in Kargo v1.5: put them in a ProjectConfig named like the project"},
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	listIndex       = regexp.MustCompile(`\[\d+\]`)
)

// checkFields walks the document beside the Go type of kind and reports
// every field the Railyard schema does not have (the API server would prune
// it silently). metadata and status are not checked.
func checkFields(root *yaml.Node, kind, name string) []Finding {
	t, ok := kindTypes[kind]
	if !ok {
		return nil
	}
	var findings []Finding
	report := func(line int, path string) {
		why := "not supported by Railyard yet; the API server would drop it"
		generic := listIndex.ReplaceAllString(path, "[]")
		for _, k := range kargoOnly {
			if k.path.MatchString(generic) {
				why = k.why
				break
			}
		}
		findings = append(findings, Finding{line, SeverityUnsupported, fmt.Sprintf("%s %s: %s: %s", kind, name, path, why)})
	}
	fields := jsonFields(t)
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		switch key.Value {
		case "apiVersion", "kind", "metadata", "status":
			continue
		}
		ft, ok := fields[key.Value]
		if !ok {
			report(key.Line, key.Value)
			continue
		}
		walk(val, ft, key.Value, report)
	}
	return findings
}

func walk(n *yaml.Node, t reflect.Type, path string, report func(int, string)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || n.Kind == yaml.AliasNode {
		return // free-form JSON, times and durations: nothing to check
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := jsonFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			ft, ok := fields[key.Value]
			if !ok {
				report(key.Line, path+"."+key.Value)
				continue
			}
			walk(val, ft, path+"."+key.Value, report)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, el := range n.Content {
			walk(el, t.Elem(), path+"["+strconv.Itoa(i)+"]", report)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			walk(n.Content[i+1], t.Elem(), path+"."+n.Content[i].Value, report)
		}
	}
}

// jsonFields maps JSON names to field types, descending into inlined
// embedded structs.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && (name == "" || strings.Contains(opts, "inline")) {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
