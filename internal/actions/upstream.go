package actions

import (
	"fmt"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// RequestFor returns the Stage's request for Freight of origin, or nil.
func RequestFor(stage *railyard.Stage, origin railyard.FreightOrigin) *railyard.FreightRequest {
	for i := range stage.Spec.RequestedFreight {
		if stage.Spec.RequestedFreight[i].Origin.Equals(origin) {
			return &stage.Spec.RequestedFreight[i]
		}
	}
	return nil
}

// PickUpstream chooses the Freight of origin that "promote from upstream"
// promotes to stage, as Kargo does. A Stage fed by one upstream Stage gets
// what that Stage runs now, if it is available (verified there): Kargo's UI
// "Promote from upstream", and its MatchUpstream policy. Otherwise (fed
// directly, or by several Stages) it gets the newest available Freight by
// discovery time, then name: Kargo's "promote --warehouse" with the
// NewestFreight policy. Hand-made Freight counts like any other, so a dev
// build running upstream is picked: callers name the pick.
func PickUpstream(stage *railyard.Stage, origin railyard.FreightOrigin, fs []railyard.Freight, now time.Time) (*railyard.Freight, error) {
	req := RequestFor(stage, origin)
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
	freight.SortNewestFirst(candidates)
	return candidates[0], nil
}

// UpstreamPick says in words which rule PickUpstream followed.
func UpstreamPick(stage *railyard.Stage, origin railyard.FreightOrigin) string {
	if req := RequestFor(stage, origin); req != nil && len(req.Sources.Stages) == 1 {
		return "what stage " + req.Sources.Stages[0] + " runs"
	}
	return "the newest available from warehouse " + origin.Name
}
