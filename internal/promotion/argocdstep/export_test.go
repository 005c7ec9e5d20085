package argocdstep

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// SyncFromCopy runs one Application's sync decision starting from obj, a
// copy read earlier, for the envtest tests in package argocdstep_test
// (which cannot be internal: testenv imports the manager, which imports
// this package).
func SyncFromCopy(ctx context.Context, c client.Client, obj *unstructured.Unstructured, project, stage, promotion string, updates []SourceUpdate) (railyard.StepStatus, string, error) {
	info := promotionInfo{project: project, stage: stage, promotion: promotion}
	t := &target{key: client.ObjectKeyFromObject(obj), updates: updates}
	if err := t.prepare(obj, info); err != nil {
		return "", "", err
	}
	o, err := syncWithRetry(ctx, c, t, info)
	return o.status, o.message, err
}
