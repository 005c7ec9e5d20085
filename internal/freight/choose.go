package freight

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// ErrUnavailable marks Freight a Stage may not receive: a Promotion of it
// fails, and so does a preview of that Promotion.
var ErrUnavailable = errors.New("not available")

// Chooser picks the Freight a promotion of a Stage moves and the collection
// the Stage then runs. The Promotion controller and the preview controller
// both use it: a preview shows what the Promotion would commit, so it must
// choose exactly as the Promotion would.
type Chooser struct {
	// Cache lists Freight by origin through the field index OriginIndex.
	Cache       client.Reader
	OriginIndex string
	// APIReader reads Freight by name past the cache when the cache's copy
	// is missing or not available to the Stage, so Freight created or
	// approved a moment ago is found.
	APIReader client.Reader
	// Aliases lets a name be an alias as well (previews: the CLI and the
	// UI name Freight by alias; a Promotion's spec holds a name).
	Aliases bool
}

// Target returns the Freight named name, or for an empty name the Freight
// to promote "from upstream": the newest Freight of origin available to
// stage (verified in an upstream Stage, or for a Stage fed directly, the
// newest). Freight the Stage may not receive is an ErrUnavailable error.
func (c Chooser) Target(ctx context.Context, stage *railyard.Stage, name string, origin *railyard.FreightOrigin, now time.Time) (*railyard.Freight, error) {
	if name != "" {
		// Availability only grows (verification, approval, soak), so a
		// cached copy that is available is as good as the API server's;
		// one that is missing or not yet available is read again there.
		if f := c.cached(ctx, stage.Namespace, name); f != nil {
			if ok, _ := IsAvailable(f, stage, now); ok {
				return f, nil
			}
		}
		f, err := c.named(ctx, stage.Namespace, name)
		if err != nil {
			return nil, err
		}
		if ok, why := IsAvailable(f, stage, now); !ok {
			return nil, fmt.Errorf("%w: Freight %s is not available to Stage %s: %s", ErrUnavailable, f.Name, stage.Name, why)
		}
		return f, nil
	}
	if origin == nil {
		return nil, fmt.Errorf("%w: neither a Freight nor an origin to promote from upstream is given", ErrUnavailable)
	}
	candidates, err := c.Available(ctx, stage, *origin, now)
	if err != nil {
		return nil, err
	}
	if len(candidates) == 0 {
		return nil, fmt.Errorf("%w: no Freight from %s is available to Stage %s yet (it must be verified in an upstream Stage)", ErrUnavailable, origin, stage.Name)
	}
	return candidates[0], nil
}

// cached returns the cache's copy of the Freight named name, or nil.
func (c Chooser) cached(ctx context.Context, ns, name string) *railyard.Freight {
	f := &railyard.Freight{}
	if err := c.Cache.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, f); err != nil {
		return nil
	}
	return f
}

// named reads Freight by name past the cache, else (with Aliases) by alias.
func (c Chooser) named(ctx context.Context, ns, name string) (*railyard.Freight, error) {
	f := &railyard.Freight{}
	err := c.APIReader.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, f)
	switch {
	case err == nil:
		return f, nil
	case !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("reading Freight %s: %w", name, err)
	case !c.Aliases:
		return nil, fmt.Errorf("%w: Freight %q does not exist in project %q", ErrUnavailable, name, ns)
	}
	var list railyard.FreightList
	if err := c.Cache.List(ctx, &list, client.InNamespace(ns), client.MatchingLabels{railyard.LabelAlias: name}); err != nil {
		return nil, fmt.Errorf("listing Freight by alias %s: %w", name, err)
	}
	if len(list.Items) == 1 {
		return &list.Items[0], nil
	}
	return nil, fmt.Errorf("%w: no Freight is named or aliased %q in project %q", ErrUnavailable, name, ns)
}

// Available lists the Freight of origin available to stage, newest first.
func (c Chooser) Available(ctx context.Context, stage *railyard.Stage, origin railyard.FreightOrigin, now time.Time) ([]*railyard.Freight, error) {
	var list railyard.FreightList
	if err := c.Cache.List(ctx, &list, client.InNamespace(stage.Namespace), client.MatchingFields{c.OriginIndex: origin.String()}); err != nil {
		return nil, fmt.Errorf("listing Freight of %s: %w", origin, err)
	}
	var out []*railyard.Freight
	for i := range list.Items {
		if ok, _ := IsAvailable(&list.Items[i], stage, now); ok {
			out = append(out, &list.Items[i])
		}
	}
	SortNewestFirst(out)
	return out, nil
}

// Collection is what the Stage will run: its current Freight with target
// replacing the Freight of target's origin. A requested origin the Stage
// has no Freight for yet (a new Stage) is filled with the newest Freight
// available to it, so a first promotion renders completely whichever
// origin's Freight arrived first.
func (c Chooser) Collection(ctx context.Context, stage *railyard.Stage, target *railyard.Freight, now time.Time) (railyard.FreightCollection, error) {
	var current *railyard.FreightCollection
	if len(stage.Status.FreightHistory) > 0 {
		current = &stage.Status.FreightHistory[0]
	}
	fc := WithFreight(current, Ref(target))
	for _, req := range stage.Spec.RequestedFreight {
		if _, ok := fc.Freight[req.Origin.String()]; ok {
			continue
		}
		candidates, err := c.Available(ctx, stage, req.Origin, now)
		if err != nil {
			return fc, err
		}
		if len(candidates) > 0 {
			fc = WithFreight(&fc, Ref(candidates[0]))
		}
	}
	return fc, nil
}
