package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// HelmTemplate is the `helm-template` step: it renders a local chart with
// `helm template` into a file or a directory.
type HelmTemplate struct {
	// HelmCommand is the helm binary; see HelmPath.
	HelmCommand string
	// GuardCommand is the helm guard program; see GuardExecutable.
	GuardCommand string
}

type helmTemplateConfig struct {
	// Path is the chart directory.
	Path string `json:"path"`
	// OutPath is a file when it ends in .yaml or .yml, else a directory.
	OutPath string `json:"outPath"`
	// OutLayout of a directory OutPath: "helm" (default; helm's
	// <chart>/templates/... tree) or "flat" (one file per resource).
	OutLayout string `json:"outLayout,omitempty"`
	// ReleaseName is the release name.
	ReleaseName string `json:"releaseName"`
	// UseReleaseName puts the "helm" layout under <outPath>/<releaseName>.
	UseReleaseName bool `json:"useReleaseName,omitempty"`
	// Namespace of the release; defaults to the project.
	Namespace string `json:"namespace,omitempty"`
	// ValuesFiles, in order, relative to the work directory.
	ValuesFiles []string `json:"valuesFiles,omitempty"`
	// IgnoreMissingValueFiles skips values files that do not exist.
	IgnoreMissingValueFiles bool `json:"ignoreMissingValueFiles,omitempty"`
	// SetValues are applied after the values files.
	SetValues []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
		// Literal passes the value with --set-literal (no type inference).
		Literal bool `json:"literal,omitempty"`
	} `json:"setValues,omitempty"`
	// BuildDependencies runs `helm dependency build` first, with the
	// project's Helm credentials.
	BuildDependencies bool     `json:"buildDependencies,omitempty"`
	IncludeCRDs       bool     `json:"includeCRDs,omitempty"`
	DisableHooks      bool     `json:"disableHooks,omitempty"`
	SkipTests         bool     `json:"skipTests,omitempty"`
	KubeVersion       string   `json:"kubeVersion,omitempty"`
	APIVersions       []string `json:"apiVersions,omitempty"`
}

func (c *helmTemplateConfig) validate() error {
	for _, f := range []struct{ name, value string }{
		{"path", c.Path}, {"outPath", c.OutPath}, {"releaseName", c.ReleaseName},
	} {
		if err := required(f.name, f.value); err != nil {
			return err
		}
	}
	switch c.OutLayout {
	case "", "helm", "flat":
	default:
		return fmt.Errorf(`field "outLayout" must be "helm" or "flat", not %q`, c.OutLayout)
	}
	// Names become positional helm arguments; a leading '-' would be read
	// as a flag.
	if strings.HasPrefix(c.ReleaseName, "-") {
		return fmt.Errorf(`field "releaseName" must not start with "-"`)
	}
	for i, v := range c.SetValues {
		if err := required(fmt.Sprintf("setValues[%d].key", i), v.Key); err != nil {
			return err
		}
	}
	for i, f := range c.ValuesFiles {
		if err := required(fmt.Sprintf("valuesFiles[%d]", i), f); err != nil {
			return err
		}
	}
	return nil
}

func (c *helmTemplateConfig) outIsFile() bool {
	ext := filepath.Ext(c.OutPath)
	return ext == ".yaml" || ext == ".yml"
}

// Name implements promotion.Step.
func (HelmTemplate) Name() string { return "helm-template" }

