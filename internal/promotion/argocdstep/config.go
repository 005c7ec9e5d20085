package argocdstep

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// Config is the argocd-update configuration; field names follow Kargo.
type Config struct {
	// Apps are the Applications to update and sync.
	Apps []AppConfig `json:"apps"`
}

// AppConfig selects Applications by name or by labels.
type AppConfig struct {
	Name      string                `json:"name,omitempty"`
	Selector  *metav1.LabelSelector `json:"selector,omitempty"`
	Namespace string                `json:"namespace,omitempty"`
	// Sources are updates to the Applications' sources.
	Sources []SourceUpdate `json:"sources,omitempty"`
}

// SourceUpdate changes the Application source with the same repoURL (and
// chart, for Helm chart sources).
type SourceUpdate struct {
	RepoURL string `json:"repoURL"`
	Chart   string `json:"chart,omitempty"`
	// DesiredRevision is the revision the sync must apply (a commit for git,
	// a version for a chart) and the health check later expects.
	DesiredRevision string `json:"desiredRevision,omitempty"`
	// UpdateTargetRevision also writes DesiredRevision to targetRevision.
	UpdateTargetRevision bool             `json:"updateTargetRevision,omitempty"`
	Kustomize            *KustomizeUpdate `json:"kustomize,omitempty"`
	Helm                 *HelmUpdate      `json:"helm,omitempty"`
}

// KustomizeUpdate sets kustomize image overrides.
type KustomizeUpdate struct {
	Images []KustomizeImage `json:"images"`
}

// KustomizeImage overrides one image: repoURL (optionally renamed to
// newName) at a tag or a digest.
type KustomizeImage struct {
	RepoURL string `json:"repoURL"`
	Tag     string `json:"tag,omitempty"`
	Digest  string `json:"digest,omitempty"`
	NewName string `json:"newName,omitempty"`
}

// HelmUpdate sets Helm parameters. Kargo calls them images; any key works.
type HelmUpdate struct {
	Images []HelmParameter `json:"images"`
}

// HelmParameter is one Helm parameter, such as image.tag.
type HelmParameter struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// decodeConfig decodes and validates the step's configuration. A violation
// is a terminal error naming the field.
func decodeConfig(raw map[string]any) (Config, error) {
	var cfg Config
	if err := promotion.DecodeConfig(raw, &cfg); err != nil {
		return cfg, err
	}
	if err := cfg.validate(); err != nil {
		return cfg, promotion.Terminalf("invalid config: %w", err)
	}
	return cfg, nil
}

func (c Config) validate() error {
	if len(c.Apps) == 0 {
		return fmt.Errorf("apps: at least one Application is required")
	}
	for i, app := range c.Apps {
		if err := app.validate(); err != nil {
			return fmt.Errorf("apps[%d].%w", i, err)
		}
	}
	return nil
}

func (a AppConfig) validate() error {
	if (a.Name == "") == (a.Selector == nil) {
		return fmt.Errorf("name, selector: exactly one is required")
	}
	if a.Selector != nil {
		if _, err := metav1.LabelSelectorAsSelector(a.Selector); err != nil {
			return fmt.Errorf("selector: %w", err)
		}
		if len(a.Selector.MatchLabels) == 0 && len(a.Selector.MatchExpressions) == 0 {
			return fmt.Errorf("selector: an empty selector would match every Application")
		}
	}
	for i, s := range a.Sources {
		if err := s.validate(); err != nil {
			return fmt.Errorf("sources[%d].%w", i, err)
		}
	}
	return nil
}

func (s SourceUpdate) validate() error {
	if s.RepoURL == "" {
		return fmt.Errorf("repoURL: required")
	}
	if s.UpdateTargetRevision && s.DesiredRevision == "" {
		return fmt.Errorf("desiredRevision: required when updateTargetRevision is true")
	}
	if s.Kustomize != nil {
		for i, img := range s.Kustomize.Images {
			switch {
			case img.RepoURL == "":
				return fmt.Errorf("kustomize.images[%d].repoURL: required", i)
			case (img.Tag == "") == (img.Digest == ""):
				return fmt.Errorf("kustomize.images[%d].tag, digest: exactly one is required", i)
			}
		}
	}
	if s.Helm != nil {
		for i, p := range s.Helm.Images {
			if p.Key == "" {
				return fmt.Errorf("helm.images[%d].key: required", i)
			}
		}
	}
	return nil
}

// ConfigType implements promotion.ConfigSchema: unknown fields are refused
// when a Promotion is snapshotted.
func (Step) ConfigType() any { return Config{} }
