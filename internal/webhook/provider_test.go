package webhook

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestProviderFor(t *testing.T) {
	d := &railyard.WebhookReceiverDetails{SecretRef: corev1.LocalObjectReference{Name: "wh-secret"}}
	cases := []struct {
		cfg      railyard.WebhookReceiverConfig
		provider string // "" = not implemented
		key      string
	}{
		{railyard.WebhookReceiverConfig{Name: "a", GitHub: d}, "github", "secret"},
		{railyard.WebhookReceiverConfig{Name: "a", GitLab: d}, "gitlab", "secret-token"},
		{railyard.WebhookReceiverConfig{Name: "a", Gitea: d}, "gitea", "secret"},
		{railyard.WebhookReceiverConfig{Name: "a", Bitbucket: d}, "bitbucket", "secret"},
		{railyard.WebhookReceiverConfig{Name: "a", DockerHub: d}, "dockerhub", "secret"},
		{railyard.WebhookReceiverConfig{Name: "a", Quay: d}, "quay", "secret"},
		{railyard.WebhookReceiverConfig{Name: "a", Harbor: d}, "harbor", "auth-header"},
		{railyard.WebhookReceiverConfig{Name: "a", Artifactory: d}, "artifactory", "secret-token"},
		{railyard.WebhookReceiverConfig{Name: "a", Azure: d}, "azure", "secret"},
		{railyard.WebhookReceiverConfig{Name: "a", Generic: d}, "generic", "secret"},
		{railyard.WebhookReceiverConfig{Name: "a", ECR: d}, "ecr", "secret"},
		{railyard.WebhookReceiverConfig{Name: "a"}, "", ""},
	}
	for _, c := range cases {
		p, secretName, ok := ProviderFor(c.cfg)
		if c.provider == "" {
			if ok {
				t.Errorf("ProviderFor(%+v) = %v, want not implemented", c.cfg, p.Name())
			}
			continue
		}
		if !ok || p.Name() != c.provider || p.SecretKey() != c.key || secretName != "wh-secret" {
			t.Errorf("ProviderFor(%s) = %v %q %v", c.provider, p, secretName, ok)
		}
	}
}
