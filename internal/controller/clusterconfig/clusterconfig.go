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
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
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
	before := cfg.DeepCopy()
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
	if equality.Semantic.DeepEqual(before.Status, cfg.Status) {
		return ctrl.Result{}, nil
	}
	if err := r.Client.Status().Patch(ctx, cfg, client.MergeFrom(before)); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, fmt.Errorf("patching status: %w", err)
	}
	return ctrl.Result{}, nil
}

func setStatus(cfg *railyard.ClusterConfig, published []railyard.WebhookReceiverStatus, invalid error) {
	cfg.Status.ObservedGeneration = cfg.Generation
	cfg.Status.WebhookReceivers = published
	if v, ok := railyard.RefreshValue(cfg.Annotations); ok {
		cfg.Status.LastHandledRefresh = v
	}
	cond := metav1.Condition{Type: railyard.ConditionReady, ObservedGeneration: cfg.Generation}
	if invalid != nil {
		cond.Status, cond.Reason = metav1.ConditionFalse, railyard.ReasonWebhookReceiverInvalid
		cond.Message = strings.ReplaceAll(invalid.Error(), "\n", "; ")
		meta.SetStatusCondition(&cfg.Status.Conditions, cond)
		stalled := cond
		stalled.Type, stalled.Status = railyard.ConditionStalled, metav1.ConditionTrue
		meta.SetStatusCondition(&cfg.Status.Conditions, stalled)
		return
	}
	cond.Status, cond.Reason = metav1.ConditionTrue, railyard.ReasonSucceeded
	cond.Message = fmt.Sprintf("%d webhook receivers", len(published))
	if len(published) == 1 {
		cond.Message = "1 webhook receiver"
	}
	meta.SetStatusCondition(&cfg.Status.Conditions, cond)
	meta.RemoveStatusCondition(&cfg.Status.Conditions, railyard.ConditionStalled)
}
