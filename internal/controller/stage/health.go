package stage

import (
	"context"
	"encoding/json"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
)

// updateHealth evaluates the health criteria the last successful Promotion
// left (Argo CD Applications: health, sync status and synced revision). The
// worst check wins; no checks means Healthy; Unknown while promoting.
func (r *Reconciler) updateHealth(ctx context.Context, sc *scope) error {
	st := sc.stage
	if len(st.Status.FreightHistory) == 0 {
		st.Status.Health = nil
		return nil
	}
	if st.Status.Health == nil {
		st.Status.Health = &railyard.Health{}
	}
	if promoting(sc) {
		st.Status.Health.Status = railyard.HealthStateUnknown
		st.Status.Health.Issues = []string{"a Promotion is running"}
		return nil
	}
	checks, err := decodeHealthChecks(st.Status.Health)
	if err != nil {
		st.Status.Health.Status = railyard.HealthStateUnknown
		st.Status.Health.Issues = []string{err.Error()}
		return nil
	}
	state := railyard.HealthStateHealthy
	var issues []string
	var outputs []argocd.HealthOutput
	for _, hc := range checks {
		if hc.Uses != argocd.HealthCheckKind {
			state = argocd.Worse(state, railyard.HealthStateUnknown)
			issues = append(issues, fmt.Sprintf("unknown health check %q", hc.Uses))
			continue
		}
		criteria, err := argocd.CriteriaFrom(hc)
		if err != nil {
			state = argocd.Worse(state, railyard.HealthStateUnknown)
			issues = append(issues, err.Error())
			continue
		}
		res, err := argocd.CheckHealth(ctx, r.applicationReader(), criteria)
		if err != nil {
			return err
		}
		for _, key := range res.NeedsRefresh {
			if err := argocd.RequestRefresh(ctx, r.Client, key); err != nil {
				ctrl.LoggerFrom(ctx).Error(err, "requesting an Argo CD refresh", "application", key)
			}
		}
		state = argocd.Worse(state, res.State)
		issues = append(issues, res.Issues...)
		outputs = append(outputs, res.Output)
	}
	st.Status.Health.Status = state
	st.Status.Health.Issues = issues
	st.Status.Health.Output = nil
	if len(outputs) > 0 {
		if raw, err := json.Marshal(outputs); err == nil {
			st.Status.Health.Output = &apiextensionsv1.JSON{Raw: raw}
		}
	}
	// With Applications watched, their changes reach the Stage (through
	// the authorized-stage annotation every health-checked Application
	// carries); without the watch, only a recheck notices them.
	if state != railyard.HealthStateHealthy && !r.WatchApplications {
		sc.requeueAfter(unhealthyRecheck)
	}
	return nil
}

// applicationReader reads Argo CD Applications from the cache when they are
// watched, else straight from the API server (no informer for a kind we do
// not watch).
func (r *Reconciler) applicationReader() client.Reader {
	if r.WatchApplications {
		return r.Client
	}
	return r.APIReader
}

func promoting(sc *scope) bool {
	cur := sc.stage.Status.CurrentPromotion
	if cur == nil {
		return false
	}
	for i := range sc.promotions {
		if sc.promotions[i].Name == cur.Name {
			return sc.promotions[i].Status.Phase == railyard.PromotionPhaseRunning
		}
	}
	return false
}
