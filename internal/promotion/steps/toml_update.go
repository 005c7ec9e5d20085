package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// TOMLUpdate is the `toml-update` step: it sets existing scalar values of
// a TOML file in place. Keys use the same syntax as json-update and
// yaml-update (`package.version`, `labels.example\.com/v`, `values.1`).
type TOMLUpdate struct{}

type tomlUpdateConfig struct {
	Path    string            `json:"path"`
	Updates []jsonUpdateEntry `json:"updates"`
}

func (c *tomlUpdateConfig) validate() error {
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
		if !isJSONScalar(u.Value) {
			return fmt.Errorf("field \"updates[%d].value\" must be a string, number or boolean", i)
		}
	}
	return nil
}

// Name implements promotion.Step.
func (TOMLUpdate) Name() string { return "toml-update" }

// Run implements promotion.Step.
func (TOMLUpdate) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg tomlUpdateConfig
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
	// The full decoder also catches what the syntax-only parser lets
	// through, such as a key defined twice.
	if err := checkTOML(src); err != nil {
		return failed(fmt.Errorf("parsing TOML file %q: %w", cfg.Path, err))
	}
	keys := make([]string, len(cfg.Updates))
	values := make([]json.RawMessage, len(cfg.Updates))
	for i, u := range cfg.Updates {
		keys[i], values[i] = u.Key, u.Value
	}
	out, rendered, err := setTOMLValues(src, keys, values)
	if err != nil {
		return failed(fmt.Errorf("%q: %w", cfg.Path, err))
	}
	if err := checkTOML(out); err != nil {
		return failed(fmt.Errorf("%q: the updates would break the file: %w", cfg.Path, err))
	}
	if err := writeFileKeepMode(root, cfg.Path, out); err != nil {
		return errored(fmt.Errorf("writing %q: %w", cfg.Path, err))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Updated %s\n", cfg.Path)
	for i, k := range keys {
		fmt.Fprintf(&b, "\n- %s: %s", k, rendered[i])
	}
	return succeeded(map[string]any{"commitMessage": b.String()})
}

// checkTOML reports a syntax error with its line and column.
func checkTOML(b []byte) error {
	var v any
	err := toml.Unmarshal(b, &v)
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		return fmt.Errorf("line %d, column %d: %s", line, col, de.Error())
	}
	return err
}
