package steps

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// yamlDoc is a YAML file being edited. Replacing a one-line scalar with
// another scalar rewrites only that scalar's bytes, so blank lines, comments
// and quoting elsewhere stay exactly as they were. Any other change
// (new keys, new list items, non-scalar values) re-encodes the file from its
// node tree, which keeps comments and sequence indentation but not blank
// lines.
type yamlDoc struct {
	src        []byte
	docs       []*yaml.Node
	edits      []textEdit
	structural bool
}

// textEdit replaces src[start:end] with text.
type textEdit struct {
	start, end int
	text       string
}

func parseYAMLDoc(src []byte) (*yamlDoc, error) {
	d := &yamlDoc{src: src}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		d.docs = append(d.docs, &n)
	}
	return d, nil
}

// root returns the first document's top node, creating an empty mapping when
// the file has no content.
func (d *yamlDoc) root() *yaml.Node {
	if len(d.docs) == 0 {
		d.docs = append(d.docs, &yaml.Node{Kind: yaml.DocumentNode})
	}
	doc := d.docs[0]
	if len(doc.Content) == 0 {
		doc.Content = []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}
		d.structural = true
	}
	return doc.Content[0]
}

// setValue replaces node's value with value, keeping node's comments and,
// for strings, its quoting style.
func (d *yamlDoc) setValue(node *yaml.Node, value any) error {
	var n yaml.Node
	if err := n.Encode(value); err != nil {
		return fmt.Errorf("encoding value: %w", err)
	}
	if n.Kind == yaml.ScalarNode && node.Kind == yaml.ScalarNode && n.Tag == "!!str" && node.Style&quotedStyles != 0 {
		n.Style = node.Style
	}
	n.HeadComment, n.LineComment, n.FootComment = node.HeadComment, node.LineComment, node.FootComment
	if n.Kind == yaml.ScalarNode && node.Kind == yaml.ScalarNode && !d.structural {
		if edit, ok := d.scalarEdit(node, &n); ok {
			d.edits = append(d.edits, edit)
		} else {
			d.structural = true
		}
	} else {
		d.structural = true
	}
	*node = n
	return nil
}

var quotedStyles = yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle

// scalarEdit locates old's text in the source. It only succeeds when the
// scalar sits on one line and its text can be verified, so a wrong guess can
// never corrupt the file; the caller then falls back to re-encoding.
func (d *yamlDoc) scalarEdit(old, replacement *yaml.Node) (textEdit, bool) {
	if old.Line <= 0 || old.Column <= 0 || old.Anchor != "" {
		return textEdit{}, false
	}
	start, ok := offsetOf(d.src, old.Line, old.Column)
	if !ok {
		return textEdit{}, false
	}
	lineEnd := bytes.IndexByte(d.src[start:], '\n')
	if lineEnd < 0 {
		lineEnd = len(d.src) - start
	}
	line := string(d.src[start : start+lineEnd])
	var length int
	switch old.Style {
	case 0:
		if !strings.HasPrefix(line, old.Value) || old.Value == "" {
			return textEdit{}, false
		}
		length = len(old.Value)
	case yaml.DoubleQuotedStyle:
		length = closingQuote(line, '"')
	case yaml.SingleQuotedStyle:
		length = closingQuote(line, '\'')
	default:
		return textEdit{}, false
	}
	if length <= 0 {
		return textEdit{}, false
	}
	text, err := encodeScalar(replacement)
	if err != nil || strings.Contains(text, "\n") {
		return textEdit{}, false
	}
	return textEdit{start: start, end: start + length, text: text}, true
}

// offsetOf converts yaml.v3's 1-based line and rune column to a byte offset.
func offsetOf(src []byte, line, column int) (int, bool) {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return 0, false
		}
		off += i + 1
	}
	for c := 1; c < column; c++ {
		if off >= len(src) || src[off] == '\n' {
			return 0, false
		}
		_, size := utf8.DecodeRune(src[off:])
		off += size
	}
	return off, true
}

// closingQuote returns the length of the quoted scalar at the start of line,
// quotes included, or 0 when it does not end on this line.
func closingQuote(line string, q byte) int {
	if len(line) < 2 || line[0] != q {
		return 0
	}
	for i := 1; i < len(line); i++ {
		switch {
		case q == '"' && line[i] == '\\':
			i++
		case line[i] == q && q == '\'' && i+1 < len(line) && line[i+1] == '\'':
			i++
		case line[i] == q:
			return i + 1
		}
	}
	return 0
}

// encodeScalar renders a scalar node as it would appear in a file.
func encodeScalar(n *yaml.Node) (string, error) {
	c := *n
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	b, err := yaml.Marshal(&c)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

// bytes renders the edited file.
func (d *yamlDoc) bytes() ([]byte, error) {
	if !d.structural {
		out := append([]byte(nil), d.src...)
		sort.Slice(d.edits, func(i, j int) bool { return d.edits[i].start < d.edits[j].start })
		// Edits are applied from the end so earlier offsets stay valid.
		for i := len(d.edits) - 1; i >= 0; i-- {
			e := d.edits[i]
			out = append(out[:e.start], append([]byte(e.text), out[e.end:]...)...)
		}
		return out, nil
	}
	style := yaml.SequenceIndentStyle(yaml.DeriveSeqIndentStyle(string(d.src)))
	var buf bytes.Buffer
	enc := yaml.NewEncoderWithOptions(&buf, &yaml.EncoderOptions{SeqIndent: style})
	for _, doc := range d.docs {
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("encoding YAML: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding YAML: %w", err)
	}
	return buf.Bytes(), nil
}
