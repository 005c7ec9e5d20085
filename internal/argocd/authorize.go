package argocd

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// authorizedStageKeys are read in this order; either may authorize a Stage
// so that Applications annotated for Kargo keep working.
var authorizedStageKeys = []string{railyard.AnnotationAuthorizedStage, railyard.AnnotationKargoAuthorizedStage}

// IsAuthorized reports whether the Application (any object) allows the
// Stage <project>:<stage> to update it. The annotation value is a comma
// separated list of "<project>:<stage>". Wildcards are not honoured: Kargo
// dropped glob support, and an Application opting in to "every Stage" would
// defeat the point of the annotation.
func IsAuthorized(obj metav1.Object, project, stage string) bool {
	want := types.NamespacedName{Namespace: project, Name: stage}
	for _, s := range AuthorizedStages(obj) {
		if s == want {
			return true
		}
	}
	return false
}

// AuthorizedStages returns every Stage an object's authorized-stage
// annotations name, as Namespace=project, Name=stage. Malformed entries and
// entries with wildcards are skipped. A Stage controller uses this to map
// Application events to Stages.
func AuthorizedStages(obj metav1.Object) []types.NamespacedName {
	annotations := obj.GetAnnotations()
	var out []types.NamespacedName
	seen := map[types.NamespacedName]bool{}
	for _, key := range authorizedStageKeys {
		for _, entry := range strings.Split(annotations[key], ",") {
			project, stage, ok := strings.Cut(strings.TrimSpace(entry), ":")
			project, stage = strings.TrimSpace(project), strings.TrimSpace(stage)
			if !ok || project == "" || stage == "" || strings.ContainsAny(project+stage, "*?[:") {
				continue
			}
			s := types.NamespacedName{Namespace: project, Name: stage}
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// AuthorizationHint tells a user how to let a Stage update an Application.
func AuthorizationHint(project, stage string) string {
	return fmt.Sprintf("add the annotation %s: %q to the Application (or append it to the existing value, comma separated)",
		railyard.AnnotationAuthorizedStage, project+":"+stage)
}
