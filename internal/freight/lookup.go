package freight

import (
	"context"
	"fmt"
	"sort"

	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// WithContent lists the Freight of namespace whose content address is id,
// oldest first (creation time, then name). Freight is identified by its
// content, not its name: Railyard names the Freight it creates by content,
// but Kargo users apply Freight under names of their own (Kargo's webhook
// renames it; Railyard keeps the name), so the content is what to look up.
func WithContent(ctx context.Context, c client.Reader, namespace, id string) ([]*railyard.Freight, error) {
	var list railyard.FreightList
	if err := c.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing Freight in %s: %w", namespace, err)
	}
	var out []*railyard.Freight
	for i := range list.Items {
		if f := &list.Items[i]; f.Name == id || IDOf(f) == id {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		ti, tj := out[i].CreationTimestamp, out[j].CreationTimestamp
		if !ti.Equal(&tj) {
			return ti.Before(&tj)
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
