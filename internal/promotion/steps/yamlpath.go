package steps

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ErrKeyNotFound is returned by yaml-update for a key that cannot be set:
// an index past the end of a list, or a key below a scalar.
var ErrKeyNotFound = errors.New("key not found")

// keyPart is one segment of a dotted key. forceKey is set by a leading `:`,
// which makes a numeric-looking segment a map key rather than a list index.
type keyPart struct {
	name     string
	forceKey bool
}

// splitKey splits a key the way Kargo (after tidwall/sjson) does: `.`
// separates segments, `\.` and `\:` escape, and a `:` opening a segment
// marks it as a map key.
func splitKey(key string) ([]keyPart, error) {
	if strings.TrimSpace(key) == "" {
		return nil, errors.New("empty key")
	}
	if !utf8.ValidString(key) {
		// YAML cannot hold it, so the update could never be written.
		return nil, fmt.Errorf("key %q is not valid UTF-8", key)
	}
	var (
		parts   []keyPart
		cur     strings.Builder
		force   bool
		escaped bool
	)
	for i := 0; i < len(key); i++ {
		c := key[i]
		if escaped {
			if c != '.' && c != ':' && c != '\\' {
				return nil, fmt.Errorf("invalid escape sequence %q in key %q", `\`+string(c), key)
			}
			cur.WriteByte(c)
			escaped = false
			continue
		}
		switch c {
		case '\\':
			escaped = true
		case '.':
			if cur.Len() == 0 {
				return nil, fmt.Errorf("empty segment in key %q", key)
			}
			parts = append(parts, keyPart{name: cur.String(), forceKey: force})
			cur.Reset()
			force = false
		case ':':
			if cur.Len() > 0 || force {
				return nil, fmt.Errorf("unexpected colon in key %q", key)
			}
			force = true
		default:
			cur.WriteByte(c)
		}
	}
	if escaped {
		return nil, fmt.Errorf("key %q ends with a lone backslash", key)
	}
	if cur.Len() == 0 {
		return nil, fmt.Errorf("empty segment in key %q", key)
	}
	return append(parts, keyPart{name: cur.String(), forceKey: force}), nil
}

// setKey sets key to value in d, following Kargo's semantics: missing map
// keys are created (with intermediate maps) and index -1 appends to a list.
// Unlike Kargo, an index past the end of a list and a key below a non-null
// scalar are errors (wrapping ErrKeyNotFound) rather than silently appending
// or replacing the scalar with a map.
func setKey(d *yamlDoc, key string, value any) error {
	parts, err := splitKey(key)
	if err != nil {
		return err
	}
	node := d.root()
	for i, part := range parts {
		path := joinParts(parts[:i+1])
		for node.Kind == yaml.AliasNode {
			node = node.Alias
		}
		last := i == len(parts)-1
		switch {
		case node.Kind == yaml.ScalarNode && node.Tag == "!!null":
			// An empty value (`key:`) becomes a map to hold the new key.
			*node = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", HeadComment: node.HeadComment, LineComment: node.LineComment}
			d.structural = true
			fallthrough
		case node.Kind == yaml.MappingNode:
			child := mappingValue(node, part.name)
			if child == nil {
				return createMissing(d, node, parts[i:], value)
			}
			if last {
				return d.setValue(child, value)
			}
			node = child
		case node.Kind == yaml.SequenceNode:
			if part.forceKey {
				return fmt.Errorf("%w: %q is a list, not a map", ErrKeyNotFound, joinParts(parts[:i]))
			}
			idx, err := strconv.Atoi(part.name)
			if err != nil || idx < -1 {
				return fmt.Errorf("%w: %q: %q is a list and %q is not an index", ErrKeyNotFound, key, joinParts(parts[:i]), part.name)
			}
			if idx == -1 {
				d.structural = true
				node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"})
				idx = len(node.Content) - 1
			}
			if idx >= len(node.Content) {
				return fmt.Errorf("%w: %q: index %d is out of range, %q has %d items (use -1 to append)",
					ErrKeyNotFound, path, idx, joinParts(parts[:i]), len(node.Content))
			}
			if last {
				return d.setValue(node.Content[idx], value)
			}
			node = node.Content[idx]
		default:
			return fmt.Errorf("%w: %q: %q is a scalar value, not a map or list", ErrKeyNotFound, path, joinParts(parts[:i]))
		}
	}
	return nil
}

// createMissing adds parts[0] to mapping with nested maps for the remaining
// parts and value at the end.
func createMissing(d *yamlDoc, mapping *yaml.Node, parts []keyPart, value any) error {
	d.structural = true
	var leaf yaml.Node
	if err := leaf.Encode(value); err != nil {
		return fmt.Errorf("encoding value: %w", err)
	}
	child := &leaf
	for i := len(parts) - 1; i >= 1; i-- {
		child = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{keyNode(parts[i].name), child}}
	}
	mapping.Content = append(mapping.Content, keyNode(parts[0].name), child)
	return nil
}

func keyNode(name string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}
}

// mappingValue returns the value of key in a mapping node, or nil.
func mappingValue(mapping *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value == key {
			return mapping.Content[i+1]
		}
	}
	return nil
}

func joinParts(parts []keyPart) string { return formatKey(parts) }

// formatKey is the inverse of splitKey: splitKey(formatKey(p)) == p.
func formatKey(parts []keyPart) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('.')
		}
		if p.forceKey {
			b.WriteByte(':')
		}
		for j := 0; j < len(p.name); j++ {
			if c := p.name[j]; c == '.' || c == ':' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(p.name[j])
		}
	}
	return b.String()
}

// Short names for yaml.v3 node kinds (kyaml exposes them as variables).
type yamlNode = yaml.Node

var (
	yamlMapping  = yaml.MappingNode
	yamlSequence = yaml.SequenceNode
	yamlScalar   = yaml.ScalarNode
)

func mappingNode() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }

func stringNode(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

// removeKey deletes key from a mapping node.
func removeKey(mapping *yaml.Node, key string) {
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value == key {
			mapping.Content = append(mapping.Content[:i], mapping.Content[i+2:]...)
			return
		}
	}
}
