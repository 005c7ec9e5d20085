package cli

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestGetReceivers(t *testing.T) {
	ns := newNamespace(t)
	if out := railyardCLI(ns, "get", "receivers").mustSucceed(t).stdout; !strings.Contains(out, "No webhook receivers for project "+ns) {
		t.Errorf("no ProjectConfig: %q", out)
	}

	ctx := context.Background()
	ref := func(name string) *railyard.WebhookReceiverDetails {
		return &railyard.WebhookReceiverDetails{SecretRef: corev1.LocalObjectReference{Name: name}}
	}
	pc := &railyard.ProjectConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: ns},
		Spec: railyard.ProjectConfigSpec{WebhookReceivers: []railyard.WebhookReceiverConfig{
			{Name: "registry", Harbor: ref("harbor")},
			{Name: "ecr", ECR: ref("missing")},
		}},
	}
	if err := k8s.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	pc.Status.WebhookReceivers = []railyard.WebhookReceiverStatus{{Name: "registry", Path: "/harbor/abc", URL: "https://hooks.example.com/harbor/abc"}}
	meta.SetStatusCondition(&pc.Status.Conditions, metav1.Condition{Type: railyard.ConditionReady, Status: metav1.ConditionFalse,
		Reason: railyard.ReasonWebhookReceiverInvalid, Message: `receiver "ecr": Secret missing does not exist`})
	if err := k8s.Status().Update(ctx, pc); err != nil {
		t.Fatal(err)
	}

	out := railyardCLI(ns, "get", "receivers").mustSucceed(t).stdout
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := [][]string{
		{"SCOPE", "NAME", "PROVIDER", "URL"},
		{ns, "registry", "harbor", "https://hooks.example.com/harbor/abc"},
		{ns, "ecr", "ecr", "not", "served:", "receiver", `"ecr":`},
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if f := strings.Fields(lines[i]); len(f) < len(w) || strings.Join(f[:len(w)], " ") != strings.Join(w, " ") {
			t.Errorf("line %d = %q, want it to start with %q", i, lines[i], w)
		}
	}
	if js := railyardCLI(ns, "get", "receivers", "-o", "json").mustSucceed(t).stdout; !strings.Contains(js, `"url": "https://hooks.example.com/harbor/abc"`) {
		t.Errorf("JSON output lacks the URL:\n%s", js)
	}
}
