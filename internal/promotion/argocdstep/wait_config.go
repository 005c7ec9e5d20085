package argocdstep

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// waitConfig is the argocd-wait configuration; field names follow Kargo.
type waitConfig struct {
	Apps []waitApp `json:"apps"`
}

type waitApp struct {
	Name      string                `json:"name,omitempty"`
	Namespace string                `json:"namespace,omitempty"`
	Selector  *metav1.LabelSelector `json:"selector,omitempty"`
	WaitFor   []string              `json:"waitFor,omitempty"`
}

// waitFor values.
const (
	waitHealth    = "health"
	waitSync      = "sync"
	waitOperation = "operation"
	waitSuspended = "suspended"
	waitDegraded  = "degraded"
)

var defaultWaitFor = []string{waitHealth, waitSync, waitOperation}

func (a waitApp) waitFor() []string {
	if len(a.WaitFor) == 0 {
		return defaultWaitFor
	}
	return a.WaitFor
}

func decodeWaitConfig(raw map[string]any) (waitConfig, error) {
	var cfg waitConfig
	if err := promotion.DecodeConfig(raw, &cfg); err != nil {
		return cfg, err
	}
	if len(cfg.Apps) == 0 {
		return cfg, promotion.Terminalf("invalid config: apps: at least one Application is required")
	}
	for i, a := range cfg.Apps {
		if err := (AppConfig{Name: a.Name, Selector: a.Selector}).validate(); err != nil {
			return cfg, promotion.Terminalf("invalid config: apps[%d].%w", i, err)
		}
		for j, w := range a.WaitFor {
			switch w {
			case waitHealth, waitSync, waitOperation, waitSuspended, waitDegraded:
			default:
				return cfg, promotion.Terminalf("invalid config: apps[%d].waitFor[%d]: %q is not one of health, sync, operation, suspended, degraded", i, j, w)
			}
		}
	}
	return cfg, nil
}

// ConfigType implements promotion.ConfigSchema.
func (*Wait) ConfigType() any { return waitConfig{} }
