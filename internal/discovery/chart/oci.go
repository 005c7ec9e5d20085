package chart

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// listOCI lists the repository's tags and returns them as chart versions:
// Helm stores "+" (not allowed in tags) as "_".
func (d *Discoverer) listOCI(ctx context.Context, s *subscription) ([]string, error) {
	repo, err := name.NewRepository(s.ociRepo)
	if err != nil {
		return nil, invalidf("repoURL %s is not a valid OCI repository: %v", s.displayURL(), err)
	}
	auth := authn.Anonymous
	if c := s.Credentials; c != nil {
		auth = &authn.Basic{Username: c.Username, Password: c.Password}
	}
	tags, err := remote.List(repo,
		remote.WithContext(ctx),
		remote.WithAuth(auth),
		remote.WithTransport(d.transport(s.InsecureSkipTLSVerify)),
		// Retries happen in our transport, which honours Retry-After.
		remote.WithRetryStatusCodes(),
		remote.WithRetryPredicate(func(error) bool { return false }),
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
	)
	if err != nil {
		return nil, classifyOCIError(ctx, err)
	}
	versions := make([]string, len(tags))
	for i, t := range tags {
		versions[i] = strings.ReplaceAll(t, "_", "+")
	}
	return versions, nil
}

func classifyOCIError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("listing tags: %w", ctxErr)
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		se := &StatusError{StatusCode: terr.StatusCode}
		if terr.Request != nil && terr.Request.URL != nil {
			se.URL = redactedURL(terr.Request.URL.String())
		}
		return fmt.Errorf("listing tags: %w (%s)", se, diagnostics(terr))
	}
	var uerr *url.Error
	if errors.As(err, &uerr) || isNetError(err) {
		return fmt.Errorf("%w: listing tags: %w", ErrTransient, err)
	}
	return fmt.Errorf("listing tags: %w", err)
}

// diagnostics summarises registry error codes (never request headers).
func diagnostics(terr *transport.Error) string {
	var parts []string
	for _, d := range terr.Errors {
		parts = append(parts, string(d.Code))
	}
	if len(parts) == 0 {
		return http.StatusText(terr.StatusCode)
	}
	return strings.Join(parts, ", ")
}

func isNetError(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne)
}

// redactedURL drops userinfo from a URL for messages.
func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid URL>"
	}
	return u.Redacted()
}
