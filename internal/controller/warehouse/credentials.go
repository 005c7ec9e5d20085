package warehouse

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/railyard-dev/railyard/internal/credentials"
	"github.com/railyard-dev/railyard/internal/discovery/image"
	"github.com/railyard-dev/railyard/internal/ecr"
)

// ECR is private Amazon ECR access, implemented by *ecr.TokenProvider: a
// registry token for pulls and push times for NewestBuild.
type ECR interface {
	Authenticator(repoURL string, creds ecr.Credentials) (authn.Authenticator, error)
	PushTimes(ctx context.Context, repoURL string, creds ecr.Credentials) (map[string]time.Time, error)
}

// imageCredentials adds the credentials for opts.RepoURL: a basic-auth
// Secret, or for private ECR a registry token obtained with the Secret's
// AWS keys or the ambient AWS identity.
func (r *Reconciler) imageCredentials(ctx context.Context, namespace string, opts *image.Options) error {
	found, err := r.creds.Get(ctx, namespace, credentials.Image, opts.RepoURL)
	if err != nil {
		return err
	}
	if _, _, _, isECR := ecr.ParseRepoURL(opts.RepoURL); isECR && r.ecr != nil && (found == nil || found.HasAWSKeys()) {
		return r.ecrCredentials(opts, found)
	}
	switch {
	case found == nil:
		return nil
	case found.HasAWSKeys():
		return fmt.Errorf("%w: Secret %s/%s holds AWS keys, but %s is not a private ECR repository",
			credentials.ErrInvalidSecret, namespace, found.SecretName, opts.RepoURL)
	}
	opts.Authenticator = &authn.Basic{Username: found.Username, Password: found.Password}
	return nil
}

func (r *Reconciler) ecrCredentials(opts *image.Options, found *credentials.Credentials) error {
	aws := ecr.AmbientCredentials()
	if found != nil {
		var err error
		if aws, err = ecr.StaticCredentials(found.AWSAccessKeyID, found.AWSSecretAccessKey, found.AWSRegion); err != nil {
			return fmt.Errorf("credentials Secret %s: %w", found.SecretName, err)
		}
	}
	auth, err := r.ecr.Authenticator(opts.RepoURL, aws)
	if err != nil {
		return err
	}
	opts.Authenticator = auth
	if opts.Strategy == image.NewestBuild {
		repoURL := opts.RepoURL
		opts.BuildTimes = func(ctx context.Context) (map[string]time.Time, error) {
			return r.ecr.PushTimes(ctx, repoURL, aws)
		}
	}
	return nil
}
