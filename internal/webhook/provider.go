package webhook

import (
	"net/http"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Provider verifies and parses the deliveries of one kind of sender.
type Provider interface {
	// Name is the provider's key in spec.webhookReceivers and the first
	// segment of ReceiverPath.
	Name() string
	// SecretKey is the key of the receiver's Secret the provider reads, as
	// Kargo names it; its value also feeds Path.
	SecretKey() string
	// Verify authenticates a delivery against the receiver Secret's data.
	// It returns ErrUnauthenticated, ErrForbidden or ErrMisconfigured.
	Verify(req *http.Request, body []byte, secret map[string][]byte) error
	// Parse reads what a verified delivery names.
	Parse(req *http.Request, body []byte) (Event, error)
}

var providers = map[string]Provider{}

func register(p Provider) { providers[p.Name()] = p }

// ProviderByName returns the provider registered under name.
func ProviderByName(name string) (Provider, bool) {
	p, ok := providers[name]
	return p, ok
}

// ProviderFor returns the provider a receiver configures and the Secret it
// names. ok is false when the receiver sets no provider Railyard implements.
func ProviderFor(cfg railyard.WebhookReceiverConfig) (p Provider, secretName string, ok bool) {
	for _, c := range []struct {
		name string
		d    *railyard.WebhookReceiverDetails
	}{
		{"github", cfg.GitHub}, {"gitlab", cfg.GitLab}, {"gitea", cfg.Gitea},
		{"bitbucket", cfg.Bitbucket}, {"dockerhub", cfg.DockerHub},
		{"quay", cfg.Quay}, {"harbor", cfg.Harbor}, {"artifactory", cfg.Artifactory},
		{"azure", cfg.Azure}, {"generic", cfg.Generic},
	} {
		if c.d == nil {
			continue
		}
		p, ok := providers[c.name]
		return p, c.d.SecretRef.Name, ok
	}
	return nil, "", false
}
