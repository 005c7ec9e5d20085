package manager_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// kargoKindFields reads the spec fields of Kargo's CRDs, per kind.
func kargoKindFields(t *testing.T) map[string][]string {
	return readFieldLists(t, "../../test/testdata/kargo/crd-fields.txt")
}

// schemaPaths lists the field paths of our CRD for kind (spec fields; for
// Freight, its top-level fields), written as the testdata writes them.
func schemaPaths(t *testing.T, kind string) (map[string]bool, bool) {
	t.Helper()
	files, err := filepath.Glob("../../config/crd/bases/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var crd struct {
			Spec struct {
				Names    struct{ Kind string } `json:"names"`
				Versions []struct {
					Schema struct {
						OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
					} `json:"schema"`
				} `json:"versions"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(b, &crd); err != nil {
			t.Fatal(err)
		}
		if crd.Spec.Names.Kind != kind {
			continue
		}
		props, _ := crd.Spec.Versions[0].Schema.OpenAPIV3Schema["properties"].(map[string]any)
		paths := map[string]bool{}
		if spec, ok := props["spec"].(map[string]any); ok {
			walkSchema(spec, "", paths)
		} else {
			for name, sub := range props {
				switch name {
				case "apiVersion", "kind", "metadata", "status":
					continue
				}
				paths[name] = true
				if m, ok := sub.(map[string]any); ok {
					walkSchema(m, name, paths)
				}
			}
		}
		return paths, true
	}
	return nil, false
}

func walkSchema(s map[string]any, prefix string, out map[string]bool) {
	if s["type"] == "array" {
		if items, ok := s["items"].(map[string]any); ok {
			walkSchema(items, prefix+"[]", out)
		}
		return
	}
	props, _ := s["properties"].(map[string]any)
	for name, sub := range props {
		p := name
		if prefix != "" {
			p = prefix + "." + name
		}
		out[p] = true
		if m, ok := sub.(map[string]any); ok {
			walkSchema(m, p, out)
		}
	}
	if ap, ok := s["additionalProperties"].(map[string]any); ok {
		walkSchema(ap, prefix+"{}", out)
	}
}

// TestKindConformance keeps the kinds table of docs/kargo-compatibility.md
// true: every Kargo kind has a row; a kind marked works or differs has a CRD
// holding every Kargo spec field not listed as unsupported (listing a field
// covers the fields below it); a kind marked not supported has no CRD.
func TestKindConformance(t *testing.T) {
	rows := compatTable(t, "Kinds and fields")
	for kind, fields := range kargoKindFields(t) {
		row, ok := rows[kind]
		if !ok {
			t.Errorf("Kargo kind %s has no row", kind)
			continue
		}
		if !statuses[row.status] {
			t.Errorf("kind %s: status %q", kind, row.status)
		}
		paths, exists := schemaPaths(t, kind)
		if row.status == "not supported" {
			if exists {
				t.Errorf("kind %s has a CRD but is marked not supported", kind)
			}
			continue
		}
		if !exists {
			t.Errorf("kind %s is marked %s but has no CRD", kind, row.status)
			continue
		}
		if row.status == "works" && len(row.unsupported) > 0 {
			t.Errorf("kind %s is marked works but lists unsupported fields %v", kind, row.unsupported)
		}
	field:
		for _, f := range fields {
			for _, u := range row.unsupported {
				if f == u || strings.HasPrefix(f, u+".") || strings.HasPrefix(f, u+"[]") || strings.HasPrefix(f, u+"{}") {
					continue field
				}
			}
			if !paths[f] {
				t.Errorf("kind %s lacks Kargo's field %s; add it or list it as not supported", kind, f)
			}
		}
	}
}
