// Package scheme builds the runtime.Scheme every Railyard client uses: the
// Kubernetes kinds, the Railyard kinds and our minimal Argo CD kinds. It is
// a leaf package so tests and the manager can share it without import cycles.
package scheme

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
)

// New returns a scheme with the Kubernetes, Railyard and Argo CD kinds.
func New() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("adding Kubernetes kinds to the scheme: %w", err)
	}
	if err := railyard.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("adding Railyard kinds to the scheme: %w", err)
	}
	if err := argocd.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("adding Argo CD kinds to the scheme: %w", err)
	}
	return s, nil
}
