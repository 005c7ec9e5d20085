package cli

import (
	"fmt"
	"sort"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// pickUpstream chooses the Freight of origin that --from-upstream promotes
// to stage, as Kargo's "promote --warehouse" does: the origin's
// auto-promotion selection policy decides, whether or not auto-promotion is
// on. NewestFreight (the default) takes the newest available Freight by
// discovery time, then name; MatchUpstream takes what the single upstream
// Stage runs now. Hand-made Freight counts like any other, so a dev build
// verified upstream is picked if it is the newest: the CLI names its pick.
func pickUpstream(stage *railyard.Stage, origin railyard.FreightOrigin, fs []railyard.Freight, now time.Time) (*railyard.Freight, error) {
	req := requestFor(stage, origin)
	if req == nil {
		return nil, fmt.Errorf("stage %s does not request Freight from warehouse %s", stage.Name, origin.Name)
	}
	matchUpstream := req.Sources.AutoPromotionOptions != nil &&
		req.Sources.AutoPromotionOptions.SelectionPolicy == railyard.AutoPromotionSelectionPolicyMatchUpstream &&
		len(req.Sources.Stages) == 1
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
			where = "running in stage " + req.Sources.Stages[0]
		}
		return nil, fmt.Errorf("no Freight from warehouse %s is available to stage %s yet (it must be %s); see 'railyard get freight -n %s'",
			origin.Name, stage.Name, where, stage.Namespace)
	}
	sortNewestFirst(candidates)
	return candidates[0], nil
}

// sortNewestFirst orders Freight as Kargo's auto-promotion does: by
// discovery time, newest first, then by name, greatest first.
func sortNewestFirst(fs []*railyard.Freight) {
	sort.SliceStable(fs, func(i, j int) bool { return newerFreight(fs[i], fs[j]) })
}

// newerFreight is the order of sortNewestFirst.
func newerFreight(a, b *railyard.Freight) bool {
	ta, tb := discoveredAt(a), discoveredAt(b)
	if !ta.Equal(tb) {
		return ta.After(tb)
	}
	return a.Name > b.Name
}

// discoveredAt is Kargo's EffectiveDiscoveredAt: when the artifacts were
// discovered, else when the Freight was created.
func discoveredAt(f *railyard.Freight) time.Time {
	if f.DiscoveredAt != nil && !f.DiscoveredAt.IsZero() {
		return f.DiscoveredAt.Time
	}
	return f.CreationTimestamp.Time
}
