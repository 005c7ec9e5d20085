package webhook

import (
	"context"
	"log/slog"
	"net/http"

	"k8s.io/apimachinery/pkg/types"

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
		{"azure", cfg.Azure}, {"generic", cfg.Generic}, {"ecr", cfg.ECR},
	} {
		if c.d == nil {
			continue
		}
		p, ok := providers[c.name]
		return p, c.d.SecretRef.Name, ok
	}
	return nil, "", false
}

// configuredParser is a Provider whose parsing depends on the receiver's
// configuration (Artifactory's virtualRepoName); Handler prefers it to Parse.
type configuredParser interface {
	ParseConfig(req *http.Request, body []byte, cfg railyard.WebhookReceiverConfig) (Event, error)
}

// actor is a Provider that selects and refreshes targets itself instead of
// naming repositories for Match (the generic receiver). It returns the
// status code and the JSON body of the reply.
type actor interface {
	act(ctx context.Context, d delivery) (int, any)
}

// delivery is a verified request as an actor sees it.
type delivery struct {
	req     *http.Request
	body    []byte
	rcv     *Receiver
	refresh func(ctx context.Context, warehouses []types.NamespacedName) error
	log     *slog.Logger
}
