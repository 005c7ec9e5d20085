package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// YAMLUpdate is the `yaml-update` step: it sets values at dotted keys of a
// YAML file, keeping comments and formatting.
type YAMLUpdate struct{}

type yamlUpdateConfig struct {
	// Path is the YAML file to update.
	Path string `json:"path"`
	// Updates are applied in order.
	Updates []yamlUpdateEntry `json:"updates"`
}

type yamlUpdateEntry struct {
	// Key is a dotted path such as `image.tag`, `resources.1` or `a\.b`.
	Key string `json:"key"`
	// Value is any JSON value (null included, hence raw: absent and null
	// differ); scalars keep the quoting of the old value.
	Value json.RawMessage `json:"value"`
}

// value decodes Value; DecodeConfig produced it from a Go value, so it is
// valid JSON.
func (u yamlUpdateEntry) value() any {
	var v any
	_ = json.Unmarshal(u.Value, &v)
	return v
}

func (c *yamlUpdateConfig) validate() error {
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
		if _, err := splitKey(u.Key); err != nil {
			return fmt.Errorf("field \"updates[%d].key\": %w", i, err)
		}
		if len(u.Value) == 0 {
			return fmt.Errorf("field \"updates[%d].value\" is required", i)
		}
	}
	return nil
}

// Name implements promotion.Step.
func (YAMLUpdate) Name() string { return "yaml-update" }

// Run implements promotion.Step.
func (YAMLUpdate) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg yamlUpdateConfig
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
	doc, err := parseYAMLDoc(src)
	if err != nil {
		return failed(fmt.Errorf("parsing %q: %w", cfg.Path, err))
	}
	for i, u := range cfg.Updates {
		if err := setKey(doc, u.Key, u.value()); err != nil {
			return failed(fmt.Errorf("updates[%d]: key %q in %q: %w", i, u.Key, cfg.Path, err))
		}
	}
	out, err := doc.bytes()
	if err != nil {
		return errored(fmt.Errorf("writing %q: %w", cfg.Path, err))
	}
	if err := writeFileKeepMode(root, cfg.Path, out); err != nil {
		return errored(fmt.Errorf("writing %q: %w", cfg.Path, err))
	}
	return succeeded(map[string]any{"commitMessage": yamlUpdateMessage(cfg)})
}

func yamlUpdateMessage(cfg yamlUpdateConfig) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Updated %s\n", cfg.Path)
	for _, u := range cfg.Updates {
		fmt.Fprintf(&b, "\n- %s: %s", u.Key, quoteIfNecessary(u.value()))
	}
	return b.String()
}

// quoteIfNecessary renders a value for a commit message, quoting strings a
// reader would otherwise take for a number, boolean or JSON.
func quoteIfNecessary(v any) string {
	s, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.Quote(s)
	}
	if _, err := strconv.ParseBool(s); err == nil {
		return strconv.Quote(s)
	}
	if json.Valid([]byte(s)) {
		return strconv.Quote(s)
	}
	return s
}

// writeFileKeepMode replaces a file's content, keeping its permissions.
// name is relative to root; links leading out of it fail the write.
func writeFileKeepMode(root *workdir.Root, name string, data []byte) error {
	mode := fs.FileMode(0o644)
	if fi, err := root.Stat(name); err == nil {
		mode = fi.Mode().Perm()
	}
	return root.WriteFile(name, data, mode)
}
