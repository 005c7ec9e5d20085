package stage

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/shard"
	"github.com/railyard-dev/railyard/internal/rollouts"
	"github.com/railyard-dev/railyard/internal/rolloutstest"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// staleStages reads Stages past the cache, except that while stale is set
// it answers with that copy: what a manager's cache does for a moment after
// the reconciler wrote the Stage (the next reconcile can start before the
// watch delivered the write). A stand-in for that lag, which a real cache
// shows only by chance.
type staleStages struct {
	client.Client
	live  client.Reader
	stale *railyard.Stage
}

func (c *staleStages) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if st, ok := obj.(*railyard.Stage); ok {
		if c.stale != nil && key == client.ObjectKeyFromObject(c.stale) {
			c.stale.DeepCopyInto(st)
			return nil
		}
		return c.live.Get(ctx, key, obj, opts...)
	}
	return c.Client.Get(ctx, key, obj, opts...)
}

// testStaleStageRead drives a Stage reconciler by hand (its Stage carries a
// shard label the manager's reconciler leaves alone) and replays reconciles
// that read the Stage as it was before the last write. Neither the first
// verification nor a re-verification starts a second AnalysisRun, and the
// verification keeps its ID, so an abort or re-verify request made with the
// ID a person saw is still honoured.
func testStaleStageRead(t *testing.T, srv *analysisServer) {
	const shardName = "by-hand"
	w := newWorld(t)
	slow := rolloutstest.WebMetric("slow", srv.URL)
	slow["count"], slow["interval"] = int64(3), "1h"
	w.template(rolloutstest.Template(w.ns, "slow", slow))
	w.stageLabelled("test", templates("slow"), map[string]string{railyard.LabelShard: shardName})

	c := &staleStages{Client: mgr.GetClient(), live: mgr.GetAPIReader()}
	events := &eventReasons{}
	r := &Reconciler{Client: c, APIReader: mgr.GetAPIReader(), Clock: clock.RealClock{}, Recorder: events,
		Shard: shard.Filter{Name: shardName}, RESTMapper: mgr.GetRESTMapper()}
	key := client.ObjectKey{Namespace: w.ns, Name: "test"}
	reconcile := func() *railyard.Stage {
		t.Helper()
		if _, err := r.Reconcile(w.ctx, ctrl.Request{NamespacedName: key}); err != nil {
			t.Fatalf("reconcile: %v", err)
		}
		st := &railyard.Stage{}
		must(t, mgr.GetAPIReader().Get(w.ctx, key, st))
		return st
	}
	runs := func() []string {
		t.Helper()
		list := rollouts.NewRunList()
		must(t, mgr.GetAPIReader().List(w.ctx, list, client.InNamespace(w.ns), client.MatchingLabels{rollouts.LabelStage: "test"}))
		var names []string
		for _, run := range list.Items {
			names = append(names, run.GetName())
		}
		return names
	}

	// The Promotion reaches the manager's cache (which lists Promotions)
	// when it does; reconcile until the verification has started.
	var st *railyard.Stage
	testenv.Eventually(t, time.Minute, func() error {
		st = reconcile()
		if len(st.Status.FreightHistory) == 0 || len(st.Status.FreightHistory[0].VerificationHistory) == 0 {
			return fmt.Errorf("no verification yet: %+v", st.Status)
		}
		return nil
	})
	first := lastVerification(t, st)

	tests := []struct {
		name string
		// start starts the verification and returns the Stage as a
		// lagging cache may still show it afterwards.
		start    func() (stale *railyard.Stage)
		wantRuns int
	}{
		{name: "Promotion recorded again", wantRuns: 1, start: func() *railyard.Stage {
			// The Stage as the cache had it before the Promotion was
			// recorded.
			stale := st.DeepCopy()
			stale.Status = railyard.StageStatus{}
			return stale
		}},
		{name: "first verification", wantRuns: 1, start: func() *railyard.Stage {
			// Started above; the Stage as recorded with its new Freight,
			// before the verification was written.
			stale := st.DeepCopy()
			stale.Status.FreightHistory[0].VerificationHistory = nil
			return stale
		}},
		{name: "re-verification", wantRuns: 2, start: func() *railyard.Stage {
			w.annotate("test", railyard.AnnotationAbort, first.ID)
			if got := lastVerification(t, reconcile()); got.Phase != railyard.VerificationPhaseAborted {
				t.Fatalf("after the abort: %+v", got)
			}
			w.annotate("test", railyard.AnnotationReverify, railyard.VerificationRequest{ID: first.ID, Actor: "alice"}.String())
			stale := &railyard.Stage{}
			must(t, mgr.GetAPIReader().Get(w.ctx, key, stale))
			reconcile()
			return stale
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stale := tt.start()
			live := &railyard.Stage{}
			must(t, mgr.GetAPIReader().Get(w.ctx, key, live))
			started := lastVerification(t, live)
			if started.AnalysisRun == nil || len(runs()) != tt.wantRuns {
				t.Fatalf("verification %+v, runs %v; want one started, %d runs", started, runs(), tt.wantRuns)
			}
			// A reconcile reading the Stage as it was before that write.
			c.stale = stale
			reconcile()
			c.stale = nil
			got := lastVerification(t, reconcile())
			if got.ID != started.ID || got.AnalysisRun == nil || got.AnalysisRun.Name != started.AnalysisRun.Name || got.Actor != started.Actor {
				t.Errorf("after a stale read the verification is %+v, want %+v", got, started)
			}
			if names := runs(); len(names) != tt.wantRuns {
				t.Errorf("AnalysisRuns %v, want %d: a stale read started another", names, tt.wantRuns)
			}
			if n := events.count("PromotionSucceeded"); n != 1 {
				t.Errorf("the Promotion was recorded %d times, want once", n)
			}
		})
	}
}

// eventReasons records the reasons of the Events a reconciler emits, and
// about which object.
type eventReasons struct {
	mu     sync.Mutex
	events []recordedEvent
}

type recordedEvent struct {
	about  client.ObjectKey
	reason string
}

func (e *eventReasons) Eventf(regarding, _ runtime.Object, _, reason, _, _ string, _ ...any) {
	var about client.ObjectKey
	if obj, ok := regarding.(client.Object); ok {
		about = client.ObjectKeyFromObject(obj)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, recordedEvent{about: about, reason: reason})
}

// count is how many Events had the reason (about any object).
func (e *eventReasons) count(reason string) int { return e.countAbout(client.ObjectKey{}, reason) }

// countAbout is how many Events about the object had the reason.
func (e *eventReasons) countAbout(about client.ObjectKey, reason string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.events {
		if ev.reason == reason && (about == client.ObjectKey{} || ev.about == about) {
			n++
		}
	}
	return n
}
