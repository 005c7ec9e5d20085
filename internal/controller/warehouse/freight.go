package warehouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
	"github.com/railyard-dev/railyard/internal/expr"
	"github.com/railyard-dev/railyard/internal/freight"
)

// produceFreight creates Freight from the newest artifact of every
// subscription when the policy is Automatic and the criteria hold. The
// returned error is transient (the API server refused the Freight).
func (r *Reconciler) produceFreight(ctx context.Context, w *railyard.Warehouse, outcomes []outcome, s summary, now time.Time) error {
	if w.Spec.FreightCreationPolicy == railyard.FreightCreationPolicyManual {
		reconcilehelp.RemoveCondition(w, railyard.ConditionFreightCreationCriteriaSatisfied)
		setCondition(w, railyard.ConditionFreightCreated, metav1.ConditionFalse, railyard.ReasonManualPolicy,
			"freightCreationPolicy is Manual: Freight is created by people")
		return nil
	}
	if !s.ok() || len(s.empty) > 0 {
		// Freight needs a fresh artifact from every subscription.
		reconcilehelp.RemoveCondition(w, railyard.ConditionFreightCreationCriteriaSatisfied)
		reconcilehelp.RemoveCondition(w, railyard.ConditionFreightCreated)
		return nil
	}
	f := candidate(w, outcomes, now)
	ok, err := criteriaHold(ctx, w, f)
	switch {
	case err != nil:
		msg := fmt.Sprintf("spec.freightCreationCriteria.expression: %v", err)
		setCondition(w, railyard.ConditionFreightCreationCriteriaSatisfied, metav1.ConditionFalse, railyard.ReasonCriteriaInvalid, msg)
		setCondition(w, railyard.ConditionReady, metav1.ConditionFalse, railyard.ReasonCriteriaInvalid, msg)
		setCondition(w, railyard.ConditionStalled, metav1.ConditionTrue, railyard.ReasonCriteriaInvalid, msg)
		reconcilehelp.RemoveCondition(w, railyard.ConditionFreightCreated)
		return nil
	case !ok:
		setCondition(w, railyard.ConditionFreightCreationCriteriaSatisfied, metav1.ConditionFalse, railyard.ReasonCriteriaNotSatisfied,
			fmt.Sprintf("%q is false for %s", w.Spec.FreightCreationCriteria.Expression, artifactsOf(f)))
		reconcilehelp.RemoveCondition(w, railyard.ConditionFreightCreated)
		return nil
	}
	msg := "no criteria"
	if c := w.Spec.FreightCreationCriteria; c != nil && c.Expression != "" {
		msg = fmt.Sprintf("%q is true for %s", c.Expression, artifactsOf(f))
	}
	setCondition(w, railyard.ConditionFreightCreationCriteriaSatisfied, metav1.ConditionTrue, railyard.ReasonCriteriaSatisfied, msg)

	created, err := r.createFreight(ctx, f)
	if err != nil {
		msg := fmt.Sprintf("creating Freight %s: %v", f.Name, err)
		setCondition(w, railyard.ConditionFreightCreated, metav1.ConditionFalse, railyard.ReasonFreightCreationFailed, msg)
		setCondition(w, railyard.ConditionReady, metav1.ConditionFalse, railyard.ReasonFreightCreationFailed, msg)
		return fmt.Errorf("creating Freight %s: %w", f.Name, err)
	}
	last := meta.FindStatusCondition(w.Status.Conditions, railyard.ConditionFreightCreated)
	madeBefore := w.Status.LastFreightID == f.Name && last != nil && last.Status == metav1.ConditionTrue && last.Reason == railyard.ReasonFreightCreated
	w.Status.LastFreightID = f.Name
	if !created {
		if madeBefore {
			// Still this Warehouse's last creation: saying so again keeps a
			// discovery that found nothing new from changing the status.
			return nil
		}
		setCondition(w, railyard.ConditionFreightCreated, metav1.ConditionTrue, railyard.ReasonFreightExists,
			fmt.Sprintf("Freight %s for %s already exists", f.Name, artifactsOf(f)))
		return nil
	}
	setCondition(w, railyard.ConditionFreightCreated, metav1.ConditionTrue, railyard.ReasonFreightCreated,
		fmt.Sprintf("created Freight %s (%s) for %s", f.Name, f.Alias, artifactsOf(f)))
	freightCreated.WithLabelValues(w.Namespace).Inc()
	r.recorder.Emit(w, f, corev1.EventTypeNormal, railyard.ReasonFreightCreated, "CreateFreight",
		fmt.Sprintf("Created Freight %s (%s) for %s", f.Name, f.Alias, artifactsOf(f)))
	return nil
}

