package reconcilehelp

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// recorded is one Event as the recorder received it.
type recorded struct {
	regarding, related     runtime.Object
	eventType, reason, act string
	message                string
}

type recorder struct{ events []recorded }

func (r *recorder) Eventf(regarding, related runtime.Object, eventType, reason, action, note string, args ...any) {
	r.events = append(r.events, recorded{regarding, related, eventType, reason, action, fmt.Sprintf(note, args...)})
}

func TestEvents(t *testing.T) {
	st := stage("s")
	var missing *railyard.Warehouse
	tests := map[string]struct {
		emit func(Events)
		want recorded
	}{
		"normal": {
			emit: func(e Events) { e.Normal(st, railyard.EventPromotionCreated, "created p1") },
			want: recorded{regarding: st, eventType: corev1.EventTypeNormal, reason: railyard.EventPromotionCreated, act: "Reconcile", message: "created p1"},
		},
		"warning, with a '%' that is not a format": {
			emit: func(e Events) { e.Warning(st, railyard.ReasonVerificationFailed, "error rate 5%s over 1%") },
			want: recorded{regarding: st, eventType: corev1.EventTypeWarning, reason: railyard.ReasonVerificationFailed, act: "Reconcile", message: "error rate 5%s over 1%"},
		},
		"related object and another action": {
			emit: func(e Events) {
				e.Emit(st, st, corev1.EventTypeNormal, railyard.ReasonFreightCreated, "CreateFreight", "made")
			},
			want: recorded{regarding: st, related: st, eventType: corev1.EventTypeNormal, reason: railyard.ReasonFreightCreated, act: "CreateFreight", message: "made"},
		},
		"a nil pointer as related object is no related object": {
			emit: func(e Events) { e.Emit(st, missing, corev1.EventTypeWarning, "FreightRejected", "", "bad") },
			want: recorded{regarding: st, eventType: corev1.EventTypeWarning, reason: "FreightRejected", act: "Reconcile", message: "bad"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			tt.emit(Events{Recorder: rec, Action: "Reconcile"})
			if len(rec.events) != 1 {
				t.Fatalf("%d events, want 1", len(rec.events))
			}
			got := rec.events[0]
			if got.related != nil && tt.want.related == nil {
				t.Errorf("related = %#v, want none", got.related)
			}
			got.related, tt.want.related = nil, nil
			if got != tt.want {
				t.Errorf("event = %+v\nwant    %+v", got, tt.want)
			}
		})
	}
}
