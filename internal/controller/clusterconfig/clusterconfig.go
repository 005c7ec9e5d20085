// Package clusterconfig reconciles the ClusterConfig: it publishes where each
// cluster-wide webhook receiver listens and reports the receivers that
// cannot be served, their Secrets being read from the system resources
// namespace. Package receiver serves them.
package clusterconfig

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
	"github.com/railyard-dev/railyard/internal/receiver"
)

// Reconciler reconciles the ClusterConfig.
type Reconciler struct {
	Client client.Client
	// Secrets reads receiver Secrets without a cache; defaults to the
	// manager's API reader.
	Secrets client.Reader
	// BaseURL is the receivers' public base URL; empty publishes paths only.
	BaseURL string
	// SystemNamespace holds the receivers' Secrets; empty disables
	// cluster-wide receivers.
	SystemNamespace string
}

// SetupWithManager registers the reconciler. Secrets of the system
// namespace are watched, metadata only, since receiver paths derive from
// them.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	if r.Secrets == nil {
		r.Secrets = mgr.GetAPIReader()
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&railyard.ClusterConfig{}).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.configNaming), builder.OnlyMetadata).
		Named("clusterconfig").
		Complete(r)
}

func (r *Reconciler) configNaming(ctx context.Context, o client.Object) []reconcile.Request {
	if r.SystemNamespace == "" || o.GetNamespace() != r.SystemNamespace {
		return nil
	}
	cfg := &railyard.ClusterConfig{}
	key := client.ObjectKey{Name: railyard.ClusterConfigName}
	if err := r.Client.Get(ctx, key, cfg); err != nil {
		return nil
	}
	if receiver.NamesSecret(cfg.Spec.WebhookReceivers, o.GetName()) {
		return []reconcile.Request{{NamespacedName: key}}
	}
	return nil
}

// Reconcile publishes the receivers and sets Ready.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cfg := &railyard.ClusterConfig{}
	if err := r.Client.Get(ctx, req.NamespacedName, cfg); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !cfg.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	sp := reconcilehelp.NewStatusPatcher(r.Client, cfg)
	var published []railyard.WebhookReceiverStatus
	var invalid error
	switch {
	case len(cfg.Spec.WebhookReceivers) == 0:
	case r.SystemNamespace == "":
		invalid = errors.New("no system resources namespace is configured (--system-resources-namespace), so cluster-wide receivers cannot read their Secrets")
	default:
		var err error
		published, err = receiver.Publish(ctx, r.Secrets, "", r.SystemNamespace, r.BaseURL, cfg.Spec.WebhookReceivers)
		if err != nil && !errors.Is(err, receiver.ErrInvalid) {
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

func setStatus(cfg *railyard.ClusterConfig, published []railyard.WebhookReceiverStatus, invalid error) {
	cfg.Status.ObservedGeneration = cfg.Generation
	cfg.Status.WebhookReceivers = published
	if v, ok := railyard.RefreshValue(cfg.Annotations); ok {
		cfg.Status.LastHandledRefresh = v
	}
	if invalid != nil {
		msg := strings.ReplaceAll(invalid.Error(), "\n", "; ")
		reconcilehelp.SetCondition(cfg, railyard.ConditionReady, metav1.ConditionFalse, railyard.ReasonWebhookReceiverInvalid, msg)
		reconcilehelp.SetCondition(cfg, railyard.ConditionStalled, metav1.ConditionTrue, railyard.ReasonWebhookReceiverInvalid, msg)
		return
	}
	msg := fmt.Sprintf("%d webhook receivers", len(published))
	if len(published) == 1 {
		msg = "1 webhook receiver"
	}
	reconcilehelp.SetCondition(cfg, railyard.ConditionReady, metav1.ConditionTrue, railyard.ReasonSucceeded, msg)
	reconcilehelp.RemoveCondition(cfg, railyard.ConditionStalled)
}
