package stage

import (
	"context"
	"encoding/json"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// AutoPromotionActor is the create-actor of Promotions the Stage reconciler
// creates by itself.
const AutoPromotionActor = railyard.ActorAutoPromotion

// recordFinishedPromotion notices the Promotion that finished last. When it
// succeeded, its Freight collection becomes the Stage's current one: the
// Freight moves into the Stage, the Freight it replaced moves out, and the
// health criteria its steps left are kept for health checks.
func (r *Reconciler) recordFinishedPromotion(ctx context.Context, sc *scope) error {
	last := lastFinished(sc.promotions)
	if last == nil {
		return nil
	}
	if cur := sc.stage.Status.LastPromotion; cur != nil && cur.Name == last.Name {
		return nil
	}
	// The Stage came from the cache, which can lag behind this reconciler's
	// own last write: recording the Promotion again from an outdated Stage
	// would write its Freight history back without the verifications
	// recorded since. Recording is rare; the API server is asked first.
	live := &railyard.Stage{}
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(sc.stage), live); err != nil {
		return fmt.Errorf("reading Stage %s: %w", sc.stage.Name, err)
	}
	if cur := live.Status.LastPromotion; cur != nil && cur.Name == last.Name {
		live.DeepCopyInto(sc.stage)
		sc.patcher.Rebase(live)
		handleRefresh(sc.stage)
		return nil
	}
	st := sc.stage
	if last.Status.Phase == railyard.PromotionPhaseSucceeded && last.Status.FreightCollection != nil {
		next := *last.Status.FreightCollection.DeepCopy()
		next.VerificationHistory = nil
		var prev *railyard.FreightCollection
		if len(st.Status.FreightHistory) > 0 {
			prev = &st.Status.FreightHistory[0]
		}
		// Written with the next Freight write of this reconcile, before
		// the Stage status (flushFreight).
		r.moveFreight(sc, prev, &next)
		if err := r.updateHold(ctx, sc, last); err != nil {
			return err
		}
		st.Status.FreightHistory = freight.PushHistory(st.Status.FreightHistory, next)
		cfg, err := encodeHealthChecks(last.Status.HealthChecks)
		if err != nil {
			return err
		}
		st.Status.Health = &railyard.Health{Status: railyard.HealthStateUnknown, Config: cfg}
		r.events().Normal(st, railyard.EventPromotionSucceeded, fmt.Sprintf("Promotion %s moved Freight %s into the Stage", last.Name, freightName(last)))
	} else {
		r.events().Warning(st, railyard.PromotionEndedReason(last.Status.Phase), fmt.Sprintf("Promotion %s of Freight %s: %s", last.Name, freightName(last), last.Status.Message))
	}
	finished := last.Status.FinishedAt.DeepCopy()
	status := last.Status.DeepCopy()
	// Step outputs can be large and belong to the Promotion; the Stage
	// keeps the outcome.
	status.State = nil
	st.Status.LastPromotion = &railyard.PromotionReference{
		Name:       last.Name,
		Freight:    last.Status.Freight,
		Status:     status,
		FinishedAt: finished,
	}
	return nil
}

func freightName(p *railyard.Promotion) string {
	if p.Status.Freight != nil {
		return p.Status.Freight.Name
	}
	return p.Spec.Freight
}

// healthConfig is what status.health.config holds: the criteria the last
// successful Promotion left.
type healthConfig struct {
	HealthChecks []railyard.HealthCheckStep `json:"healthChecks,omitempty"`
}

func encodeHealthChecks(checks []railyard.HealthCheckStep) (*apiextensionsv1.JSON, error) {
	raw, err := json.Marshal(healthConfig{HealthChecks: checks})
	if err != nil {
		return nil, fmt.Errorf("encoding health checks: %w", err)
	}
	return &apiextensionsv1.JSON{Raw: raw}, nil
}

func decodeHealthChecks(h *railyard.Health) ([]railyard.HealthCheckStep, error) {
	if h == nil || h.Config == nil {
		return nil, nil
	}
	var cfg healthConfig
	if err := json.Unmarshal(h.Config.Raw, &cfg); err != nil {
		return nil, fmt.Errorf("decoding health checks: %w", err)
	}
	return cfg.HealthChecks, nil
}

// updateHold holds auto-promotion of an origin after a person promoted
// Freight older than the newest available (a rollback), and releases it when
// a person promotes the newest again.
func (r *Reconciler) updateHold(ctx context.Context, sc *scope, p *railyard.Promotion) error {
	if p.Annotations[railyard.AnnotationCreateActor] == AutoPromotionActor || p.Status.Freight == nil {
		return nil
	}
	origin := p.Status.Freight.Origin
	newest, err := r.newestAvailable(ctx, sc, origin)
	if err != nil {
		return err
	}
	st := sc.stage
	if newest != nil && newest.Name != p.Status.Freight.Name {
		if st.Status.AutoPromotionHolds == nil {
			st.Status.AutoPromotionHolds = map[string]railyard.AutoPromotionHold{}
		}
		now := metav1.NewTime(sc.now)
		st.Status.AutoPromotionHolds[origin.String()] = railyard.AutoPromotionHold{
			FreightName: p.Status.Freight.Name, PromotionName: p.Name, CreatedAt: &now,
		}
		r.events().Normal(st, railyard.EventAutoPromotionHeld, fmt.Sprintf("Freight %s, older than the newest available %s, was promoted by hand; auto-promotion of %s holds until the newest is promoted by hand", p.Status.Freight.Name, newest.Name, origin))
		return nil
	}
	delete(st.Status.AutoPromotionHolds, origin.String())
	return nil
}
