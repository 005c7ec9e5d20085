// Package projectconfig reconciles ProjectConfigs: it reports whether a
// ProjectConfig is usable (named like its namespace, every promotion policy
// valid) so that a mistake is visible instead of silently disabling
// auto-promotion. Stages read the policies themselves (package policy).
package projectconfig

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/policy"
)

// Reconciler reconciles ProjectConfigs.
type Reconciler struct {
	Client client.Client
}

// SetupWithManager registers the reconciler.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&railyard.ProjectConfig{}).
		Named("projectconfig").
		Complete(r)
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
	before := cfg.DeepCopy()
	setStatus(cfg)
	if equality.Semantic.DeepEqual(before.Status, cfg.Status) {
		return ctrl.Result{}, nil
	}
	if err := r.Client.Status().Patch(ctx, cfg, client.MergeFrom(before)); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, fmt.Errorf("patching status: %w", err)
	}
	return ctrl.Result{}, nil
}

// setStatus sets Ready (and Stalled when the user must act), echoes the
// refresh annotation and records the observed generation.
func setStatus(cfg *railyard.ProjectConfig) {
	cfg.Status.ObservedGeneration = cfg.Generation
	if v, ok := refreshValue(cfg); ok {
		cfg.Status.LastHandledRefresh = v
	}
	reason, msg := railyard.ReasonSucceeded, summary(cfg)
	switch {
	case cfg.Name != cfg.Namespace:
		reason = railyard.ReasonNameMismatch
		msg = fmt.Sprintf("a ProjectConfig must be named like its namespace %q; this one is ignored", cfg.Namespace)
	default:
		if err := policy.Validate(cfg); err != nil {
			reason, msg = railyard.ReasonInvalidSpec, errorMessage(err)
		}
	}
	if reason == railyard.ReasonSucceeded {
		setCondition(cfg, railyard.ConditionReady, metav1.ConditionTrue, reason, msg)
		meta.RemoveStatusCondition(&cfg.Status.Conditions, railyard.ConditionStalled)
		return
	}
	setCondition(cfg, railyard.ConditionReady, metav1.ConditionFalse, reason, msg)
	setCondition(cfg, railyard.ConditionStalled, metav1.ConditionTrue, reason, msg)
}

func setCondition(cfg *railyard.ProjectConfig, typ string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&cfg.Status.Conditions, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: cfg.Generation,
	})
}

func summary(cfg *railyard.ProjectConfig) string {
	n := len(cfg.Spec.PromotionPolicies)
	if n == 1 {
		return "1 promotion policy"
	}
	return fmt.Sprintf("%d promotion policies", n)
}

// refreshValue returns the refresh annotation, Railyard's spelling first.
func refreshValue(cfg *railyard.ProjectConfig) (string, bool) {
	for _, key := range []string{railyard.AnnotationRefresh, railyard.AnnotationKargoRefresh} {
		if v, ok := cfg.Annotations[key]; ok {
			return v, true
		}
	}
	return "", false
}

// errorMessage renders joined errors on one line, as conditions are read in
// `kubectl get` columns.
func errorMessage(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