// candidate is the Freight of the newest artifact of every subscription.
func candidate(w *railyard.Warehouse, outcomes []outcome, now time.Time) *railyard.Freight {
	f := &railyard.Freight{
		ObjectMeta:   metav1.ObjectMeta{Namespace: w.Namespace},
		Origin:       railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: w.Name},
		DiscoveredAt: &metav1.Time{Time: now},
	}
	freight.StampDiscoveredAt(f, now)
	for i := range outcomes {
		o := &outcomes[i]
		switch {
		case o.image != nil && len(o.image.References) > 0:
			ref := o.image.References[0]
			f.Images = append(f.Images, railyard.Image{RepoURL: o.image.RepoURL, Tag: ref.Tag, Digest: ref.Digest,
				Annotations: ref.Annotations, SubscriptionName: o.image.SubscriptionName})
		case o.chart != nil && len(o.chart.Versions) > 0:
			f.Charts = append(f.Charts, railyard.Chart{RepoURL: o.chart.RepoURL, Name: o.chart.Name,
				Version: o.chart.Versions[0], SubscriptionName: o.chart.SubscriptionName})
		case o.git != nil && len(o.git.Commits) > 0:
			c := o.git.Commits[0]
			f.Commits = append(f.Commits, railyard.GitCommit{RepoURL: o.git.RepoURL, ID: c.ID, Branch: c.Branch, Tag: c.Tag,
				Message: c.Subject, Author: c.Author, Committer: c.Committer, SubscriptionName: o.git.SubscriptionName})
		}
	}
	f.Name = freight.IDOf(f)
	return f
}

// criteriaHold evaluates spec.freightCreationCriteria over the candidate.
// As in Kargo, imageFrom, chartFrom and commitFrom answer from the
// discovered artifacts (status.discoveredArtifacts, of which the candidate
// holds the newest), so an image's CreatedAt and a commit's Subject, Author,
// Committer and CreatorDate reach the expression; without them (never after
// a discovery) they see the candidate as the only Freight.
func criteriaHold(ctx context.Context, w *railyard.Warehouse, f *railyard.Freight) (bool, error) {
	c := w.Spec.FreightCreationCriteria
	if c == nil || strings.TrimSpace(c.Expression) == "" {
		return true, nil
	}
	env := &expr.Env{Freight: railyard.FreightCollection{Freight: map[string]railyard.FreightReference{
		f.Origin.String(): {Name: f.Name, Origin: f.Origin, Commits: f.Commits, Images: f.Images, Charts: f.Charts},
	}}}
	if a := w.Status.DiscoveredArtifacts; a != nil {
		ctx = expr.WithDiscovered(ctx, f.Origin, a)
	}
	return expr.EvalBool(ctx, c.Expression, env)
}

// createFreight creates f with a free alias. false means Freight with f's
// content existed (named by its content, or by hand): the normal outcome of
// a repeat; f then takes that Freight's name and alias.
func (r *Reconciler) createFreight(ctx context.Context, f *railyard.Freight) (bool, error) {
	var existing railyard.Freight
	err := r.client.Get(ctx, client.ObjectKeyFromObject(f), &existing)
	if err == nil {
		f.Alias = existing.Alias
		return false, nil
	}
	if !apierrors.IsNotFound(err) {
		return false, err
	}
	same, err := freight.WithContent(ctx, r.client, f.Namespace, f.Name, true)
	if err != nil {
		return false, err
	}
	if len(same) > 0 {
		f.Name, f.Alias = same[0].Name, same[0].Alias
		return false, nil
	}
	alias, err := freight.ChooseAlias(ctx, r.client, f, "")
	if err != nil {
		return false, err
	}
	f.Alias = alias
	f.Labels = map[string]string{railyard.LabelAlias: alias}
	if err := r.client.Create(ctx, f); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// artifactsOf summarises Freight content for messages: "ghcr.io/org/app:v1.2.3, chart@1.0.0".
func artifactsOf(f *railyard.Freight) string {
	var parts []string
	for _, i := range f.Images {
		parts = append(parts, i.RepoURL+":"+i.Tag)
	}
	for _, c := range f.Charts {
		name := c.RepoURL
		if c.Name != "" {
			name += "/" + c.Name
		}
		parts = append(parts, name+"@"+c.Version)
	}
	for _, c := range f.Commits {
		id := c.ID
		if len(id) > 7 {
			id = id[:7]
		}
		if c.Tag != "" {
			id = c.Tag + " (" + id + ")"
		}
		parts = append(parts, c.RepoURL+"@"+id)
	}
	return strings.Join(parts, ", ")
}
