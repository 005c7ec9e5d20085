package stage

import (
	"context"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
)

// collectionOf is the Freight collection of one Freight of appOrigin.
func collectionOf(name string) *railyard.FreightCollection {
	return &railyard.FreightCollection{Freight: map[string]railyard.FreightReference{
		appOrigin.String(): {Name: name, Origin: appOrigin},
	}}
}

// finishedPromotion is a Promotion of Freight f to Stage test that ended
// in phase at t0+d, created by actor.
func finishedPromotion(name, f string, phase railyard.PromotionPhase, d time.Duration, actor string) railyard.Promotion {
	at := metav1.NewTime(t0.Add(d))
	p := railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: name, Annotations: map[string]string{railyard.AnnotationCreateActor: actor}},
		Spec:       railyard.PromotionSpec{Stage: "test", Freight: f},
		Status: railyard.PromotionStatus{Phase: phase, Message: string(phase) + ": done", FinishedAt: &at,
			Freight: &railyard.FreightReference{Name: f, Origin: appOrigin}, FreightCollection: collectionOf(f),
			State: &apiextensionsv1.JSON{Raw: []byte(`{"clone":{"commit":"abc"}}`)}},
	}
	return p
}

func TestRecordFinishedPromotion(t *testing.T) {
	now := t0.Add(time.Hour)
	tests := map[string]struct {
		current    string // the Freight the Stage runs before
		promotions []railyard.Promotion
		wantCurrent,
		wantLast string
		wantEvent string
		// wantIn / wantOut: Freight whose status.currentlyIn names the
		// Stage afterwards, or does not.
		wantIn, wantOut []string
		wantHold        string
	}{
		"a success moves its Freight in and the previous one out": {
			current:     "old",
			promotions:  []railyard.Promotion{finishedPromotion("p1", "new", railyard.PromotionPhaseSucceeded, time.Minute, AutoPromotionActor)},
			wantCurrent: "new", wantLast: "p1", wantEvent: "Normal PromotionSucceeded Promotion p1 moved Freight new into the Stage",
			wantIn: []string{"new"}, wantOut: []string{"old"},
		},
		"a failure changes no Freight": {
			current:     "old",
			promotions:  []railyard.Promotion{finishedPromotion("p1", "new", railyard.PromotionPhaseFailed, time.Minute, "alice")},
			wantCurrent: "old", wantLast: "p1", wantEvent: "Warning PromotionFailed Promotion p1 of Freight new: Failed: done",
			wantIn: []string{"old"}, wantOut: []string{"new"},
		},
		"the one that finished last counts": {
			current: "old",
			promotions: []railyard.Promotion{
				finishedPromotion("p2", "new", railyard.PromotionPhaseSucceeded, 2*time.Minute, AutoPromotionActor),
				finishedPromotion("p1", "old", railyard.PromotionPhaseSucceeded, time.Minute, AutoPromotionActor),
			},
			wantCurrent: "new", wantLast: "p2", wantEvent: "PromotionSucceeded",
			wantIn: []string{"new"}, wantOut: []string{"old"},
		},
		"a person promoting older Freight holds auto-promotion": {
			current:     "new",
			promotions:  []railyard.Promotion{finishedPromotion("p1", "old", railyard.PromotionPhaseSucceeded, time.Minute, "alice")},
			wantCurrent: "old", wantLast: "p1", wantEvent: "Normal AutoPromotionHeld Freight old, older than the newest available new",
			wantIn: []string{"old"}, wantOut: []string{"new"}, wantHold: "old",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			st := autoStage(railyard.FreightSources{Direct: true})
			st.Status.FreightHistory = []railyard.FreightCollection{*collectionOf(tt.current)}
			oldF, newF := newFreight("old", 0), newFreight("new", time.Minute)
			since := metav1.NewTime(t0)
			for _, f := range []*railyard.Freight{oldF, newF} {
				if f.Name == tt.current {
					f.Status.CurrentlyIn = map[string]railyard.CurrentStage{"test": {Since: &since}}
				}
			}
			r, rec := fakeReconciler(t, now, interceptor.Funcs{}, st, oldF, newF)
			ctx := context.Background()
			sc := &scope{stage: st.DeepCopy(), promotions: tt.promotions, now: now}
			sc.patcher = reconcilehelp.NewStatusPatcher(r.Client, sc.stage)
			must(t, r.recordFinishedPromotion(ctx, sc))
			must(t, r.flushFreight(ctx, sc))

			s := sc.stage.Status
			if got := s.FreightHistory[0].Freight[appOrigin.String()].Name; got != tt.wantCurrent {
				t.Errorf("current Freight = %s, want %s", got, tt.wantCurrent)
			}
			if s.LastPromotion == nil || s.LastPromotion.Name != tt.wantLast || s.LastPromotion.Status.State != nil {
				t.Errorf("lastPromotion = %+v, want %s without its step state", s.LastPromotion, tt.wantLast)
			}
			if hold := s.AutoPromotionHolds[appOrigin.String()].FreightName; hold != tt.wantHold {
				t.Errorf("hold on %q, want %q", hold, tt.wantHold)
			}
			if got := drain(rec); !strings.Contains(got, tt.wantEvent) {
				t.Errorf("Events %q, want %q", got, tt.wantEvent)
			}
			if tt.wantCurrent != tt.current && (s.Health == nil || s.Health.Status != railyard.HealthStateUnknown || s.Health.Config == nil) {
				t.Errorf("health = %+v, want Unknown with the Promotion's health checks until checked", s.Health)
			}
			check := func(names []string, in bool) {
				for _, n := range names {
					f := &railyard.Freight{}
					must(t, r.Client.Get(ctx, client.ObjectKey{Namespace: "demo", Name: n}, f))
					if _, ok := f.Status.CurrentlyIn["test"]; ok != in {
						t.Errorf("Freight %s currently in the Stage: %v, want %v", n, ok, in)
					}
				}
			}
			check(tt.wantIn, true)
			check(tt.wantOut, false)
		})
	}
}

// drain returns the Events recorded so far, one a line.
func drain(rec *events.FakeRecorder) string {
	var out []string
	for {
		select {
		case e := <-rec.Events:
			out = append(out, e)
		default:
			return strings.Join(out, "\n")
		}
	}
}
