package steps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// This file edits TOML text in place, as Kargo's toml-update does: it
// indexes the byte range of every scalar value by its key path and replaces
// only those bytes, so comments, ordering and layout stay as they were.
// go-toml's unstable parser is the only API that exposes the ranges.

// tomlNode is a value in the document: its kind and where its text is.
type tomlNode struct {
	kind unstable.Kind
	raw  unstable.Range
}

// tomlIndex maps encoded key paths (see tomlPathKey) to values.
type tomlIndex struct {
	nodes   map[string]tomlNode // tables, arrays and scalars
	scalars map[string]tomlNode
}

func indexTOML(src []byte) (_ *tomlIndex, err error) {
	// The parser's API is unstable and panics on misuse; a document must
	// never take the controller down.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parsing TOML: %v", r)
		}
	}()
	idx := &tomlIndex{nodes: map[string]tomlNode{}, scalars: map[string]tomlNode{}}
	var p unstable.Parser
	p.Reset(src)
	var table []string
	arrayTables := map[string]int{}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			table = keyParts(e.Key())
			idx.nodes[tomlPathKey(table)] = tomlNode{kind: e.Kind, raw: e.Raw}
		case unstable.ArrayTable:
			base := keyParts(e.Key())
			n := arrayTables[tomlPathKey(base)]
			arrayTables[tomlPathKey(base)] = n + 1
			idx.nodes[tomlPathKey(base)] = tomlNode{kind: e.Kind, raw: e.Raw}
			table = append(base, strconv.Itoa(n))
			idx.nodes[tomlPathKey(table)] = tomlNode{kind: unstable.Table, raw: e.Raw}
		case unstable.KeyValue:
			idx.add(append(append([]string(nil), table...), keyParts(e.Key())...), e.Value())
		}
	}
	if err := p.Error(); err != nil {
		return nil, err
	}
	return idx, nil
}

func (idx *tomlIndex) add(path []string, n *unstable.Node) {
	if !n.Valid() {
		return
	}
	idx.nodes[tomlPathKey(path)] = tomlNode{kind: n.Kind, raw: n.Raw}
	switch n.Kind {
	case unstable.Array:
		it := n.Children()
		for i := 0; it.Next(); {
			if c := it.Node(); c.Kind != unstable.Comment {
				idx.add(append(append([]string(nil), path...), strconv.Itoa(i)), c)
				i++
			}
		}
	case unstable.InlineTable:
		it := n.Children()
		for it.Next() {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				idx.add(append(append([]string(nil), path...), keyParts(c.Key())...), c.Value())
			}
		}
	case unstable.String, unstable.Bool, unstable.Float, unstable.Integer,
		unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		idx.scalars[tomlPathKey(path)] = tomlNode{kind: n.Kind, raw: n.Raw}
	}
}

func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

// tomlPathKey encodes a key path unambiguously, whatever its parts hold.
func tomlPathKey(parts []string) string {
	var b strings.Builder
	for _, p := range parts {
		fmt.Fprintf(&b, "%d:%s|", len(p), p)
	}
	return b.String()
}

// tomlEdit replaces length bytes at offset.
type tomlEdit struct {
	offset, length int
	text           []byte
}

