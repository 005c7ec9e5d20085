package expr

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// DefaultSharedNamespace is where sharedSecret() and sharedConfigMap() read
// unless the manager is configured otherwise: Railyard's counterpart of
// Kargo's "kargo-shared-resources".
const DefaultSharedNamespace = "railyard-shared-resources"

// ClientLookup reads Secrets and ConfigMaps of one namespace through a
// Kubernetes client. Use an uncached reader (the manager's APIReader) so the
// manager does not watch every Secret of the cluster.
type ClientLookup struct {
	Reader    client.Reader
	Namespace string
	// GenericOnly hides Secrets not labelled as generic credentials
	// (railyard.dev/cred-type or kargo.akuity.io/cred-type "generic"):
	// sharedSecret() must not hand repository credentials shared by all
	// projects to expressions, as in Kargo.
	GenericOnly bool
}

var _ DataLookup = ClientLookup{}

// Secret returns the Secret's data as strings, or nil if it does not exist.
func (l ClientLookup) Secret(ctx context.Context, name string) (map[string]string, error) {
	var s corev1.Secret
	if err := l.Reader.Get(ctx, client.ObjectKey{Namespace: l.Namespace, Name: name}, &s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading Secret %s/%s: %w", l.Namespace, name, err)
	}
	if l.GenericOnly && s.Labels[railyard.LabelCredType] != railyard.CredTypeGeneric &&
		s.Labels[railyard.LabelKargoCredType] != railyard.CredTypeGeneric {
		return nil, nil
	}
	out := make(map[string]string, len(s.Data)+len(s.StringData))
	for k, v := range s.Data {
		out[k] = string(v)
	}
	for k, v := range s.StringData {
		out[k] = v
	}
	return out, nil
}

// ConfigMap returns the ConfigMap's data, or nil if it does not exist.
func (l ClientLookup) ConfigMap(ctx context.Context, name string) (map[string]string, error) {
	var cm corev1.ConfigMap
	if err := l.Reader.Get(ctx, client.ObjectKey{Namespace: l.Namespace, Name: name}, &cm); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading ConfigMap %s/%s: %w", l.Namespace, name, err)
	}
	out := make(map[string]string, len(cm.Data))
	for k, v := range cm.Data {
		out[k] = v
	}
	return out, nil
}
