// Package projectconfig reconciles ProjectConfigs: it reports whether a
// ProjectConfig is usable (named like its namespace, every promotion policy
// valid, every webhook receiver's Secret present) so that a mistake is
// visible instead of silently disabling auto-promotion or a receiver, and it
// publishes where each receiver listens. Stages read the policies
// themselves (package policy); package receiver serves the receivers.
package projectconfig

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
	"github.com/railyard-dev/railyard/internal/policy"
	"github.com/railyard-dev/railyard/internal/receiver"
)

// Reconciler reconciles ProjectConfigs.
type Reconciler struct {
	Client client.Client
	// Secrets reads receiver Secrets without a cache; defaults to the
	// manager's API reader.
	Secrets client.Reader
	// BaseURL is the receivers' public base URL; empty publishes paths only.
	BaseURL string
}

// SetupWithManager registers the reconciler. A receiver's path derives from
// its Secret, so Secrets are watched (metadata only, nothing of their data
// is cached) and a change re-publishes the receivers that name them.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	if r.Secrets == nil {
		r.Secrets = mgr.GetAPIReader()
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&railyard.ProjectConfig{}).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.configsNaming), builder.OnlyMetadata).
		Named("projectconfig").
		Complete(r)
}

// configsNaming maps a Secret to its namespace's ProjectConfig when one of
// its receivers names the Secret.
func (r *Reconciler) configsNaming(ctx context.Context, o client.Object) []reconcile.Request {
	cfg := &railyard.ProjectConfig{}
	key := client.ObjectKey{Namespace: o.GetNamespace(), Name: o.GetNamespace()}
	if err := r.Client.Get(ctx, key, cfg); err != nil {
		return nil
	}
	if receiver.NamesSecret(cfg.Spec.WebhookReceivers, o.GetName()) {
		return []reconcile.Request{{NamespacedName: key}}
	}
	return nil
}

// Reconcile computes the ProjectConfig's status. Every problem it finds is
// the user's to fix, so nothing is retried except a failed status write.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cfg := &railyard.ProjectConfig{}
	if err := r.Client.Get(ctx, req.NamespacedName, cfg); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !cfg.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	sp := reconcilehelp.NewStatusPatcher(r.Client, cfg)
	var published []railyard.WebhookReceiverStatus
	var invalid error
	if cfg.Name == cfg.Namespace {
		var err error
		published, err = receiver.Publish(ctx, r.Secrets, cfg.Namespace, cfg.Namespace, r.BaseURL, cfg.Spec.WebhookReceivers)
		if err != nil && !errors.Is(err, receiver.ErrInvalid) {
			// The API server failed us: retry, keeping the last status.
			return ctrl.Result{}, err
		}
		invalid = err
	}
	setStatus(cfg, published, invalid)
	if err := sp.Patch(ctx, cfg); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, nil
}

// setStatus sets Ready (and Stalled when the user must act), publishes the
// receivers that can be served, echoes the refresh annotation and records
// the observed generation. invalid names the receivers that cannot be.
func setStatus(cfg *railyard.ProjectConfig, published []railyard.WebhookReceiverStatus, invalid error) {
	cfg.Status.ObservedGeneration = cfg.Generation
	cfg.Status.WebhookReceivers = published
	if v, ok := railyard.RefreshValue(cfg.Annotations); ok {
		cfg.Status.LastHandledRefresh = v
	}
	reason, msg := railyard.ReasonSucceeded, summary(cfg)
	switch {
	case cfg.Name != cfg.Namespace:
		reason = railyard.ReasonNameMismatch
		msg = fmt.Sprintf("a ProjectConfig must be named like its namespace %q; this one is ignored", cfg.Namespace)
	default:
		err := policy.Validate(cfg)
		switch {
		case err != nil:
			reason, msg = railyard.ReasonInvalidSpec, errorMessage(errors.Join(err, invalid))
		case invalid != nil:
			reason, msg = railyard.ReasonWebhookReceiverInvalid, errorMessage(invalid)
		}
	}
	if reason == railyard.ReasonSucceeded {
		reconcilehelp.SetCondition(cfg, railyard.ConditionReady, metav1.ConditionTrue, reason, msg)
		reconcilehelp.RemoveCondition(cfg, railyard.ConditionStalled)
		return
	}
	reconcilehelp.SetCondition(cfg, railyard.ConditionReady, metav1.ConditionFalse, reason, msg)
	reconcilehelp.SetCondition(cfg, railyard.ConditionStalled, metav1.ConditionTrue, reason, msg)
}

func summary(cfg *railyard.ProjectConfig) string {
	s := plural(len(cfg.Spec.PromotionPolicies), "promotion policy", "promotion policies")
	if n := len(cfg.Status.WebhookReceivers); n > 0 {
		s += ", " + plural(n, "webhook receiver", "webhook receivers")
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// errorMessage renders joined errors on one line, as conditions are read in
// `kubectl get` columns.
func errorMessage(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
