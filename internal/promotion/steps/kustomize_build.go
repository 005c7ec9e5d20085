package steps

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// KustomizeBuild is the `kustomize-build` step: it renders a kustomization
// in process into a file or a directory of files, inflating `helmCharts:`
// with the helm binary.
type KustomizeBuild struct {
	// HelmCommand is the helm binary; see HelmPath.
	HelmCommand string
	// GuardCommand is the helm guard program; see GuardExecutable.
	GuardCommand string
	// ChartCacheDir, when set, keeps charts pulled from HTTP repositories
	// across builds (see helm_chart_cache.go). It must be outside every
	// work directory.
	ChartCacheDir string
}

type kustomizeBuildConfig struct {
	// Path is the kustomization directory.
	Path string `json:"path"`
	// OutPath is a file when it ends in .yaml or .yml, else a directory
	// that receives one file per resource.
	OutPath string `json:"outPath"`
	// OutputFormat names the files of a directory OutPath: "kargo"
	// (default, [namespace-]kind-name.yaml) or "kustomize"
	// ([namespace_]group_version_kind_name.yaml).
	OutputFormat string `json:"outputFormat,omitempty"`
	Plugin       *struct {
		Helm *struct {
			APIVersions []string `json:"apiVersions,omitempty"`
			KubeVersion string   `json:"kubeVersion,omitempty"`
		} `json:"helm,omitempty"`
	} `json:"plugin,omitempty"`
}

func (c *kustomizeBuildConfig) validate() error {
	if err := required("path", c.Path); err != nil {
		return err
	}
	if err := required("outPath", c.OutPath); err != nil {
		return err
	}
	switch c.OutputFormat {
	case "", "kargo", "kustomize":
	default:
		return fmt.Errorf(`field "outputFormat" must be "kargo" or "kustomize", not %q`, c.OutputFormat)
	}
	return nil
}

// kustomizeHelmEnv is the environment kustomize puts in helm errors: paths
// of its temporary directory, not for users.
var kustomizeHelmEnv = regexp.MustCompile(` with env=\[[^\]]*\]`)

// kustomizeMu serialises builds: kustomize keeps process-wide state (the
// OpenAPI schema in use) that concurrent builds would race on.
var kustomizeMu sync.Mutex

// Name implements promotion.Step.
func (KustomizeBuild) Name() string { return "kustomize-build" }

// Run implements promotion.Step.
func (k KustomizeBuild) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg kustomizeBuildConfig
	if err := decode(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	root, err := sc.OpenRoot()
	if err != nil {
		return errored(err)
	}
	defer func() { _ = root.Close() }()
	dir, err := root.Resolve(cfg.Path)
	if err != nil {
		return errored(err)
	}
	if _, err := root.Resolve(cfg.OutPath); err != nil {
		return errored(err)
	}
	guard, err := openHelmGuard(ctx, root, k.HelmCommand, k.GuardCommand, k.ChartCacheDir)
	if err != nil {
		return errored(err)
	}
	defer guard.Close()
	fsys, err := newRootedFS(root.Dir())
	if err != nil {
		return errored(fmt.Errorf("opening work directory: %w", err))
	}
	rm, err := kustomizeRun(fsys, dir, guard.Command(), cfg)
	if err != nil {
		refusal := guard.Refusal()
		if refusal == nil {
			refusal = fsys.Refused()
		}
		if refusal != nil {
			return failed(fmt.Errorf("building %q: %w", cfg.Path, refusal))
		}
		// kustomize's message says what is wrong with the kustomization;
		// the absolute work directory in it means nothing to users.
		msg := strings.ReplaceAll(err.Error(), fsys.root+string(filepath.Separator), "")
		msg = strings.ReplaceAll(kustomizeHelmEnv.ReplaceAllString(msg, ""), guard.Command(), "helm")
		// Our filesystem's refusals reach us as text through kustomize.
		if errors.Is(err, workdir.ErrPathEscapes) || strings.Contains(msg, workdir.ErrPathEscapes.Error()) {
			return failed(fmt.Errorf("building %q: %w", cfg.Path, escapeMessage(msg)))
		}
		return failed(fmt.Errorf("building %q: %s", cfg.Path, msg))
	}
	if err := writeResMap(root, rm, cfg.OutPath, cfg.OutputFormat); err != nil {
		return errored(fmt.Errorf("writing %q: %w", cfg.OutPath, err))
	}
	return succeeded(nil)
}

