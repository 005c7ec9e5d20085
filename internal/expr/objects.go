package expr

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// ObjectLookup reads the status of the project's Freight and Stages for
// freightMetadata(), freightStatus() and stageMetadata(). A missing object
// is nil with no error.
type ObjectLookup interface {
	FreightStatus(ctx context.Context, name string) (map[string]any, error)
	StageStatus(ctx context.Context, name string) (map[string]any, error)
}

// ClientObjects reads Freight and Stages of one namespace.
type ClientObjects struct {
	Reader    client.Reader
	Namespace string
}

var _ ObjectLookup = ClientObjects{}

// FreightStatus returns the Freight's status as plain values.
func (o ClientObjects) FreightStatus(ctx context.Context, name string) (map[string]any, error) {
	f := &railyard.Freight{}
	return o.status(ctx, name, f, func() any { return f.Status })
}

// StageStatus returns the Stage's status as plain values.
func (o ClientObjects) StageStatus(ctx context.Context, name string) (map[string]any, error) {
	s := &railyard.Stage{}
	return o.status(ctx, name, s, func() any { return s.Status })
}

func (o ClientObjects) status(ctx context.Context, name string, obj client.Object, status func() any) (map[string]any, error) {
	if err := o.Reader.Get(ctx, client.ObjectKey{Namespace: o.Namespace, Name: name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading %s/%s: %w", o.Namespace, name, err)
	}
	raw, err := json.Marshal(status())
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// objectStatus returns freightMetadata(), freightStatus() or
// stageMetadata(): the status, or its metadata (an empty map when there is
// none, so `?.` and `??` read absent keys). An object that does not exist is
// an error naming it.
func (ev *evaluator) objectStatus(fn string) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		if len(args) != 1 {
			return nil, fmt.Errorf("%s(name) takes one argument, got %d", fn, len(args))
		}
		name, err := stringArg(fn, args, 0, "name")
		if err != nil {
			return nil, err
		}
		if ev.env.Objects == nil {
			return nil, fmt.Errorf("%s(%q): not available here", fn, name)
		}
		kind, read := "Freight", ev.env.Objects.FreightStatus
		if fn == "stageMetadata" {
			kind, read = "Stage", ev.env.Objects.StageStatus
		}
		st, err := read(ev.ctx, name)
		if err != nil {
			return nil, fmt.Errorf("%s(%q): %w", fn, name, err)
		}
		if st == nil {
			return nil, fmt.Errorf("%s(%q): no %s of that name in the project", fn, name, kind)
		}
		if fn == "freightStatus" {
			return st, nil
		}
		md, _ := st["metadata"].(map[string]any)
		if md == nil {
			md = map[string]any{}
		}
		return md, nil
	}
}