// setTOMLValues applies updates (key -> raw JSON scalar) to src. Only
// existing scalar values can be set, as in Kargo.
func setTOMLValues(src []byte, keys []string, values []json.RawMessage) ([]byte, []string, error) {
	idx, err := indexTOML(src)
	if err != nil {
		return nil, nil, err
	}
	edits := map[string]tomlEdit{}
	rendered := make([]string, len(keys))
	for i, key := range keys {
		parts, err := splitKey(key)
		if err != nil {
			return nil, nil, fmt.Errorf("updates[%d]: %w", i, err)
		}
		names := make([]string, len(parts))
		for j, p := range parts {
			names[j] = p.name
		}
		pk := tomlPathKey(names)
		node, ok := idx.scalars[pk]
		if !ok {
			if n, found := idx.nodes[pk]; found {
				return nil, nil, fmt.Errorf("updates[%d]: %w: %q is a %s, not a scalar value", i, ErrKeyNotFound, key, n.kind)
			}
			return nil, nil, fmt.Errorf("updates[%d]: %w: %q does not exist (toml-update only changes existing keys)", i, ErrKeyNotFound, key)
		}
		old := src[node.raw.Offset : node.raw.Offset+node.raw.Length]
		text, err := formatTOMLValue(values[i], node.kind, old)
		if err != nil {
			return nil, nil, fmt.Errorf("updates[%d]: key %q: %w", i, key, err)
		}
		rendered[i] = string(text)
		edits[pk] = tomlEdit{offset: int(node.raw.Offset), length: int(node.raw.Length), text: text}
	}
	sorted := make([]tomlEdit, 0, len(edits))
	for _, e := range edits {
		sorted = append(sorted, e)
	}
	// From the end, so earlier offsets stay valid.
	sort.Slice(sorted, func(a, b int) bool { return sorted[a].offset > sorted[b].offset })
	out := src
	for _, e := range sorted {
		next := make([]byte, 0, len(out)-e.length+len(e.text))
		next = append(next, out[:e.offset]...)
		next = append(next, e.text...)
		out = append(next, out[e.offset+e.length:]...)
	}
	return out, rendered, nil
}

// formatTOMLValue renders a JSON scalar for a TOML value of kind whose text
// was old. Strings keep the old value's quoting where they can; a string
// set on a date or time that is a valid one of that kind stays bare; an
// integral number set on a float stays a float.
func formatTOMLValue(raw json.RawMessage, kind unstable.Kind, old []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	switch t := v.(type) {
	case bool:
		return []byte(strconv.FormatBool(t)), nil
	case json.Number:
		s := t.String()
		if !strings.ContainsAny(s, ".eE") {
			if _, err := strconv.ParseInt(s, 10, 64); err != nil {
				return nil, fmt.Errorf("%s does not fit a TOML integer", s)
			}
			if kind == unstable.Float {
				s += ".0"
			}
		}
		return []byte(s), nil
	case string:
		if isTOMLDateKind(kind) && sameTOMLKind(t, kind) {
			return []byte(t), nil
		}
		return formatTOMLString(t, old)
	}
	return nil, fmt.Errorf("value must be a string, number or boolean")
}

func isTOMLDateKind(k unstable.Kind) bool {
	return k == unstable.LocalDate || k == unstable.LocalTime || k == unstable.LocalDateTime || k == unstable.DateTime
}

// sameTOMLKind reports whether s, written bare, is a TOML value of kind.
func sameTOMLKind(s string, kind unstable.Kind) bool {
	var p unstable.Parser
	p.Reset([]byte("v = " + s))
	if !p.NextExpression() {
		return false
	}
	e := p.Expression()
	return p.Error() == nil && e.Kind == unstable.KeyValue && e.Value().Kind == kind && !p.NextExpression() && p.Error() == nil
}

// formatTOMLString quotes s like old when possible: a basic string stays a
// basic string, a literal one literal if s fits in one; otherwise go-toml
// chooses, as Kargo lets it.
func formatTOMLString(s string, old []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(old, []byte(`"`)) && !bytes.HasPrefix(old, []byte(`"""`)):
		return basicTOMLString(s), nil
	case bytes.HasPrefix(old, []byte(`'`)) && !bytes.HasPrefix(old, []byte(`'''`)) && literalOK(s):
		return []byte("'" + s + "'"), nil
	}
	b, err := toml.Marshal(map[string]string{"v": s})
	if err != nil {
		return nil, err
	}
	text, ok := bytes.CutPrefix(bytes.TrimSuffix(b, []byte("\n")), []byte("v = "))
	if !ok {
		return nil, errors.New("unexpected TOML encoding")
	}
	return text, nil
}

func literalOK(s string) bool {
	for _, r := range s {
		if r == '\'' || r == 0x7f || (r < 0x20 && r != '\t') {
			return false
		}
	}
	return true
}

// basicTOMLString renders s as a TOML basic string.
func basicTOMLString(s string) []byte {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return []byte(b.String())
}
