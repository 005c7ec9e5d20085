package projectconfig

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/webhook"
)

// A receiver whose Secret is missing is reported and left out of status;
// creating the Secret publishes its path, which is Kargo's hash of project,
// name and secret; rotating the Secret publishes the new path.
func TestReceiversPublished(t *testing.T) {
	ctx := context.Background()
	const ns = "hooks"
	if err := k.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	cfg := &railyard.ProjectConfig{
		ObjectMeta: metav1.ObjectMeta{Name: ns, Namespace: ns},
		Spec: railyard.ProjectConfigSpec{WebhookReceivers: []railyard.WebhookReceiverConfig{
			{Name: "gh", GitHub: &railyard.WebhookReceiverDetails{SecretRef: corev1.LocalObjectReference{Name: "gh-hook"}}},
		}},
	}
	if err := k.Create(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	got := waitReady(t, client.ObjectKeyFromObject(cfg), railyard.ReasonWebhookReceiverInvalid)
	if msg := got.Status.Conditions[0].Message; !strings.Contains(msg, `receiver "gh"`) || !strings.Contains(msg, "hooks/gh-hook does not exist") {
		t.Errorf("Ready message %q does not name the receiver and its Secret", msg)
	}
	if len(got.Status.WebhookReceivers) != 0 {
		t.Errorf("a receiver without its Secret was published: %+v", got.Status.WebhookReceivers)
	}

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "gh-hook", Namespace: ns}, Data: map[string][]byte{"secret": []byte("one")}}
	if err := k.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	waitPath(t, client.ObjectKeyFromObject(cfg), webhook.ReceiverPath("github", ns, "gh", []byte("one")))

	secret.Data["secret"] = []byte("two")
	if err := k.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	waitPath(t, client.ObjectKeyFromObject(cfg), webhook.ReceiverPath("github", ns, "gh", []byte("two")))
}

func waitPath(t *testing.T, key client.ObjectKey, want string) {
	t.Helper()
	eventually(t, func() error {
		cfg := &railyard.ProjectConfig{}
		if err := k.Get(context.Background(), key, cfg); err != nil {
			return err
		}
		if len(cfg.Status.WebhookReceivers) != 1 || cfg.Status.WebhookReceivers[0].Path != want {
			return fmt.Errorf("receivers %+v, want path %s", cfg.Status.WebhookReceivers, want)
		}
		return nil
	})
}
