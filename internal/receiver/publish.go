package receiver

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/webhook"
)

// ErrInvalid marks a receiver the user must fix: an unknown provider, a
// missing Secret or a Secret without the provider's key. Waiting does not
// help; a change to the Secret or the config does.
var ErrInvalid = errors.New("invalid webhook receiver")

// Publish returns the status of each receiver of cfgs: its name, path and,
// when baseURL is set, URL. project is "" for the ClusterConfig's receivers;
// their Secrets are read from secretNamespace. Receivers that cannot be
// served are left out and reported in the joined error, each naming the
// receiver, Secret and key but never a value.
func Publish(ctx context.Context, r client.Reader, project, secretNamespace, baseURL string,
	cfgs []railyard.WebhookReceiverConfig) ([]railyard.WebhookReceiverStatus, error) {
	out := make([]railyard.WebhookReceiverStatus, 0, len(cfgs))
	var errs []error
	for _, cfg := range cfgs {
		st, err := publishOne(ctx, r, project, secretNamespace, baseURL, cfg)
		if err != nil {
			errs = append(errs, fmt.Errorf("receiver %q: %w", cfg.Name, err))
			continue
		}
		out = append(out, st)
	}
	return out, errors.Join(errs...)
}

func publishOne(ctx context.Context, r client.Reader, project, secretNamespace, baseURL string,
	cfg railyard.WebhookReceiverConfig) (railyard.WebhookReceiverStatus, error) {
	p, secretName, ok := webhook.ProviderFor(cfg)
	if !ok {
		return railyard.WebhookReceiverStatus{}, fmt.Errorf("%w: no supported provider is set", ErrInvalid)
	}
	value, err := secretValue(ctx, r, secretNamespace, secretName, p.SecretKey())
	if err != nil {
		return railyard.WebhookReceiverStatus{}, err
	}
	st := railyard.WebhookReceiverStatus{
		Name: cfg.Name,
		Path: webhook.ReceiverPath(p.Name(), project, cfg.Name, value),
	}
	if baseURL != "" {
		u, err := url.JoinPath(baseURL, st.Path)
		if err != nil {
			return railyard.WebhookReceiverStatus{}, fmt.Errorf("joining base URL and path: %w", err)
		}
		st.URL = u
	}
	return st, nil
}

// secretValue reads one key of a Secret; errors name the Secret and key.
func secretValue(ctx context.Context, r client.Reader, namespace, name, key string) ([]byte, error) {
	var s corev1.Secret
	if err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%w: Secret %s/%s does not exist", ErrInvalid, namespace, name)
		}
		return nil, fmt.Errorf("reading Secret %s/%s: %w", namespace, name, err)
	}
	v := s.Data[key]
	if len(v) == 0 {
		return nil, fmt.Errorf("%w: Secret %s/%s has no %q key", ErrInvalid, namespace, name, key)
	}
	return v, nil
}

// readSecret returns a Secret's data; a missing Secret is nil data and no
// error, so that its receiver simply does not exist.
func readSecret(ctx context.Context, r client.Reader, namespace, name string) (map[string][]byte, error) {
	var s corev1.Secret
	if err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading Secret %s/%s: %w", namespace, name, err)
	}
	return s.Data, nil
}

// NamesSecret reports whether one of cfgs reads the Secret named secret, so
// that a change to it re-publishes their paths.
func NamesSecret(cfgs []railyard.WebhookReceiverConfig, secret string) bool {
	for _, rc := range cfgs {
		if _, name, ok := webhook.ProviderFor(rc); ok && name == secret {
			return true
		}
	}
	return false
}
