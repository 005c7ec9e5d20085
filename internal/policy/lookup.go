package policy

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// ProjectConfigFor returns the ProjectConfig of a project namespace, which is
// the one named like the namespace, or nil when there is none.
func ProjectConfigFor(ctx context.Context, r client.Reader, namespace string) (*railyard.ProjectConfig, error) {
	cfg := &railyard.ProjectConfig{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: namespace}, cfg); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("getting ProjectConfig %s/%s: %w", namespace, namespace, err)
	}
	return cfg, nil
}

// EnabledFor looks up the Stage's ProjectConfig and applies
// AutoPromotionEnabled to it.
func EnabledFor(ctx context.Context, r client.Reader, stage *railyard.Stage) (bool, error) {
	cfg, err := ProjectConfigFor(ctx, r, stage.Namespace)
	if err != nil {
		return false, err
	}
	return AutoPromotionEnabled(stage, cfg)
}

// StagesOfProjectConfig maps a ProjectConfig event to reconcile requests for
// every Stage of its namespace, so that a Stage reconciler watching
// ProjectConfigs sees policy edits at once. A ProjectConfig not named like
// its namespace is ignored and maps to nothing.
func StagesOfProjectConfig(r client.Reader) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		if obj.GetName() != obj.GetNamespace() {
			return nil
		}
		var stages railyard.StageList
		if err := r.List(ctx, &stages, client.InNamespace(obj.GetNamespace())); err != nil {
			log.FromContext(ctx).Error(err, "listing Stages for a ProjectConfig change", "namespace", obj.GetNamespace())
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(stages.Items))
		for _, s := range stages.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&s)})
		}
		return reqs
	}
}