func kustomizeRun(fsys rootedFS, dir, helm string, cfg kustomizeBuildConfig) (rm resmap.ResMap, err error) {
	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	// Kustomize panics on some malformed input; a panic must not reach the
	// manager.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kustomize panicked: %v", r)
		}
	}()
	plugins := kustypes.DisabledPluginConfig()
	plugins.HelmConfig.Enabled = true
	plugins.HelmConfig.Command = helm
	if cfg.Plugin != nil && cfg.Plugin.Helm != nil {
		plugins.HelmConfig.ApiVersions = cfg.Plugin.Helm.APIVersions
		plugins.HelmConfig.KubeVersion = cfg.Plugin.Helm.KubeVersion
	}
	kz := krusty.MakeKustomizer(&krusty.Options{
		// The filesystem itself confines reads to the work directory, so
		// overlays may use files from sibling directories as in Kargo.
		LoadRestrictions: kustypes.LoadRestrictionsNone,
		PluginConfig:     plugins,
	})
	return kz.Run(fsys, dir)
}

// writeResMap writes all resources to one file, or one file per resource
// into a directory; out is relative to root.
func writeResMap(root *workdir.Root, rm resmap.ResMap, out, format string) error {
	if ext := filepath.Ext(out); ext == ".yaml" || ext == ".yml" {
		b, err := rm.AsYaml()
		if err != nil {
			return err
		}
		return root.WriteFile(out, b, 0o644)
	}
	if err := root.MkdirAll(out, 0o755); err != nil {
		return err
	}
	byNS := rm.GroupedByCurrentNamespace()
	multiNS := len(byNS) > 1
	var all []*resource.Resource
	for _, list := range byNS {
		all = append(all, list...)
	}
	all = append(all, rm.ClusterScoped()...)
	for _, res := range all {
		name := kargoFileName(res)
		if format == "kustomize" {
			name = kustomizeFileName(res, multiNS)
		}
		if err := safeFileName(name); err != nil {
			return err
		}
		m, err := res.Map()
		if err != nil {
			return err
		}
		b, err := yaml.Marshal(m)
		if err != nil {
			return err
		}
		if err := root.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// kargoFileName is [namespace-]kind-name.yaml, lower case.
func kargoFileName(res *resource.Resource) string {
	name := res.GetKind() + "-" + res.GetName()
	if ns := res.GetNamespace(); ns != "" {
		name = ns + "-" + name
	}
	return strings.ToLower(name + ".yaml")
}

// kustomizeFileName is [namespace_]group_version_kind_name.yaml, as
// `kustomize build -o dir` writes; the namespace only with several.
func kustomizeFileName(res *resource.Resource, multiNS bool) string {
	name := strings.ToLower(res.GetGvk().StringWoEmptyField() + "_" + res.GetName() + ".yaml")
	if ns := res.GetNamespace(); multiNS && ns != "" {
		name = strings.ToLower(ns) + "_" + name
	}
	return name
}

// safeFileName refuses names from resource metadata that are not a plain
// file name, so a resource named "../x" cannot write outside the directory.
func safeFileName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || filepath.Clean(name) != name {
		return fmt.Errorf("unsafe file name %q from resource metadata", name)
	}
	return nil
}

// escapeMessage is a message of ours that kustomize turned into text: it is
// still an ErrPathEscapes.
type escapeMessage string

func (e escapeMessage) Error() string { return string(e) }
func (escapeMessage) Unwrap() error   { return workdir.ErrPathEscapes }
