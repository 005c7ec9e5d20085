package warehouse

import (
	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git/redact"
)

// Repository URLs reach status.subscriptions, discoveredArtifacts,
// conditions, Events, the reconcile error (logged) and metrics. A URL that
// embeds a password never discovers anything (every discoverer rejects
// it), but it is still echoed there, so every URL the controller writes
// goes through displayURL and every error through redactedError. URLs
// without credentials are unchanged, so status still matches the spec and
// Freight keeps usable URLs.

// displayURL is a subscription URL safe to show.
func displayURL(raw string) string { return redact.URL(raw) }

// subscriptionURL is the raw repoURL of a subscription ("" if none).
func subscriptionURL(sub *railyard.RepoSubscription) string {
	switch {
	case sub.Image != nil:
		return sub.Image.RepoURL
	case sub.Chart != nil:
		return sub.Chart.RepoURL
	case sub.Git != nil:
		return sub.Git.RepoURL
	}
	return ""
}

// redactedError shows err's message without the credentials of rawURL and
// keeps err in the chain for errors.Is (needsChange).
type redactedError struct {
	err error
	msg string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactErr scrubs the credentials embedded in rawURL from err's message;
// discoverers and parsers quote the URL they were given.
func redactErr(err error, rawURL string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := redact.In(msg, rawURL); clean != msg {
		return &redactedError{err: err, msg: clean}
	}
	return err
}
