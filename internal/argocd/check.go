package argocd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// ErrNotHealthCheck means a health check is not one argocd-update left.
var ErrNotHealthCheck = errors.New("not an argocd-update health check")

// HealthCheck wraps the criteria as the health check a step returns.
func (c Criteria) HealthCheck() (*railyard.HealthCheckStep, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encoding Argo CD health criteria: %w", err)
	}
	return &railyard.HealthCheckStep{Uses: HealthCheckKind, Config: &apiextensionsv1.JSON{Raw: raw}}, nil
}

// CriteriaFrom decodes the criteria of a health check argocd-update left.
func CriteriaFrom(hc railyard.HealthCheckStep) (Criteria, error) {
	var c Criteria
	if hc.Uses != HealthCheckKind {
		return c, fmt.Errorf("%w: uses %q", ErrNotHealthCheck, hc.Uses)
	}
	if hc.Config == nil {
		return c, nil
	}
	if err := json.Unmarshal(hc.Config.Raw, &c); err != nil {
		return c, fmt.Errorf("decoding Argo CD health criteria: %w", err)
	}
	return c, nil
}

// CheckHealth fetches the Applications named in c and evaluates them. The
// reader's scheme must include this package (AddToScheme). When Argo CD's
// CRD is not installed every Application is reported missing, with an
// issue saying why.
func CheckHealth(ctx context.Context, r client.Reader, c Criteria) (HealthResult, error) {
	apps := make(map[types.NamespacedName]*Application, len(c.Apps))
	var noCRD bool
	for _, want := range c.Apps {
		app := &Application{}
		err := r.Get(ctx, want.Key(), app)
		switch {
		case err == nil:
			apps[want.Key()] = app
		case apierrors.IsNotFound(err):
		case meta.IsNoMatchError(err):
			noCRD = true
		default:
			return HealthResult{}, fmt.Errorf("getting Argo CD Application %s: %w", want.Key(), err)
		}
	}
	res := EvaluateHealth(c, apps)
	if noCRD {
		res.Issues = append(res.Issues, "Argo CD's Application CRD is not installed in this cluster")
	}
	return res, nil
}

// RequestRefresh asks Argo CD to compare an Application again. It patches
// only the refresh annotation, so it works whatever the client's scheme.
func RequestRefresh(ctx context.Context, c client.Client, key types.NamespacedName) error {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(ApplicationKind)
	u.SetNamespace(key.Namespace)
	u.SetName(key.Name)
	patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:"normal"}}}`, AnnotationRefresh))
	if err := c.Patch(ctx, u, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("requesting a refresh of Argo CD Application %s: %w", key, err)
	}
	return nil
}
