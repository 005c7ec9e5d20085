package steps

import (
	"reflect"
	"strconv"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

const fuzzDoc = `a:
  b: 1 # comment
  list:
  - x
  - y: 2
empty:
anchor: &anc
  k: v
ref: *anc
s: str
`

// FuzzSplitKey feeds arbitrary yaml-update keys to the key parser and to
// setKey. Neither may panic; a key that parses formats back to itself
// (splitKey(formatKey(p)) == p), and a key that setKey accepts leaves a
// document that parses again and holds the value at that key.
func FuzzSplitKey(f *testing.F) {
	for _, k := range []string{
		"a.b", "a.list.0", "a.list.-1", "a.list.1.y", `a\.b.c`, "a.:1", `a\:b`, `a\\b`,
		"empty.new.deep", "ref.k", "s.x", "a..b", "a.", ":", "::a", `a\`, " ", "a.list.99",
		"a.list.-2", "new.:0.1", "\xff.\x00",
	} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		parts, err := splitKey(key)
		if err != nil {
			return
		}
		for _, p := range parts {
			if p.name == "" {
				t.Fatalf("splitKey(%q) has an empty segment: %#v", key, parts)
			}
		}
		again, err := splitKey(formatKey(parts))
		if err != nil || !reflect.DeepEqual(again, parts) {
			t.Fatalf("splitKey(formatKey(%#v)) = %#v, %v", parts, again, err)
		}
		doc, err := parseYAMLDoc([]byte(fuzzDoc))
		if err != nil {
			t.Fatal(err)
		}
		if err := setKey(doc, key, "fuzz-value"); err != nil {
			return
		}
		out, err := doc.bytes()
		if err != nil {
			t.Fatalf("setKey(%q): encoding: %v", key, err)
		}
		reparsed, err := parseYAMLDoc(out)
		if err != nil {
			t.Fatalf("setKey(%q) wrote YAML that does not parse: %v\n%s", key, err, out)
		}
		if got := lookupKey(reparsed.root(), parts); got == nil || got.Value != "fuzz-value" {
			t.Fatalf("setKey(%q): value not found at the key afterwards:\n%s", key, out)
		}
	})
}

// lookupKey follows parts as setKey does; -1 is the last list item.
func lookupKey(node *yaml.Node, parts []keyPart) *yaml.Node {
	for _, p := range parts {
		for node != nil && node.Kind == yaml.AliasNode {
			node = node.Alias
		}
		switch {
		case node == nil:
			return nil
		case node.Kind == yaml.MappingNode:
			node = mappingValue(node, p.name)
		case node.Kind == yaml.SequenceNode:
			i, err := strconv.Atoi(p.name)
			if i == -1 {
				i = len(node.Content) - 1
			}
			if err != nil || i < 0 || i >= len(node.Content) {
				return nil
			}
			node = node.Content[i]
		default:
			return nil
		}
	}
	return node
}
