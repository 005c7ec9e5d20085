package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// JSONUpdate is the `json-update` step: it sets scalar values at keys of a
// JSON file, editing the text in place. Keys follow tidwall/sjson's path
// syntax, as in Kargo (which uses sjson): `image.tag`, `a\.b`, `list.0`,
// `list.-1` to append, `:1` for a numeric object key; a gjson query
// (`containers.#(name=="app").image`) updates what it matches.
type JSONUpdate struct{}

type jsonUpdateConfig struct {
	Path    string            `json:"path"`
	Updates []jsonUpdateEntry `json:"updates"`
}

type jsonUpdateEntry struct {
	Key string `json:"key"`
	// Value is kept raw: a number keeps its exact digits.
	Value json.RawMessage `json:"value"`
}

func (c *jsonUpdateConfig) validate() error {
	if err := required("path", c.Path); err != nil {
		return err
	}
	if len(c.Updates) == 0 {
		return errors.New(`field "updates" must list at least one update`)
	}
	for i, u := range c.Updates {
		if err := required(fmt.Sprintf("updates[%d].key", i), u.Key); err != nil {
			return err
		}
		if isSimpleJSONPath(u.Key) {
			// sjson reads `a..b` as a key "" below a, which is never meant.
			if _, err := splitKey(u.Key); err != nil {
				return fmt.Errorf("field \"updates[%d].key\": %w", i, err)
			}
		}
		if len(u.Value) == 0 {
			return fmt.Errorf("field \"updates[%d].value\" is required", i)
		}
		if !isJSONScalar(u.Value) {
			return fmt.Errorf("field \"updates[%d].value\" must be a string, number or boolean", i)
		}
	}
	return nil
}

// isJSONScalar reports whether raw (valid JSON) is a string, number or
// boolean; Kargo's json-update refuses null, lists and maps.
func isJSONScalar(raw json.RawMessage) bool {
	switch c := bytes.TrimSpace(raw)[0]; {
	case c == '"', c == 't', c == 'f', c == '-', c >= '0' && c <= '9':
		return true
	}
	return false
}

// isSimpleJSONPath reports whether sjson treats key as a plain dotted path
// rather than a gjson query.
func isSimpleJSONPath(key string) bool { return !strings.ContainsAny(key, "|#@*?") }

// Name implements promotion.Step.
func (JSONUpdate) Name() string { return "json-update" }

// Run implements promotion.Step.
func (JSONUpdate) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg jsonUpdateConfig
	if err := decode(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	root, err := sc.OpenRoot()
	if err != nil {
		return errored(err)
	}
	defer func() { _ = root.Close() }()
	src, err := root.ReadFile(cfg.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return failed(fmt.Errorf("file %q does not exist", cfg.Path))
	}
	if err != nil {
		return errored(fmt.Errorf("reading %q: %w", cfg.Path, err))
	}
	// sjson edits text without parsing it first: it would turn a broken
	// file into a different broken (or valid) one.
	if err := checkJSON(src); err != nil {
		return failed(fmt.Errorf("parsing JSON file %q: %w", cfg.Path, err))
	}
	if t := bytes.TrimSpace(src); t[0] != '{' && t[0] != '[' {
		// sjson would replace the whole document with a new object.
		return failed(fmt.Errorf("JSON file %q must hold an object or array", cfg.Path))
	}
	out := src
	for i, u := range cfg.Updates {
		if out, err = setJSON(out, u); err != nil {
			return failed(fmt.Errorf("updates[%d]: key %q in %q: %w", i, u.Key, cfg.Path, err))
		}
	}
	if err := writeFileKeepMode(root, cfg.Path, out); err != nil {
		return errored(fmt.Errorf("writing %q: %w", cfg.Path, err))
	}
	return succeeded(map[string]any{"commitMessage": jsonUpdateMessage(cfg)})
}

func setJSON(doc []byte, u jsonUpdateEntry) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%v", r)
		}
	}()
	var v any
	if err := json.Unmarshal(u.Value, &v); err != nil {
		return nil, err
	}
	if _, isString := v.(string); isString {
		// sjson's own string encoding, as Kargo writes strings.
		out, err = sjson.SetBytes(doc, u.Key, v)
	} else {
		out, err = sjson.SetRawBytes(doc, u.Key, bytes.TrimSpace(u.Value))
	}
	if err != nil {
		return nil, err
	}
	if !isSimpleJSONPath(u.Key) && !gjson.GetBytes(out, u.Key).Exists() {
		// sjson silently leaves the document as it was.
		return nil, fmt.Errorf("%w: the query matches nothing", ErrKeyNotFound)
	}
	if err := checkJSON(out); err != nil {
		return nil, fmt.Errorf("the update would break the file: %w", err)
	}
	return out, nil
}

// checkJSON reports a syntax error with its line and column.
func checkJSON(b []byte) error {
	var v any
	err := json.Unmarshal(b, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(b, int(se.Offset))
		return fmt.Errorf("line %d, column %d: %w", line, col, err)
	}
	return err
}

func lineCol(b []byte, offset int) (line, col int) {
	offset = min(offset, len(b))
	line = 1 + bytes.Count(b[:offset], []byte("\n"))
	return line, offset - bytes.LastIndexByte(b[:offset], '\n')
}

func jsonUpdateMessage(cfg jsonUpdateConfig) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Updated %s\n", cfg.Path)
	for _, u := range cfg.Updates {
		var v any
		_ = json.Unmarshal(u.Value, &v)
		if s, ok := v.(string); ok {
			fmt.Fprintf(&b, "\n- %s: %q", u.Key, s)
		} else {
			fmt.Fprintf(&b, "\n- %s: %s", u.Key, bytes.TrimSpace(u.Value))
		}
	}
	return b.String()
}
