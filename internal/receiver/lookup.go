package receiver

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/webhook"
)

// IndexPaths indexes ProjectConfigs and ClusterConfigs by the paths their
// status publishes, which is how a request finds its receiver.
const IndexPaths = "status.webhookReceivers.path"

// RegisterIndexes adds IndexPaths to the manager's cache.
func RegisterIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &railyard.ProjectConfig{}, IndexPaths, func(o client.Object) []string {
		return paths(o.(*railyard.ProjectConfig).Status.WebhookReceivers)
	}); err != nil {
		return fmt.Errorf("indexing ProjectConfigs by receiver path: %w", err)
	}
	if err := indexer.IndexField(ctx, &railyard.ClusterConfig{}, IndexPaths, func(o client.Object) []string {
		return paths(o.(*railyard.ClusterConfig).Status.WebhookReceivers)
	}); err != nil {
		return fmt.Errorf("indexing ClusterConfigs by receiver path: %w", err)
	}
	return nil
}

func paths(st []railyard.WebhookReceiverStatus) []string {
	out := make([]string, 0, len(st))
	for _, s := range st {
		if s.Path != "" {
			out = append(out, s.Path)
		}
	}
	return out
}

// Finder resolves request paths to receivers.
type Finder struct {
	// Cache lists configs by IndexPaths and Warehouses.
	Cache client.Reader
	// Secrets reads receiver Secrets; an uncached reader, so that the
	// manager does not hold every Secret of the cluster.
	Secrets client.Reader
	// SystemNamespace holds the ClusterConfig receivers' Secrets.
	SystemNamespace string
}

// Lookup implements webhook.Handler.Lookup. A path is served only while
// the Secret it was derived from still yields it: after a rotation the old
// URL stops working at once, even before the status is rewritten.
func (f *Finder) Lookup(ctx context.Context, path string) (*webhook.Receiver, bool, error) {
	var pcs railyard.ProjectConfigList
	if err := f.Cache.List(ctx, &pcs, client.MatchingFields{IndexPaths: path}); err != nil {
		return nil, false, fmt.Errorf("listing ProjectConfigs by receiver path: %w", err)
	}
	for i := range pcs.Items {
		pc := &pcs.Items[i]
		if pc.Name != pc.Namespace {
			continue // ignored ProjectConfig; its status should be empty anyway
		}
		if r, ok, err := f.match(ctx, path, pc.Namespace, pc.Namespace, pc.Spec.WebhookReceivers, pc.Status.WebhookReceivers); ok || err != nil {
			return r, ok, err
		}
	}
	var ccs railyard.ClusterConfigList
	if err := f.Cache.List(ctx, &ccs, client.MatchingFields{IndexPaths: path}); err != nil {
		return nil, false, fmt.Errorf("listing ClusterConfigs by receiver path: %w", err)
	}
	for i := range ccs.Items {
		cc := &ccs.Items[i]
		if cc.Name != railyard.ClusterConfigName || f.SystemNamespace == "" {
			continue
		}
		if r, ok, err := f.match(ctx, path, "", f.SystemNamespace, cc.Spec.WebhookReceivers, cc.Status.WebhookReceivers); ok || err != nil {
			return r, ok, err
		}
	}
	return nil, false, nil
}

func (f *Finder) match(ctx context.Context, path, project, secretNamespace string,
	cfgs []railyard.WebhookReceiverConfig, published []railyard.WebhookReceiverStatus) (*webhook.Receiver, bool, error) {
	for _, st := range published {
		if st.Path != path {
			continue
		}
		for _, cfg := range cfgs {
			if cfg.Name != st.Name {
				continue
			}
			p, secretName, ok := webhook.ProviderFor(cfg)
			if !ok {
				return nil, false, nil
			}
			secret, err := readSecret(ctx, f.Secrets, secretNamespace, secretName)
			if err != nil || webhook.ReceiverPath(p.Name(), project, cfg.Name, secret[p.SecretKey()]) != path {
				// Deleted or rotated: the path is no longer valid.
				return nil, false, err
			}
			return &webhook.Receiver{
				Project:    project,
				Name:       cfg.Name,
				Provider:   p,
				Secret:     secret,
				Config:     cfg,
				Warehouses: f.warehouses(project),
			}, true, nil
		}
	}
	return nil, false, nil
}

// warehouses lists the project's Warehouses, or every project's for a
// cluster-wide receiver.
func (f *Finder) warehouses(project string) func(ctx context.Context) ([]railyard.Warehouse, error) {
	return func(ctx context.Context) ([]railyard.Warehouse, error) {
		var list railyard.WarehouseList
		var opts []client.ListOption
		if project != "" {
			opts = append(opts, client.InNamespace(project))
		}
		if err := f.Cache.List(ctx, &list, opts...); err != nil {
			return nil, fmt.Errorf("listing Warehouses: %w", err)
		}
		return list.Items, nil
	}
}
