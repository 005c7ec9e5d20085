package cli

import (
	"fmt"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// pickUpstream chooses the Freight of origin that --from-upstream promotes
// to stage, as Kargo does. A Stage fed by one upstream Stage gets what that
// Stage runs now, if it is available (verified there): Kargo's UI "Promote
// from upstream", and its MatchUpstream policy. Otherwise (fed directly, or
// by several Stages) it gets the newest available Freight by discovery
// time, then name: Kargo's "promote --warehouse" with the NewestFreight
// policy. Hand-made Freight counts like any other, so a dev build running
// upstream is picked: the CLI names its pick.
func pickUpstream(stage *railyard.Stage, origin railyard.FreightOrigin, fs []railyard.Freight, now time.Time) (*railyard.Freight, error) {
	req := requestFor(stage, origin)
	if req == nil {
		return nil, fmt.Errorf("stage %s does not request Freight from warehouse %s", stage.Name, origin.Name)
	}
	matchUpstream := len(req.Sources.Stages) == 1
	var candidates []*railyard.Freight
	for i := range fs {
		f := &fs[i]
		if !f.Origin.Equals(origin) {
			continue
		}
		if ok, _ := freight.IsAvailable(f, stage, now); !ok {
			continue
		}
		if matchUpstream {
			if _, in := f.Status.CurrentlyIn[req.Sources.Stages[0]]; !in {
				continue
			}
		}
		candidates = append(candidates, f)
	}
	if len(candidates) == 0 {
		where := "verified in an upstream Stage or approved for it"
		if req.Sources.Direct {
			where = "created by the Warehouse"
		}
		if matchUpstream {
			where = "running in stage " + req.Sources.Stages[0] + " and verified there"
		}
		return nil, fmt.Errorf("no Freight from warehouse %s is available to stage %s yet (it must be %s); see 'railyard get freight -n %s'",
			origin.Name, stage.Name, where, stage.Namespace)
	}
	sortNewestFirst(candidates)
	return candidates[0], nil
}

// sortNewestFirst orders Freight as Kargo's auto-promotion does (see
// freight.Newer).
func sortNewestFirst(fs []*railyard.Freight) { freight.SortNewestFirst(fs) }

// upstreamPick says in words which rule pickUpstream followed.
func upstreamPick(stage *railyard.Stage, origin railyard.FreightOrigin) string {
	if req := requestFor(stage, origin); req != nil && len(req.Sources.Stages) == 1 {
		return "what stage " + req.Sources.Stages[0] + " runs"
	}
	return "the newest available from warehouse " + origin.Name
}
