package stage

import (
	"context"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
	"github.com/railyard-dev/railyard/internal/promotion/argocdstep"
)

// updateHealth evaluates the health criteria the last successful Promotion
// left (Argo CD Applications: health, sync status and synced revision). The
// worst check wins; no checks means Healthy; Unknown while promoting.
func (r *Reconciler) updateHealth(ctx context.Context, sc *scope) error {
	st := sc.stage
	if r.ArgoCD != nil && needsArgoCD(st) {
		if err := r.ArgoCD.Err(); err != nil {
			r.argoCDUnreachable(sc, err)
			return nil
		}
	}
	if len(st.Status.FreightHistory) == 0 {
		st.Status.Health = nil
		return nil
	}
	if st.Status.Health == nil {
		st.Status.Health = &railyard.Health{}
	}
	if holdsHealth(sc) {
		holdHealth(st)
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
		apps, err := r.applicationClient()
		if err != nil {
			r.argoCDUnreachable(sc, err)
			return nil
		}
		res, err := argocd.CheckHealth(ctx, apps, criteria)
		if err != nil {
			if r.ArgoCD != nil {
				// A remote cluster that stopped answering since its last
				// probe: a condition, not an error retried at once.
				r.argoCDUnreachable(sc, fmt.Errorf("%w: %w", argocd.ErrUnreachable, err))
				return nil
			}
			return err
		}
		for _, key := range res.NeedsRefresh {
			if err := argocd.RequestRefresh(ctx, apps, key); err != nil {
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
		if raw, err := reconcilehelp.StoredJSON(outputs); err == nil {
			st.Status.Health.Output = &apiextensionsv1.JSON{Raw: raw}
		}
	}
	// With Applications watched, their changes reach the Stage (through
	// the authorized-stage annotation every health-checked Application
	// carries); without the watch, only a recheck notices them.
	if state != railyard.HealthStateHealthy && !r.WatchApplications && r.ArgoCD == nil {
		sc.requeueAfter(unhealthyRecheck)
	}
	return nil
}

// argoCDUnreachable records why Argo CD cannot be asked; the Healthy and
// Ready conditions say ArgoCDUnreachable. Nothing wakes the Stage when the
// cluster answers again, so it looks again soon.
func (r *Reconciler) argoCDUnreachable(sc *scope, err error) {
	sc.argoCDUnreachable = err.Error()
	if h := sc.stage.Status.Health; h != nil {
		// The health checks in h.Config stay for when Argo CD answers.
		h.Status = railyard.HealthStateUnknown
		h.Issues = []string{err.Error()}
		h.Output = nil
	}
	sc.requeueAfter(unhealthyRecheck)
}

// applicationClient is where Applications are read and refreshed: the
// remote Argo CD cluster (--argocd-kubeconfig), else the cache when
// Applications are watched, else the API server (no informer for a kind we
// do not watch).
func (r *Reconciler) applicationClient() (client.Client, error) {
	if r.ArgoCD != nil {
		return r.ArgoCD.Client()
	}
	if r.WatchApplications {
		return r.Client, nil
	}
	return readThrough{Client: r.Client, reader: r.APIReader}, nil
}

// readThrough reads with reader and writes with the Client.
type readThrough struct {
	client.Client
	reader client.Reader
}

func (c readThrough) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	return c.reader.Get(ctx, key, obj, opts...)
}

func (c readThrough) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return c.reader.List(ctx, list, opts...)
}

// needsArgoCD reports whether a Stage's promotions or health involve Argo
// CD: its steps use argocd-update or argocd-wait, or its last promotion
// left Argo CD health checks. Steps inside PromotionTasks are not looked
// into; their Stage shows the problem once a promotion left health checks.
func needsArgoCD(st *railyard.Stage) bool {
	if t := st.Spec.PromotionTemplate; t != nil {
		for _, step := range t.Spec.Steps {
			if step.Uses == argocdstep.Name || step.Uses == argocdstep.WaitName {
				return true
			}
		}
	}
	checks, _ := decodeHealthChecks(st.Status.Health)
	for _, hc := range checks {
		if hc.Uses == argocd.HealthCheckKind {
			return true
		}
	}
	return false
}

// promoting says whether the Stage's current Promotion is running.
func promoting(sc *scope) bool {
	p := currentPromotion(sc)
	return p != nil && p.Status.Phase == railyard.PromotionPhaseRunning
}

// holdsHealth says whether a Promotion is running or next (published as
// the current one and not finished): as in Kargo, health is not assessed
// then. Holding it from when the Promotion is published, not only once it
// runs, also spares the Stage a status write per promotion.
func holdsHealth(sc *scope) bool {
	p := currentPromotion(sc)
	return p != nil && !p.Status.Phase.IsTerminal()
}

// holdHealth records that health waits for the current Promotion.
func holdHealth(st *railyard.Stage) {
	if len(st.Status.FreightHistory) == 0 {
		return
	}
	if st.Status.Health == nil {
		st.Status.Health = &railyard.Health{}
	}
	st.Status.Health.Status = railyard.HealthStateUnknown
	st.Status.Health.Issues = []string{promotionInProgress}
}

// promotionInProgress is the health issue while a Promotion is running or next.
const promotionInProgress = "a Promotion is in progress"

func currentPromotion(sc *scope) *railyard.Promotion {
	cur := sc.stage.Status.CurrentPromotion
	if cur == nil {
		return nil
	}
	for i := range sc.promotions {
		if sc.promotions[i].Name == cur.Name {
			return &sc.promotions[i]
		}
	}
	return nil
}
