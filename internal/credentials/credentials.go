// Package credentials finds the credentials for a repository among the
// Secrets of a Warehouse's namespace: Secrets labelled railyard.dev/cred-type
// (or Kargo's kargo.akuity.io/cred-type) with the type of the repository
// (image, helm or git) whose repoURL matches, exactly after normalisation or
// as a regular expression when repoURLIsRegex is "true". The first match in
// name order wins.
//
// Secrets are read with an uncached reader so that the manager does not
// watch (and hold in memory) every Secret of the cluster. A Store made by
// NewCachedStore finds them through caches of labelled Secrets' metadata
// and reads each one again only when it changed.
package credentials

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Kind is the kind of repository credentials are for; it is the value of the
// cred-type label.
type Kind string

// Kinds of repository credentials.
const (
	Image Kind = railyard.CredTypeImage
	Helm  Kind = railyard.CredTypeHelm
	Git   Kind = railyard.CredTypeGit
)

// ErrInvalidSecret means a Secret that applies to the repository cannot be
// used (a key is missing, or its repoURL is not a valid expression). The
// message names the Secret and the key, never a value. Waiting does not
// help; the Secret must be fixed.
var ErrInvalidSecret = errors.New("invalid credentials Secret")

// Credentials are what a Secret supplies. Which fields are set depends on
// the Secret: username and password, an SSH private key (git), or AWS keys
// (private ECR).
type Credentials struct {
	// SecretName is the Secret the credentials come from.
	SecretName string

	Username      string
	Password      string
	SSHPrivateKey []byte

	AWSAccessKeyID     string
	AWSSecretAccessKey string
	AWSRegion          string

	// GitHub App credentials of a git Secret (keys githubAppID or
	// githubAppClientID, githubAppInstallationID, githubAppPrivateKey).
	GitHubAppID             string
	GitHubAppClientID       string
	GitHubAppInstallationID string
	GitHubAppPrivateKey     []byte
	// Provider (key "provider" of a git Secret) names the git provider
	// (github, gitlab, gitea, bitbucket, azure) of the repositories the
	// Secret serves, for pull-request steps on self-hosted forges whose host
	// does not say.
	Provider string
}

// Keys of a git Secret holding GitHub App credentials, as Kargo names them.
const (
	KeyGitHubAppID             = "githubAppID"
	KeyGitHubAppClientID       = "githubAppClientID"
	KeyGitHubAppInstallationID = "githubAppInstallationID"
	KeyGitHubAppPrivateKey     = "githubAppPrivateKey"
	// KeyProvider names the git provider; a Railyard addition.
	KeyProvider = "provider"
)

// String names the Secret and which credentials it holds, never a secret.
func (c Credentials) String() string {
	return fmt.Sprintf("Credentials{Secret:%q, Username:%q, Password:%t, SSHPrivateKey:%t, AWS:%t, GitHubApp:%t}",
		c.SecretName, c.Username, c.Password != "", len(c.SSHPrivateKey) > 0, c.AWSAccessKeyID != "", c.HasGitHubApp())
}

// HasGitHubApp reports whether the Secret holds any GitHub App key.
func (c Credentials) HasGitHubApp() bool {
	return c.GitHubAppID != "" || c.GitHubAppClientID != "" || c.GitHubAppInstallationID != "" ||
		len(c.GitHubAppPrivateKey) > 0
}

// GoString keeps %#v from printing secrets.
func (c Credentials) GoString() string { return c.String() }

// HasAWSKeys reports whether the Secret holds static AWS keys.
func (c Credentials) HasAWSKeys() bool { return c.AWSAccessKeyID != "" }

// Store looks credentials up through a Kubernetes reader.
type Store struct {
	// Reader should be the manager's APIReader (uncached).
	Reader client.Reader
	// cached is set by NewCachedStore.
	cached *cachedSecrets
}

// labels are the cred-type labels, Railyard's first.
var labels = []string{railyard.LabelCredType, railyard.LabelKargoCredType}

// Get returns the credentials of the given kind for repoURL from the
// Secrets of namespace, or nil (and no error) when no Secret applies.
func (s Store) Get(ctx context.Context, namespace string, kind Kind, repoURL string) (*Credentials, error) {
	var all []corev1.Secret
	var err error
	if s.cached != nil {
		all, err = s.cached.list(ctx, s.Reader, namespace, kind)
	} else {
		all, err = s.list(ctx, namespace, kind)
	}
	if err != nil {
		return nil, err
	}
	return Match(all, kind, repoURL)
}

// list reads every Secret labelled for kind past any cache.
func (s Store) list(ctx context.Context, namespace string, kind Kind) ([]corev1.Secret, error) {
	var all []corev1.Secret
	seen := map[string]bool{}
	for _, label := range labels {
		var list corev1.SecretList
		if err := s.Reader.List(ctx, &list, client.InNamespace(namespace),
			client.MatchingLabels{label: string(kind)}); err != nil {
			return nil, fmt.Errorf("listing %s credential Secrets in namespace %s: %w", kind, namespace, err)
		}
		for _, sec := range list.Items {
			if !seen[sec.Name] {
				seen[sec.Name] = true
				all = append(all, sec)
			}
		}
	}
	return all, nil
}