// Run implements promotion.Step.
func (h HelmTemplate) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg helmTemplateConfig
	if err := decode(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	root, err := sc.OpenRoot()
	if err != nil {
		return errored(err)
	}
	defer func() { _ = root.Close() }()
	chart, err := root.Resolve(cfg.Path)
	if err != nil {
		return errored(err)
	}
	// Checked here for the message; the guard checks again.
	if _, err := root.Resolve(cfg.OutPath); err != nil {
		return errored(err)
	}
	guard, err := openHelmGuard(ctx, root, h.HelmCommand, h.GuardCommand, "")
	if err != nil {
		return errored(err)
	}
	defer guard.Close()
	// helm writes the "helm" layout itself and would follow links committed
	// in outPath: it renders into a fresh directory, copied through root.
	render := filepath.Join(guard.home, "render")
	args, err := helmTemplateArgs(sc, root, &cfg, chart, render)
	if err != nil {
		return failed(err)
	}
	if cfg.BuildDependencies {
		if err := buildDependencies(ctx, sc, root, guard, cfg.Path); err != nil {
			return errored(fmt.Errorf("building dependencies of %q: %w", cfg.Path, err))
		}
	}
	rendered, err := runHelm(ctx, guard, root.Dir(), args...)
	if err != nil {
		var he *helmError
		if errors.As(err, &he) && he.exited() {
			return failed(fmt.Errorf("rendering %q: %w", cfg.Path, err))
		}
		return errored(fmt.Errorf("rendering %q: %w", cfg.Path, err))
	}
	switch {
	case cfg.outIsFile():
		err = root.WriteFile(cfg.OutPath, rendered, 0o644)
	case cfg.OutLayout == "flat":
		err = writeFlat(root, cfg.OutPath, rendered)
	default:
		var renderRel string
		if renderRel, err = root.Rel(render); err == nil {
			err = copyRendered(root, renderRel, cfg.OutPath)
		}
	}
	if err != nil {
		return errored(fmt.Errorf("writing %q: %w", cfg.OutPath, err))
	}
	return succeeded(nil)
}

// copyRendered copies the regular files helm wrote below from into to.
func copyRendered(root *workdir.Root, from, to string) error {
	return fs.WalkDir(root.FS(), filepath.ToSlash(from), func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == filepath.ToSlash(from) {
			return nil // nothing rendered
		}
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(from, filepath.FromSlash(p))
		if err != nil {
			return err
		}
		return copyFile(root, filepath.FromSlash(p), filepath.Join(to, rel), 0o644)
	})
}

// helmTemplateArgs builds the `helm template` command line. Every path is
// already resolved inside the work directory.
func helmTemplateArgs(sc *promotion.StepContext, root *workdir.Root, cfg *helmTemplateConfig, chart, out string) ([]string, error) {
	ns := cfg.Namespace
	if ns == "" {
		ns = sc.Project
	}
	args := []string{"template", cfg.ReleaseName, chart}
	if ns != "" {
		args = append(args, "--namespace", ns)
	}
	for i, f := range cfg.ValuesFiles {
		p, err := root.Resolve(f)
		if err != nil {
			return nil, fmt.Errorf("valuesFiles[%d]: %w", i, err)
		}
		if _, err := root.Stat(f); errors.Is(err, fs.ErrNotExist) {
			if cfg.IgnoreMissingValueFiles {
				continue
			}
			return nil, fmt.Errorf("values file %q does not exist", f)
		}
		args = append(args, "--values", p)
	}
	for _, v := range cfg.SetValues {
		flag := "--set"
		if v.Literal {
			flag = "--set-literal"
		}
		args = append(args, flag, v.Key+"="+v.Value)
	}
	for _, b := range []struct {
		on   bool
		flag string
	}{{cfg.IncludeCRDs, "--include-crds"}, {cfg.DisableHooks, "--no-hooks"}, {cfg.SkipTests, "--skip-tests"}} {
		if b.on {
			args = append(args, b.flag)
		}
	}
	if cfg.KubeVersion != "" {
		args = append(args, "--kube-version", cfg.KubeVersion)
	}
	for _, v := range cfg.APIVersions {
		args = append(args, "--api-versions", v)
	}
	if !cfg.outIsFile() && cfg.OutLayout != "flat" {
		args = append(args, "--output-dir", out)
		if cfg.UseReleaseName {
			args = append(args, "--release-name")
		}
	}
	return args, nil
}
