package chart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// maxLineBytes bounds one line of a YAML index; Helm writes short lines, so
// anything longer is not an index we can stream.
const maxLineBytes = 4 << 20

// readIndexVersions returns the version strings of chart name from a Helm
// repository index read from r, without decoding other charts.
//
// A YAML parser would build the whole document (every chart) in memory, so
// block-style YAML is scanned line by line instead: the top-level "entries:"
// key is found by indentation, every line of other charts is skipped, and only
// the lines of the subscribed chart are handed to the YAML decoder. JSON
// indexes (`helm repo index --json`) are walked token by token.
func readIndexVersions(r io.Reader, name string) ([]string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := firstSignificantByte(br)
	if err != nil {
		return nil, err
	}
	if first == '{' {
		return readJSONIndexVersions(br, name)
	}
	return readYAMLIndexVersions(br, name)
}

// firstSignificantByte peeks past a BOM and whitespace.
func firstSignificantByte(br *bufio.Reader) (byte, error) {
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	for {
		b, err := br.Peek(1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, fmt.Errorf("%w: empty document", ErrMalformedIndex)
			}
			return 0, fmt.Errorf("reading index: %w", err)
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = br.Discard(1)
		default:
			return b[0], nil
		}
	}
}

// yamlScan is the state of the line scanner.
type yamlScan struct {
	name        string
	line        int
	sawAPI      bool
	inEntries   bool
	childIndent int  // indentation of chart keys under entries, -1 unknown
	capturing   bool // inside the subscribed chart's lines
	found       bool
	started     bool // a key has been seen (a later "---" ends the document)
	block       bytes.Buffer
}

