package warehouse

import (
	"errors"

	"github.com/railyard-dev/railyard/internal/credentials"
	"github.com/railyard-dev/railyard/internal/discovery/chart"
	gitdisc "github.com/railyard-dev/railyard/internal/discovery/git"
	"github.com/railyard-dev/railyard/internal/discovery/image"
	"github.com/railyard-dev/railyard/internal/ecr"
	gitpkg "github.com/railyard-dev/railyard/internal/git"
)

// needsChange reports whether err can only be cleared by a change of the
// Warehouse or of a credentials Secret. Such errors are reported as a
// condition and not retried with backoff; everything else (outages, 429,
// access denied, a missing repository) is retried with backoff.
func needsChange(err error) bool {
	for _, sentinel := range []error{
		errInvalidSpec,
		image.ErrInvalidSubscription,
		chart.ErrInvalidSubscription,
		gitdisc.ErrInvalidSubscription,
		gitpkg.ErrInvalidURL,
		credentials.ErrInvalidSecret,
		ecr.ErrInvalidConfig,
	} {
		if errors.Is(err, sentinel) {
			return true
		}
	}
	return false
}
