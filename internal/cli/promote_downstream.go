package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// promoteDownstream promotes one Freight to every Stage fed by
// req.downstreamFrom, as Kargo's "promote to downstream" does: the Freight
// must be available to all of them, or none is promoted.
func promoteDownstream(ctx context.Context, opts *Options, req promoteRequest) ([]railyard.Promotion, *railyard.Freight, error) {
	c, ns, err := opts.Client()
	if err != nil {
		return nil, nil, err
	}
	var up railyard.Stage
	if err := getOrList(ctx, c, ns, req.downstreamFrom, "Stage", &up, &railyard.StageList{}); err != nil {
		return nil, nil, err
	}
	f, err := findFreight(ctx, c, ns, req.freight, req.alias)
	if err != nil {
		return nil, nil, err
	}
	var stages railyard.StageList
	if err := c.List(ctx, &stages, client.InNamespace(ns)); err != nil {
		return nil, nil, explain(err, "list", "stages", "", ns)
	}
	downstream := downstreamOf(up.Name, f.Origin, stages.Items)
	if len(downstream) == 0 {
		return nil, nil, fmt.Errorf("no stage takes Freight from warehouse %s from stage %s; nothing is downstream of it", f.Origin.Name, up.Name)
	}
	var refusals []error
	for i := range downstream {
		if err := availableTo(&downstream[i], f, opts.Now()); err != nil {
			refusals = append(refusals, err)
		}
	}
	if err := errors.Join(refusals...); err != nil {
		return nil, nil, fmt.Errorf("promoting to no stage downstream of %s: %w", up.Name, err)
	}
	var created []railyard.Promotion
	for i := range downstream {
		promo, err := createPromotion(ctx, opts, c, &downstream[i], f)
		if err != nil {
			return created, f, err
		}
		_, _ = fmt.Fprintf(opts.Out, "promotion/%s created: freight %s to stage %s\n", promo.Name, freightLabel(f), downstream[i].Name)
		created = append(created, *promo)
	}
	return created, f, nil
}

// downstreamOf returns the Stages that take Freight of origin from the
// Stage named up, by name.
func downstreamOf(up string, origin railyard.FreightOrigin, stages []railyard.Stage) []railyard.Stage {
	var out []railyard.Stage
	for _, st := range stages {
		req := requestFor(&st, origin)
		if req == nil {
			continue
		}
		for _, s := range req.Sources.Stages {
			if s == up {
				out = append(out, st)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
