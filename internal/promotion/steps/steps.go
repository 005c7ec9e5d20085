// Package steps holds the built-in promotion steps that rewrite and render
// files in a Promotion's work directory: kustomize-set-image, yaml-update,
// helm-update-chart, kustomize-build, helm-template, copy, delete,
// file-write, yaml-parse, json-parse, toml-parse, yaml-merge, json-update,
// toml-update, tar, untar, compose-output and fail. Config field names follow Kargo so that Kargo step
// configurations work unchanged.
package steps

import (
	"fmt"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// Options configures the built-in steps.
type Options struct {
	// HelmCommand is the helm binary used by kustomize-build (helmCharts:)
	// and helm-template. Empty means: $RAILYARD_HELM, else bin/k8s/helm of
	// the enclosing Go module (for tests and development), else `helm` on
	// PATH. See HelmPath.
	HelmCommand string
	// GuardCommand is the helm guard program; empty means
	// railyard-helm-guard next to the running executable, else the running
	// executable itself. See GuardExecutable.
	GuardCommand string
	// ChartCacheDir is kustomize-build's chart cache; empty turns it off.
	ChartCacheDir string
}

// Builtins returns every step of this package, ready to be registered.
func Builtins(opts Options) []promotion.Step {
	return []promotion.Step{
		KustomizeSetImage{},
		YAMLUpdate{},
		HelmUpdateChart{HelmCommand: opts.HelmCommand, GuardCommand: opts.GuardCommand},
		KustomizeBuild{HelmCommand: opts.HelmCommand, GuardCommand: opts.GuardCommand, ChartCacheDir: opts.ChartCacheDir},
		HelmTemplate{HelmCommand: opts.HelmCommand, GuardCommand: opts.GuardCommand},
		Copy{},
		Delete{},
		FileWrite{},
		YAMLParse{},
		JSONParse{},
		TOMLParse{},
		YAMLMerge{},
		JSONUpdate{},
		TOMLUpdate{},
		Tar{},
		Untar{},
		ComposeOutput{},
		Fail{},
	}
}

// failed is the result and error of a problem no retry can fix: bad config,
// a missing key, a broken kustomization. err is wrapped as terminal.
func failed(err error) (promotion.Result, error) {
	if !promotion.IsTerminal(err) {
		err = promotion.Terminal(err)
	}
	return promotion.Result{Status: railyard.StepStatusFailed, Message: err.Error()}, err
}

// errored is the result and error of a problem that a retry may fix, such as
// an I/O failure. Terminal errors (from sc.Path) still end as Failed.
func errored(err error) (promotion.Result, error) {
	if promotion.IsTerminal(err) {
		return failed(err)
	}
	return promotion.Result{Status: railyard.StepStatusErrored, Message: err.Error()}, err
}

func succeeded(output map[string]any) (promotion.Result, error) {
	return promotion.Result{Status: railyard.StepStatusSucceeded, Output: output}, nil
}

// decode decodes config into cfg and runs its validation.
func decode[T interface{ validate() error }](config map[string]any, cfg T) error {
	if err := promotion.DecodeConfig(config, cfg); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return promotion.Terminal(fmt.Errorf("invalid config: %w", err))
	}
	return nil
}

// required reports a missing or empty required string field.
func required(field, value string) error {
	if value == "" {
		return fmt.Errorf("field %q is required", field)
	}
	return nil
}
