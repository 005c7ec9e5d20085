package promotion

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/railyard-dev/railyard/internal/expr"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Annotations marking a Promotion as a rollback, the source of
// ctx.meta.promotion.rollback; Kargo's is honoured as well.
const (
	AnnotationRollback      = railyard.AnnotationRollback
	AnnotationKargoRollback = railyard.AnnotationKargoRollback
)

// ExpressionSettings are the manager-wide values expressions can see.
type ExpressionSettings struct {
	// UIBaseURL is ctx.uiBaseUrl; empty when there is no user interface.
	UIBaseURL string
	// SharedResourcesNamespace is where sharedSecret() and
	// sharedConfigMap() read; defaults to expr.DefaultSharedNamespace.
	SharedResourcesNamespace string
}

// exprSettings returns the engine's expression settings with defaults
// filled in.
func (r *run) exprSettings() ExpressionSettings {
	s := r.e.Expressions
	if s.SharedResourcesNamespace == "" {
		s.SharedResourcesNamespace = expr.DefaultSharedNamespace
	}
	return s
}

// isRollback reads the rollback annotation, as Kargo does ("true" only).
func isRollback(promo *railyard.Promotion) bool {
	v, _ := railyard.KeyValue(promo.Annotations, AnnotationRollback, AnnotationKargoRollback)
	return v == "true"
}

// freightAlias reads the alias of the target Freight, which the Freight
// reference in the Promotion's status does not carry. A Freight that is
// gone has no alias; other errors are returned.
func (r *run) freightAlias(ctx context.Context) (string, error) {
	// Freight are in the manager's cache (the Client's); Reader is for
	// what is not cached.
	var reader client.Reader = r.e.Client
	if reader == nil {
		reader = r.e.reader()
	}
	if reader == nil || r.target.Name == "" {
		return "", nil
	}
	var f railyard.Freight
	err := reader.Get(ctx, client.ObjectKey{Namespace: r.promo.Namespace, Name: r.target.Name}, &f)
	switch {
	case apierrors.IsNotFound(err):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("reading Freight %q for ctx.targetFreight.alias: %w", r.target.Name, err)
	}
	return f.Alias, nil
}
