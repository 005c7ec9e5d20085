package preview

import (
	"github.com/railyard-dev/railyard/internal/controller/index"
	"github.com/railyard-dev/railyard/internal/freight"
)

// errUnavailable marks Freight the Stage may not receive: the preview
// fails, as a Promotion of it would.
var errUnavailable = freight.ErrUnavailable

// chooser picks Freight exactly as the Promotion controller does, and
// also by alias, as the CLI and the UI let people name Freight.
func (r *Reconciler) chooser() freight.Chooser {
	return freight.Chooser{Cache: r.Client, OriginIndex: index.FreightByOrigin, APIReader: r.APIReader, Aliases: true}
}