func readYAMLIndexVersions(br *bufio.Reader, name string) ([]string, error) {
	s := &yamlScan{name: name, childIndent: -1}
	var long []byte
	for {
		line, err := readLine(br, &long)
		if len(line) > 0 || err == nil {
			s.line++
			done, lerr := s.scanLine(line)
			if lerr != nil {
				return nil, lerr
			}
			if done {
				break
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if !s.sawAPI {
		return nil, fmt.Errorf("%w: no top-level apiVersion (not a Helm repository index)", ErrMalformedIndex)
	}
	if !s.found {
		return nil, fmt.Errorf("%w: %q is not in the index", ErrNotFound, name)
	}
	var doc map[string][]struct {
		Version string `yaml:"version"`
	}
	if err := yaml.Unmarshal(s.block.Bytes(), &doc); err != nil {
		return nil, fmt.Errorf("%w: entries of chart %q: %w", ErrMalformedIndex, name, err)
	}
	versions := make([]string, 0, len(doc[name]))
	for _, e := range doc[name] {
		if e.Version != "" {
			versions = append(versions, e.Version)
		}
	}
	return versions, nil
}

// readLine returns the next line without its newline. Lines longer than the
// reader's buffer are assembled in *long, which is reused.
func readLine(br *bufio.Reader, long *[]byte) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		*long = append((*long)[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = br.ReadSlice('\n')
			*long = append(*long, line...)
			if len(*long) > maxLineBytes {
				return nil, fmt.Errorf("%w: a line is longer than %d bytes", ErrMalformedIndex, maxLineBytes)
			}
		}
		line = *long
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading index: %w", err)
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line, err
}

// scanLine advances the scanner by one line; done reports the end of the
// document.
func (s *yamlScan) scanLine(line []byte) (done bool, err error) {
	indent := 0
	for indent < len(line) && line[indent] == ' ' {
		indent++
	}
	rest := line[indent:]
	if len(bytes.TrimSpace(rest)) == 0 || rest[0] == '#' {
		s.keep(line)
		return false, nil
	}
	if indent == 0 {
		switch {
		case rest[0] == '\t':
			return false, fmt.Errorf("%w: line %d: tab in indentation", ErrMalformedIndex, s.line)
		case bytes.HasPrefix(rest, []byte("---")) && (len(rest) == 3 || rest[3] == ' '):
			return s.started, nil
		case bytes.HasPrefix(rest, []byte("...")) && (len(rest) == 3 || rest[3] == ' '):
			return true, nil
		case rest[0] == '%':
			return false, nil
		}
		return false, s.topLevelKey(rest)
	}
	if !s.inEntries {
		return false, nil // value of another top-level key
	}
	if s.childIndent < 0 {
		s.childIndent = indent
	}
	switch {
	case indent < s.childIndent:
		return false, fmt.Errorf("%w: line %d: inconsistent indentation under entries", ErrMalformedIndex, s.line)
	case indent > s.childIndent || isSequenceItem(rest):
		// Deeper lines, and "- " at the key's own indentation (a compact
		// sequence), belong to the current chart.
		s.keep(line)
	default:
		key, _, ok := splitKey(rest)
		if !ok {
			return false, fmt.Errorf("%w: line %d: expected a chart name under entries", ErrMalformedIndex, s.line)
		}
		s.capturing = key == s.name
		if s.capturing {
			s.found = true
			s.keep(line)
		}
	}
	return false, nil
}

func (s *yamlScan) topLevelKey(rest []byte) error {
	s.capturing, s.inEntries = false, false
	key, value, ok := splitKey(rest)
	if !ok {
		return fmt.Errorf("%w: line %d: expected a top-level key", ErrMalformedIndex, s.line)
	}
	s.started = true
	switch key {
	case "apiVersion":
		s.sawAPI = true
	case "entries":
		switch v := string(stripComment(value)); v {
		case "":
			s.inEntries, s.childIndent = true, -1
		case "{}", "null", "~":
		default:
			return fmt.Errorf("%w: line %d: flow-style entries are not supported; serve block YAML or JSON", ErrMalformedIndex, s.line)
		}
	}
	return nil
}

func (s *yamlScan) keep(line []byte) {
	if s.capturing {
		s.block.Write(line)
		s.block.WriteByte('\n')
	}
}

func isSequenceItem(rest []byte) bool {
	return rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ')
}

// splitKey parses `key: value` where key is plain, "double" or 'single'
// quoted. ok is false when the line is not a mapping key.
func splitKey(rest []byte) (key string, value []byte, ok bool) {
	var after []byte
	switch rest[0] {
	case '"':
		end := 1
		for end < len(rest) && rest[end] != '"' {
			if rest[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(rest) {
			return "", nil, false
		}
		k, err := strconv.Unquote(string(rest[:end+1]))
		if err != nil {
			return "", nil, false
		}
		key, after = k, rest[end+1:]
	case '\'':
		end := 1
		for end < len(rest) && (rest[end] != '\'' || end+1 < len(rest) && rest[end+1] == '\'') {
			if rest[end] == '\'' {
				end++
			}
			end++
		}
		if end >= len(rest) {
			return "", nil, false
		}
		key = string(bytes.ReplaceAll(rest[1:end], []byte("''"), []byte("'")))
		after = rest[end+1:]
	case '?', '-', '[', '{', '&', '*', '!', '|', '>':
		return "", nil, false
	default:
		i := plainKeyEnd(rest)
		if i < 0 {
			return "", nil, false
		}
		key, after = string(bytes.TrimRight(rest[:i], " ")), rest[i:]
	}
	after = bytes.TrimLeft(after, " ")
	if len(after) == 0 || after[0] != ':' || len(after) > 1 && after[1] != ' ' && after[1] != '\t' {
		return "", nil, false
	}
	return key, bytes.TrimSpace(after[1:]), true
}

// plainKeyEnd finds the ':' that ends a plain key (followed by a space or the
// end of the line), or -1.
func plainKeyEnd(rest []byte) int {
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case ':':
			if i+1 == len(rest) || rest[i+1] == ' ' || rest[i+1] == '\t' {
				return i
			}
		case '#':
			if i > 0 && rest[i-1] == ' ' {
				return -1
			}
		}
	}
	return -1
}

func stripComment(v []byte) []byte {
	if i := bytes.Index(v, []byte(" #")); i >= 0 {
		v = v[:i]
	}
	if len(v) > 0 && v[0] == '#' {
		return nil
	}
	return bytes.TrimSpace(v)
}
