package netsteps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// Credential types the oci steps ask for: a reference written oci://… is a
// Helm chart and uses Helm credentials, as in Kargo.
const (
	credTypeImage = "image"
	credTypeHelm  = "helm"
)

// ociRef is a parsed artifact reference and the credentials it asks for.
type ociRef struct {
	ref      name.Reference
	credType string
}

// parseOCIRef parses the reference in field: registry/repository:tag or
// @digest, optionally prefixed with oci://.
func parseOCIRef(field, raw string) (ociRef, error) {
	if raw == "" {
		return ociRef{}, promotion.Terminalf("invalid config: field %q is required", field)
	}
	r := ociRef{credType: credTypeImage}
	if trimmed, ok := strings.CutPrefix(raw, "oci://"); ok {
		raw, r.credType = trimmed, credTypeHelm
	}
	ref, err := name.ParseReference(raw)
	if err != nil {
		return ociRef{}, promotion.Terminalf("invalid config: field %q: %w", field, err)
	}
	r.ref = ref
	return r, nil
}

// repoURL is the repository as credentials are looked up by.
func (r ociRef) repoURL() string {
	if r.credType == credTypeHelm {
		return "oci://" + r.ref.Context().String()
	}
	return r.ref.Context().String()
}

// remoteOptions are the go-containerregistry options for reaching r: the
// step's context (which carries its deadline), its transport and the
// project's credentials, if any. Credentials never reach a message.
func remoteOptions(ctx context.Context, sc *promotion.StepContext, opts Options, r ociRef, insecure bool) ([]remote.Option, error) {
	o := []remote.Option{
		remote.WithContext(ctx),
		remote.WithTransport(newTransport(insecure, opts.AllowLinkLocal)),
	}
	if sc.Credentials == nil {
		return o, nil
	}
	c, err := sc.Credentials.Get(ctx, sc.Project, r.credType, r.repoURL())
	if err != nil {
		return nil, fmt.Errorf("looking up %s credentials for %s: %w", r.credType, r.repoURL(), err)
	}
	if c != nil && (c.Username != "" || c.Password != "") {
		o = append(o, remote.WithAuth(&authn.Basic{Username: c.Username, Password: c.Password}))
	}
	return o, nil
}

// ociError keeps registry errors readable and terminal where no retry
// helps: a missing artifact or refused credentials.
func ociError(what string, err error) error {
	err = fmt.Errorf("%s: %w", what, err)
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == 401 || te.StatusCode == 403 || te.StatusCode == 404) {
		return promotion.Terminal(err)
	}
	return err
}
