package actions

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// APIError is a failed request to the API server together with what was
// asked, so callers can say which verb on which resource a person lacks.
type APIError struct {
	Verb, Resource, Name string
	Err                  error
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s/%s: %v", e.Verb, e.Resource, e.Name, e.Err)
}

func (e *APIError) Unwrap() error { return e.Err }

// CreateFreight creates f, already named by its content (freight.IDOf),
// with the alias want, or a generated one when want is empty. Freight is
// named by its content, so when Freight with the same content exists (under
// this name or, applied by hand, another) that one is returned with
// created false. r reads (indexed says it has freight.ContentIndex); w
// creates. A taken alias is a *freight.AliasTakenError; failed requests are
// *APIError.
func CreateFreight(ctx context.Context, r client.Reader, w client.Writer, f *railyard.Freight, want string, indexed bool) (*railyard.Freight, bool, error) {
	var existing railyard.Freight
	switch err := r.Get(ctx, client.ObjectKeyFromObject(f), &existing); {
	case err == nil:
		return &existing, false, nil
	case !apierrors.IsNotFound(err):
		return nil, false, &APIError{Verb: "get", Resource: "freights", Name: f.Name, Err: err}
	}
	same, err := freight.WithContent(ctx, r, f.Namespace, f.Name, indexed)
	if err != nil {
		return nil, false, &APIError{Verb: "list", Resource: "freights", Err: err}
	}
	if len(same) > 0 {
		return same[0], false, nil
	}
	alias, err := freight.ChooseAlias(ctx, r, f, want)
	var taken *freight.AliasTakenError
	switch {
	case errors.As(err, &taken):
		return nil, false, err
	case err != nil:
		return nil, false, &APIError{Verb: "list", Resource: "freights", Err: err}
	}
	f.Alias = alias
	f.Labels = map[string]string{railyard.LabelAlias: alias}
	if err := w.Create(ctx, f); err != nil {
		if apierrors.IsAlreadyExists(err) {
			if gerr := r.Get(ctx, client.ObjectKeyFromObject(f), &existing); gerr == nil {
				return &existing, false, nil
			}
		}
		return nil, false, &APIError{Verb: "create", Resource: "freights", Name: f.Name, Err: err}
	}
	return f, true, nil
}
