package freight

import (
	"context"
	"fmt"
	"sort"

	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// ContentIndex is the field index of Freight by content address, which
// IndexContent registers; controllers look Freight up through it instead of
// listing a namespace's Freight for every Freight they check.
const ContentIndex = "freight.content"

// IndexContent registers ContentIndex with a manager's cache.
func IndexContent(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &railyard.Freight{}, ContentIndex, func(o client.Object) []string {
		return []string{IDOf(o.(*railyard.Freight))}
	}); err != nil {
		return fmt.Errorf("indexing Freight by content: %w", err)
	}
	return nil
}

// WithContent lists the Freight of namespace whose content address is id,
// oldest first (creation time, then name). Freight is identified by its
// content, not its name: Railyard names the Freight it creates by content,
// but Kargo users apply Freight under names of their own (Kargo's webhook
// renames it; Railyard keeps the name), so the content is what to look up.
// indexed says c is a cache with ContentIndex; otherwise (the CLI, reading
// the API server once) the namespace's Freight are listed and filtered.
func WithContent(ctx context.Context, c client.Reader, namespace, id string, indexed bool) ([]*railyard.Freight, error) {
	opts := []client.ListOption{client.InNamespace(namespace)}
	if indexed {
		opts = append(opts, client.MatchingFields{ContentIndex: id})
	}
	var list railyard.FreightList
	if err := c.List(ctx, &list, opts...); err != nil {
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
