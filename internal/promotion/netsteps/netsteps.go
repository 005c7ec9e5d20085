// Package netsteps holds the promotion steps that reach services over the
// network: http, http-download, oci-download and oci-push. Config field
// names, defaults and outputs follow Kargo so that Kargo step
// configurations work unchanged.
//
// Every request is bounded: by the step's timeout (Kargo's defaults), by a
// cap on how much of a response is read, and by the context the engine
// passes, whose cancellation ends any request in flight.
package netsteps

import (
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// Kargo's limits and defaults.
const (
	// DefaultRequestTimeout bounds one http request.
	DefaultRequestTimeout = 10 * time.Second
	// MaxResponseBytes caps the body http reads for its expressions.
	MaxResponseBytes = 2 << 20
	// DefaultPollInterval is how long http waits before asking again while
	// neither its success nor its failure expression holds.
	DefaultPollInterval = 30 * time.Second
	// DefaultDownloadTimeout bounds one http-download.
	DefaultDownloadTimeout = 5 * time.Minute
	// MaxDownloadBytes caps what http-download and oci-download write.
	MaxDownloadBytes = 100 << 20
	// DefaultMaxArtifactBytes caps the compressed size oci-push copies
	// between repositories.
	DefaultMaxArtifactBytes = 1 << 30
	// DefaultOCITimeout bounds each run of oci-download and oci-push; Kargo
	// leaves them to the step's retry timeout, but a registry that never
	// answers must not hold a Promotion.
	DefaultOCITimeout = 10 * time.Minute
)

// Options configures the network steps. The zero value gives Kargo's
// defaults.
type Options struct {
	// MaxArtifactBytes caps the compressed size of what oci-push copies
	// between repositories: 0 means DefaultMaxArtifactBytes, a negative
	// value disables cross-repository pushes (Kargo's 0).
	MaxArtifactBytes int64
	// OCITimeout bounds each run of an oci-* step; 0 means
	// DefaultOCITimeout.
	OCITimeout time.Duration
	// AllowLinkLocal lets steps dial link-local addresses, such as a cloud
	// metadata service, which are refused by default as Kargo does.
	AllowLinkLocal bool
}

func (o Options) maxArtifactBytes() int64 {
	if o.MaxArtifactBytes == 0 {
		return DefaultMaxArtifactBytes
	}
	return o.MaxArtifactBytes
}

func (o Options) ociTimeout() time.Duration {
	if o.OCITimeout <= 0 {
		return DefaultOCITimeout
	}
	return o.OCITimeout
}

// Steps returns http, http-download, oci-download and oci-push, ready to be
// registered.
func Steps(opts Options) []promotion.Step {
	return []promotion.Step{
		&HTTP{opts: opts},
		&HTTPDownload{opts: opts},
		&OCIDownload{opts: opts},
		&OCIPush{opts: opts},
	}
}

// failed is the result and error of a problem no retry can fix.
func failed(err error) (promotion.Result, error) {
	if !promotion.IsTerminal(err) {
		err = promotion.Terminal(err)
	}
	return promotion.Result{Status: railyard.StepStatusFailed, Message: err.Error()}, err
}

// errored is the result of a problem a retry may fix, such as a server
// answering 5xx or not at all; terminal errors still end as Failed.
func errored(err error) (promotion.Result, error) {
	if promotion.IsTerminal(err) {
		return failed(err)
	}
	return promotion.Result{Status: railyard.StepStatusErrored, Message: err.Error()}, err
}

func succeeded(output map[string]any) (promotion.Result, error) {
	return promotion.Result{Status: railyard.StepStatusSucceeded, Output: output}, nil
}
