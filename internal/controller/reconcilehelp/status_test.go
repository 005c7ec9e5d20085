package reconcilehelp

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestStatusPatcher(t *testing.T) {
	ctx := context.Background()
	tests := map[string]struct {
		opts []Option
		// change is applied to the object the patcher was made from.
		change func(*railyard.Stage)
		// meanwhile is written by someone else before Patch.
		meanwhile   func(*railyard.Stage)
		wantPatches int
		// wantUpdates counts writes of the whole status (with a lock).
		wantUpdates int
		wantErr     string
		want        func(*testing.T, *railyard.Stage)
	}{
		"an unchanged status sends nothing": {
			change:      func(*railyard.Stage) {},
			wantPatches: 0,
		},
		"a spec change alone is not a status patch": {
			change:      func(s *railyard.Stage) { s.Spec.Shard = "other" },
			wantPatches: 0,
		},
		"a time that differs below the second it is written in is no change": {
			change: func(s *railyard.Stage) {
				h := s.Status.AutoPromotionHolds["Warehouse/app"]
				later := metav1.NewTime(h.CreatedAt.Add(300 * time.Millisecond))
				h.CreatedAt = &later
				s.Status.AutoPromotionHolds["Warehouse/app"] = h
			},
			wantPatches: 0,
		},
		"with a lock, an unchanged status sends nothing": {
			opts:   []Option{WithOptimisticLock()},
			change: func(s *railyard.Stage) { s.Spec.Shard = "other" },
		},
		"with a lock, a time that differs below the second is no change": {
			opts: []Option{WithOptimisticLock()},
			change: func(s *railyard.Stage) {
				h := s.Status.AutoPromotionHolds["Warehouse/app"]
				later := metav1.NewTime(h.CreatedAt.Add(300 * time.Millisecond))
				h.CreatedAt = &later
				s.Status.AutoPromotionHolds["Warehouse/app"] = h
			},
		},
		"a status change is patched": {
			change:      func(s *railyard.Stage) { s.Status.FreightSummary = "1/1 Fulfilled" },
			wantPatches: 1,
			want: func(t *testing.T, s *railyard.Stage) {
				if s.Status.FreightSummary != "1/1 Fulfilled" {
					t.Errorf("freightSummary = %q", s.Status.FreightSummary)
				}
			},
		},
		"without a lock, a concurrent write is not a conflict": {
			change:      func(s *railyard.Stage) { s.Status.FreightSummary = "mine" },
			meanwhile:   func(s *railyard.Stage) { s.Status.LastHandledRefresh = "theirs" },
			wantPatches: 1,
			want: func(t *testing.T, s *railyard.Stage) {
				if s.Status.FreightSummary != "mine" || s.Status.LastHandledRefresh != "theirs" {
					t.Errorf("status = %+v, want both writes", s.Status)
				}
			},
		},
		"with a lock, a concurrent write is a conflict": {
			opts:        []Option{WithOptimisticLock()},
			change:      func(s *railyard.Stage) { s.Status.FreightSummary = "mine" },
			meanwhile:   func(s *railyard.Stage) { s.Status.LastHandledRefresh = "theirs" },
			wantUpdates: 1,
			wantErr:     "updating status of Stage demo/s: ",
			want: func(t *testing.T, s *railyard.Stage) {
				if s.Status.FreightSummary == "mine" {
					t.Error("the locked patch was applied over a concurrent write")
				}
			},
		},
		"with a lock and no concurrent write, the whole status is written": {
			opts:        []Option{WithOptimisticLock()},
			change:      func(s *railyard.Stage) { s.Status.FreightSummary = "mine" },
			wantUpdates: 1,
			want: func(t *testing.T, s *railyard.Stage) {
				if s.Status.FreightSummary != "mine" {
					t.Errorf("freightSummary = %q", s.Status.FreightSummary)
				}
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			patches, updates := 0, 0
			c := newClient(t, interceptor.Funcs{SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
				patches++
				return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
			}, SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
				updates++
				return c.SubResource(sub).Update(ctx, obj, opts...)
			}}, heldStage("s"))
			obj := &railyard.Stage{}
			must(t, c.Get(ctx, client.ObjectKey{Namespace: "demo", Name: "s"}, obj))
			p := NewStatusPatcher(c, obj, tt.opts...)
			if tt.meanwhile != nil {
				other := obj.DeepCopy()
				tt.meanwhile(other)
				must(t, c.Status().Update(ctx, other))
			}
			tt.change(obj)
			err := p.Patch(ctx, obj)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Patch: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !apierrors.IsConflict(err)):
				t.Fatalf("Patch error = %v, want a conflict containing %q", err, tt.wantErr)
			}
			// The test's own concurrent write is an update too.
			if tt.meanwhile != nil {
				updates--
			}
			if patches != tt.wantPatches || updates != tt.wantUpdates {
				t.Errorf("%d status patches and %d updates, want %d and %d", patches, updates, tt.wantPatches, tt.wantUpdates)
			}
			if tt.want != nil {
				stored := &railyard.Stage{}
				must(t, c.Get(ctx, client.ObjectKeyFromObject(obj), stored))
				tt.want(t, stored)
			}
		})
	}
}

