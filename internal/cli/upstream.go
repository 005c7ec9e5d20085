package cli

import (
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/actions"
	"github.com/railyard-dev/railyard/internal/freight"
)

// pickUpstream chooses the Freight of origin that --from-upstream promotes
// to stage, as Kargo does (actions.PickUpstream, shared with the web UI).
func pickUpstream(stage *railyard.Stage, origin railyard.FreightOrigin, fs []railyard.Freight, now time.Time) (*railyard.Freight, error) {
	return actions.PickUpstream(stage, origin, fs, now)
}

// sortNewestFirst orders Freight as Kargo's auto-promotion does (see
// freight.Newer).
func sortNewestFirst(fs []*railyard.Freight) { freight.SortNewestFirst(fs) }

// upstreamPick says in words which rule pickUpstream followed.
func upstreamPick(stage *railyard.Stage, origin railyard.FreightOrigin) string {
	return actions.UpstreamPick(stage, origin)
}
