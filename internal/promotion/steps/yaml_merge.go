package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/kustomize/kyaml/yaml/merge2"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// YAMLMerge is the `yaml-merge` step: it merges YAML files in order into
// one. It uses kustomize's merge2, as Kargo does: maps merge recursively,
// later scalars and lists replace earlier ones, and a later null removes
// the key.
type YAMLMerge struct{}

type yamlMergeConfig struct {
	// InFiles are merged in order: each is applied over the previous ones.
	InFiles []string `json:"inFiles"`
	// OutFile is created or replaced.
	OutFile string `json:"outFile"`
	// IgnoreMissingFiles skips inFiles that do not exist; with none left
	// the output is an empty file.
	IgnoreMissingFiles bool `json:"ignoreMissingFiles,omitempty"`
}

func (c *yamlMergeConfig) validate() error {
	if len(c.InFiles) == 0 {
		return errors.New(`field "inFiles" must list at least one file`)
	}
	for i, f := range c.InFiles {
		if err := required(fmt.Sprintf("inFiles[%d]", i), f); err != nil {
			return err
		}
	}
	return required("outFile", c.OutFile)
}

// Name implements promotion.Step.
func (YAMLMerge) Name() string { return "yaml-merge" }

// Run implements promotion.Step.
func (YAMLMerge) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg yamlMergeConfig
	if err := decode(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	root, err := sc.OpenRoot()
	if err != nil {
		return errored(err)
	}
	defer func() { _ = root.Close() }()

	var merged *kyaml.RNode
	var used []string
	for _, in := range cfg.InFiles {
		src, err := root.ReadFile(in)
		if errors.Is(err, fs.ErrNotExist) {
			if cfg.IgnoreMissingFiles {
				continue
			}
			return failed(fmt.Errorf("input file %q does not exist", in))
		}
		if err != nil {
			return errored(fmt.Errorf("reading %q: %w", in, err))
		}
		used = append(used, in)
		if merged, err = mergeYAML(merged, src); err != nil {
			return failed(fmt.Errorf("merging %q: %w", in, err))
		}
	}

	var out []byte
	if merged != nil {
		s, err := merged.String()
		if err != nil {
			return failed(fmt.Errorf("rendering merged YAML: %w", err))
		}
		out = []byte(s)
	}
	if err := writeFileKeepMode(root, cfg.OutFile, out); err != nil {
		return errored(fmt.Errorf("writing %q: %w", cfg.OutFile, err))
	}
	var output map[string]any
	if msg := yamlMergeMessage(used, cfg.OutFile); msg != "" {
		output = map[string]any{"commitMessage": msg}
	}
	return succeeded(output)
}

// mergeYAML applies the document src over target (nil before the first
// document). An empty document changes nothing.
func mergeYAML(target *kyaml.RNode, src []byte) (out *kyaml.RNode, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%v", r)
		}
	}()
	patch, err := kyaml.Parse(string(src))
	if errors.Is(err, io.EOF) {
		return target, nil
	}
	if err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if target == nil {
		return patch, nil
	}
	return merge2.Merge(patch, target, kyaml.MergeOptions{})
}

func yamlMergeMessage(in []string, out string) string {
	switch len(in) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("Wrote %s to %s", in[0], out)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Merged %d YAML files to %s", len(in), out)
	for _, p := range in {
		fmt.Fprintf(&b, "\n- %s", p)
	}
	return b.String()
}
