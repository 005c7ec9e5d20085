package clusterconfig

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/testenv"
	"github.com/railyard-dev/railyard/internal/webhook"
)

const systemNS = "railyard-system-resources"

var k client.Client

func TestMain(m *testing.M) {
	var env *testenv.Env
	os.Exit(testenv.RunWithManager(m, func(mgr ctrl.Manager) error {
		k = env.Client
		return (&Reconciler{SystemNamespace: systemNS, BaseURL: "https://hooks.example.com/base"}).SetupWithManager(mgr)
	}, &env))
}

func TestClusterConfig(t *testing.T) {
	ctx := context.Background()
	// Only "cluster" is accepted, as in Kargo.
	if err := k.Create(ctx, &railyard.ClusterConfig{ObjectMeta: metav1.ObjectMeta{Name: "other"}}); err == nil || !strings.Contains(err.Error(), "must be named cluster") {
		t.Fatalf("a ClusterConfig named other: err = %v", err)
	}
	if err := k.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: systemNS}}); err != nil {
		t.Fatal(err)
	}
	cc := &railyard.ClusterConfig{
		ObjectMeta: metav1.ObjectMeta{Name: railyard.ClusterConfigName},
		Spec: railyard.ClusterConfigSpec{WebhookReceivers: []railyard.WebhookReceiverConfig{
			{Name: "all", Quay: &railyard.WebhookReceiverDetails{SecretRef: corev1.LocalObjectReference{Name: "quay"}}},
		}},
	}
	if err := k.Create(ctx, cc); err != nil {
		t.Fatal(err)
	}
	wait(t, func(c *railyard.ClusterConfig) error {
		r := meta.FindStatusCondition(c.Status.Conditions, railyard.ConditionReady)
		if r == nil || r.Reason != railyard.ReasonWebhookReceiverInvalid || !strings.Contains(r.Message, systemNS+"/quay does not exist") {
			return fmt.Errorf("Ready = %+v", r)
		}
		return nil
	})
	// The Secret is read from the system namespace only: one of the same
	// name elsewhere changes nothing.
	if err := k.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: systemNS, Name: "quay"}, Data: map[string][]byte{"secret": []byte("s")}}); err != nil {
		t.Fatal(err)
	}
	want := webhook.ReceiverPath("quay", "", "all", []byte("s"))
	wait(t, func(c *railyard.ClusterConfig) error {
		if !meta.IsStatusConditionTrue(c.Status.Conditions, railyard.ConditionReady) || len(c.Status.WebhookReceivers) != 1 {
			return fmt.Errorf("status %+v", c.Status)
		}
		if r := c.Status.WebhookReceivers[0]; r.Path != want || r.URL != "https://hooks.example.com/base"+want {
			return fmt.Errorf("receiver %+v, want path %s under the base URL", r, want)
		}
		return nil
	})
}

func wait(t *testing.T, check func(*railyard.ClusterConfig) error) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, func() error {
		c := &railyard.ClusterConfig{}
		if err := k.Get(context.Background(), client.ObjectKey{Name: railyard.ClusterConfigName}, c); err != nil {
			return err
		}
		return check(c)
	})
}