// TestStatusPatcherRebases checks that a second patch carries only what
// changed since the first, and that a second locked write is made at the
// version the first one returned (it would otherwise conflict with its own
// first write).
func TestStatusPatcherRebases(t *testing.T) {
	ctx := context.Background()
	var sent []string
	updates := 0
	c := newClient(t, interceptor.Funcs{SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
		data, err := patch.Data(obj)
		if err != nil {
			return err
		}
		sent = append(sent, string(data))
		return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
	}, SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
		updates++
		return c.SubResource(sub).Update(ctx, obj, opts...)
	}}, stage("s"), stage("locked"))
	obj := &railyard.Stage{}
	must(t, c.Get(ctx, client.ObjectKey{Namespace: "demo", Name: "s"}, obj))
	p := NewStatusPatcher(c, obj)
	obj.Status.FreightSummary = "first"
	must(t, p.Patch(ctx, obj))
	obj.Status.LastHandledRefresh = "second"
	must(t, p.Patch(ctx, obj))
	if len(sent) != 2 {
		t.Fatalf("sent %d patches, want 2", len(sent))
	}
	if strings.Contains(sent[1], "first") || !strings.Contains(sent[1], "second") {
		t.Errorf("second patch = %s, want only the second change", sent[1])
	}
	// Rebase onto a copy read again: the next patch is against it.
	fresh := &railyard.Stage{}
	must(t, c.Get(ctx, client.ObjectKeyFromObject(obj), fresh))
	p.Rebase(fresh)
	if err := p.Patch(ctx, fresh); err != nil || len(sent) != 2 {
		t.Errorf("patch of an unchanged rebased copy: err %v, %d patches, want none", err, len(sent))
	}

	locked := &railyard.Stage{}
	must(t, c.Get(ctx, client.ObjectKey{Namespace: "demo", Name: "locked"}, locked))
	lp := NewStatusPatcher(c, locked, WithOptimisticLock())
	locked.Status.FreightSummary = "first"
	must(t, lp.Patch(ctx, locked))
	locked.Status.LastHandledRefresh = "second"
	must(t, lp.Patch(ctx, locked))
	stored := &railyard.Stage{}
	must(t, c.Get(ctx, client.ObjectKeyFromObject(locked), stored))
	if updates != 2 || stored.Status.FreightSummary != "first" || stored.Status.LastHandledRefresh != "second" {
		t.Errorf("%d locked writes, stored status %+v; want 2 writes and both changes", updates, stored.Status)
	}
}

func TestStatusPatcherNotFound(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, interceptor.Funcs{})
	obj := stage("gone")
	p := NewStatusPatcher(c, obj)
	obj.Status.FreightSummary = "x"
	err := p.Patch(ctx, obj)
	if !apierrors.IsNotFound(err) {
		t.Fatalf("Patch of a missing object = %v, want NotFound (callers ignore it)", err)
	}
}

func TestDescribe(t *testing.T) {
	scheme := testScheme(t)
	tests := []struct {
		obj  client.Object
		want string
	}{
		{stage("s"), "Stage demo/s"},
		{&railyard.Project{ObjectMeta: metav1.ObjectMeta{Name: "p"}}, "Project p"},
	}
	for _, tt := range tests {
		if got := describe(scheme, tt.obj); got != tt.want {
			t.Errorf("describe = %q, want %q", got, tt.want)
		}
	}
	if got := describe(nil, stage("s")); got != "*v1alpha1.Stage demo/s" {
		t.Errorf("describe without a scheme = %q", got)
	}
}

// heldStage is a Stage whose status holds a time (an auto-promotion hold).
func heldStage(name string) *railyard.Stage {
	st := stage(name)
	created := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	st.Status.AutoPromotionHolds = map[string]railyard.AutoPromotionHold{"Warehouse/app": {FreightName: "f1", CreatedAt: &created}}
	return st
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
