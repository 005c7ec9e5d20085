package e2e

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// A project member who may edit the ProjectConfig but not read Secrets
// points a receiver at the namespace's database Secret: since the
// receiver's path is a hash of that Secret and is published, the
// webhook-receiver-secrets policy refuses it. Naming a Secret they may read
// is accepted.
func (s *security) receiverNeedsSecretAccess(t *testing.T) {
	ns := s.namespace(t)
	mustCreate(t, s.c, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"}, StringData: map[string]string{"secret": "hunter2"}})
	mustCreate(t, s.c, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hook"}, StringData: map[string]string{"secret": "for-webhooks"}})
	mustCreate(t, s.c, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "config-editor", Namespace: ns},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{railyard.GroupVersion.Group}, Resources: []string{"projectconfigs"}, Verbs: []string{"get", "list", "create", "update", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"hook"}, Verbs: []string{"get"}},
		},
	})
	mustCreate(t, s.c, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "config-editor", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "config-editor"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "eve"}},
	})
	_, cfg, err := s.env.AddUser("eve")
	if err != nil {
		t.Fatal(err)
	}
	eve, err := client.New(cfg, client.Options{Scheme: s.c.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	receiver := func(secret string) *railyard.ProjectConfig {
		return &railyard.ProjectConfig{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: ns},
			Spec: railyard.ProjectConfigSpec{WebhookReceivers: []railyard.WebhookReceiverConfig{
				{Name: "hub", DockerHub: &railyard.WebhookReceiverDetails{SecretRef: corev1.LocalObjectReference{Name: secret}}},
			}},
		}
	}
	err = eve.Create(s.ctx, receiver("db"))
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "Secrets db:") {
		t.Fatalf("a receiver naming an unreadable Secret: err = %v, want Forbidden naming it", err)
	}
	if err := eve.Create(s.ctx, receiver("hook")); err != nil {
		t.Fatalf("a receiver naming a readable Secret was refused: %v", err)
	}
	// Switching the existing receiver to the unreadable Secret is refused too.
	// The controller may write the object between our read and update
	// (finalizer, status), so a conflict means read again, never success.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var pc railyard.ProjectConfig
		if err := eve.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: ns}, &pc); err != nil {
			return err
		}
		pc.Spec.WebhookReceivers[0].DockerHub.SecretRef.Name = "db"
		return eve.Update(s.ctx, &pc)
	})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("switching the receiver to an unreadable Secret: err = %v, want Forbidden", err)
	}
}
