package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// explain turns API errors into messages that say what to do next: which
// verb RBAC is missing, or which namespace to look in.
func explain(err error, verb, resource, name, ns string) error {
	if err == nil {
		return nil
	}
	target := resource
	if name != "" {
		target += "/" + name
	}
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%w\nyou need the verb %s on %s in namespace %s; ask a project admin for a RoleBinding (see the promoter role in config/rbac/user_roles.yaml)", err, verb, target, ns)
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("%w\nyour credentials were refused: check the kubeconfig user of this context", err)
	}
	return fmt.Errorf("%s %s in namespace %s: %w", verb, target, ns, err)
}

// getOrList reads one object; when it does not exist the error names the
// objects of that kind that do exist, so the user can correct the name.
func getOrList(ctx context.Context, c client.Client, ns, name, kind string, obj client.Object, list client.ObjectList) error {
	err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj)
	if err == nil {
		return nil
	}
	resource := strings.ToLower(kind) + "s"
	if !apierrors.IsNotFound(err) {
		return explain(err, "get", resource, name, ns)
	}
	if lerr := c.List(ctx, list, client.InNamespace(ns)); lerr != nil {
		return fmt.Errorf("%s %q not found in namespace %s (use -n/--project to choose another)", kind, name, ns)
	}
	names := objectNames(list)
	if len(names) == 0 {
		return fmt.Errorf("%s %q not found: namespace %s has no %s (use -n/--project to choose another)", kind, name, ns, resource)
	}
	return fmt.Errorf("%s %q not found in namespace %s; it has: %s", kind, name, ns, strings.Join(names, ", "))
}

func objectNames(list client.ObjectList) []string {
	var names []string
	switch l := list.(type) {
	case *railyard.WarehouseList:
		for i := range l.Items {
			names = append(names, l.Items[i].Name)
		}
	case *railyard.StageList:
		for i := range l.Items {
			names = append(names, l.Items[i].Name)
		}
	case *railyard.PromotionList:
		for i := range l.Items {
			names = append(names, l.Items[i].Name)
		}
	case *railyard.FreightList:
		for i := range l.Items {
			names = append(names, freightLabel(&l.Items[i]))
		}
	}
	sort.Strings(names)
	return names
}

// freightLabel names Freight for people: its alias and short ID.
func freightLabel(f *railyard.Freight) string {
	if a := aliasOf(f); a != "" {
		return a + " (" + short(f.Name, 7) + ")"
	}
	return f.Name
}

// aliasOf returns the Freight's alias from the field or either label.
func aliasOf(f *railyard.Freight) string { return freight.AliasOf(f) }
