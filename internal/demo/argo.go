package demo

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/railyard-dev/railyard/internal/argocd"
)

// argoNamespace holds the demo's Argo CD Applications.
const argoNamespace = "argocd"

// ArgoStandIn stands in for Argo CD's application controller, which cannot
// run here (the demo and the end-to-end tests use it): it completes every
// sync operation that the argocd-update step requests, recording the
// requested revision as synced and the Application as Synced and Healthy,
// the way Argo CD reports a finished sync. It deploys nothing.
type ArgoStandIn struct {
	// Client reads and updates Applications in the argocd namespace. When it
	// can also watch (client.WithWatch), the stand-in acts as soon as an
	// operation is requested, as Argo CD does, instead of on its next tick.
	Client client.Client
	// OnSync, if set, is told of each completed sync.
	OnSync func(app, revision string)
	// Paused leaves requested operations waiting while true.
	Paused atomic.Bool
	// Interval is how often Applications are looked at without a watch
	// event (a delayed operation falling due); 200ms if zero.
	Interval time.Duration
	// Delay is how long an operation waits, from when the stand-in first
	// sees it, before it completes: a slow sync, for tests that must tell a
	// watch from a poll.
	Delay time.Duration
	// Workers is how many operations complete at once, as Argo CD's
	// operation processors (10 by default there and here).
	Workers int

	// seen is when each pending operation was first seen, by Application.
	mu   sync.Mutex
	seen map[string]seenOp
}

// seenOp is a pending operation, told apart from a later one by the
// operation info (which names the Promotion).
type seenOp struct {
	op string
	at time.Time
}

// DefaultStandInInterval is how often the stand-in looks by default.
const DefaultStandInInterval = 200 * time.Millisecond

// DefaultStandInWorkers is Argo CD's default number of operation processors.
const DefaultStandInWorkers = 10

// Run completes sync operations until ctx ends.
func (a *ArgoStandIn) Run(ctx context.Context) {
	interval := a.Interval
	if interval <= 0 {
		interval = DefaultStandInInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	changed := make(chan *unstructured.Unstructured, 1024)
	if wc, ok := a.Client.(client.WithWatch); ok {
		go a.watch(ctx, wc, changed)
	}
	workers := a.Workers
	if workers <= 0 {
		workers = DefaultStandInWorkers
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case app := <-changed:
					// Only the Application that changed is looked at, as
					// Argo CD reacts to one: listing all of them for every
					// change made the stand-in slower than the manager once
					// there were hundreds.
					if !a.Paused.Load() {
						a.sync(ctx, app)
					}
				}
			}
		}()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if !a.Paused.Load() {
				a.syncAll(ctx)
			}
		}
	}
}

// watch passes every changed Application to the sync workers, so a requested
// operation completes at once; it watches again when the server ends a
// watch, until ctx ends. When the workers fall behind, changes are dropped:
// the next tick lists them all.
func (a *ArgoStandIn) watch(ctx context.Context, wc client.WithWatch, changed chan<- *unstructured.Unstructured) {
	for ctx.Err() == nil {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(argocd.ApplicationListKind)
		w, err := wc.Watch(ctx, list, client.InNamespace(argoNamespace))
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		for ev := range w.ResultChan() {
			app, ok := ev.Object.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			select {
			case changed <- app:
			default:
			}
		}
		w.Stop()
	}
}

func (a *ArgoStandIn) syncAll(ctx context.Context) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(argocd.ApplicationListKind)
	if err := a.Client.List(ctx, list, client.InNamespace(argoNamespace)); err != nil {
		return // the next tick tries again
	}
	for i := range list.Items {
		a.sync(ctx, &list.Items[i])
	}
}

// sync completes the Application's requested operation, if it has one that
// is due. A stale copy fails the update on its resource version, and the
// change that made it stale brings the fresh one.
func (a *ArgoStandIn) sync(ctx context.Context, app *unstructured.Unstructured) {
	op, ok := app.Object["operation"].(map[string]any)
	if !ok || !a.due(app, op) {
		return
	}
	revision, _, _ := unstructured.NestedString(op, "sync", "revision")
	now := time.Now().UTC()
	delete(app.Object, "operation")
	state := map[string]any{
		"operation":  runtime.DeepCopyJSONValue(op),
		"phase":      "Succeeded",
		"message":    "successfully synced (Railyard demo stand-in for Argo CD)",
		"startedAt":  now.Format(time.RFC3339),
		"finishedAt": now.Format(time.RFC3339),
		"syncResult": map[string]any{"revision": revision},
	}
	_ = unstructured.SetNestedField(app.Object, state, "status", "operationState")
	_ = unstructured.SetNestedField(app.Object, map[string]any{"status": "Synced", "revision": revision}, "status", "sync")
	_ = unstructured.SetNestedField(app.Object, map[string]any{"status": "Healthy"}, "status", "health")
	// Health is trusted only when reconciled after the operation ended.
	_ = unstructured.SetNestedField(app.Object, now.Add(time.Second).Format(time.RFC3339), "status", "reconciledAt")
	if err := a.Client.Update(ctx, app); err != nil {
		return // a conflict: a newer copy is on its way, or the next tick sees it
	}
	if a.OnSync != nil {
		a.OnSync(app.GetName(), revision)
	}
}

// due reports whether the Application's operation has waited Delay.
func (a *ArgoStandIn) due(app *unstructured.Unstructured, op map[string]any) bool {
	if a.Delay <= 0 {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen == nil {
		a.seen = map[string]seenOp{}
	}
	id := fmt.Sprint(op["info"])
	s, ok := a.seen[app.GetName()]
	if !ok || s.op != id {
		s = seenOp{op: id, at: time.Now()}
		a.seen[app.GetName()] = s
	}
	if time.Since(s.at) < a.Delay {
		return false
	}
	delete(a.seen, app.GetName())
	return true
}
