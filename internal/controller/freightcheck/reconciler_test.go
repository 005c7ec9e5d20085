package freightcheck_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// checked waits until the checker has completed the Freight (it always sets
// the alias label or rejects) and returns it.
func checked(t *testing.T, f *railyard.Freight) *railyard.Freight {
	t.Helper()
	got := &railyard.Freight{}
	eventually(t, func() error {
		if err := k.Get(context.Background(), client.ObjectKeyFromObject(f), got); err != nil {
			return err
		}
		if got.Labels[railyard.LabelAlias] == "" && got.Annotations[railyard.AnnotationRejected] == "" {
			return fmt.Errorf("Freight %s not checked yet", f.Name)
		}
		return nil
	})
	return got
}

// Hand-made Freight is completed: an alias (Kargo's label, else the first
// free generated one) mirrored in the label, and discoveredAt; or rejected
// with the reason.
func TestCompletesHandMadeFreight(t *testing.T) {
	tests := []struct {
		name         string
		mutate       func(*railyard.Freight)
		wantAlias    func(*railyard.Freight) string
		wantRejected string // empty: accepted
	}{
		{name: "generated alias", mutate: func(*railyard.Freight) {},
			wantAlias: func(f *railyard.Freight) string { return freight.AliasCandidates(freight.IDOf(f))[0] }},
		{name: "kargo alias label kept", mutate: func(f *railyard.Freight) {
			f.Labels = map[string]string{railyard.LabelKargoAlias: "release-1"}
		}, wantAlias: func(*railyard.Freight) string { return "release-1" }},
		{name: "alias that is no label value", mutate: func(f *railyard.Freight) { f.Alias = "bad alias" },
			wantRejected: `alias "bad alias" is not a valid label value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newNamespace(t)
			warehouse(t, ns, "app")
			f := newFreight(ns, "handmade", "app", "v1")
			tt.mutate(f)
			create(t, f)
			got := checked(t, f)
			rejected := got.Annotations[railyard.AnnotationRejected]
			if tt.wantRejected != "" {
				if !strings.Contains(rejected, tt.wantRejected) {
					t.Fatalf("rejection %q, want %q", rejected, tt.wantRejected)
				}
				return
			}
			if rejected != "" {
				t.Fatalf("rejected: %s", rejected)
			}
			want := tt.wantAlias(f)
			if got.Alias != want || got.Labels[railyard.LabelAlias] != want {
				t.Errorf("alias %q, label %q; want %q", got.Alias, got.Labels[railyard.LabelAlias], want)
			}
			if got.DiscoveredAt == nil || !got.DiscoveredAt.Equal(&got.CreationTimestamp) {
				t.Errorf("discoveredAt %v, want the creation time %v", got.DiscoveredAt, got.CreationTimestamp)
			}
			if at, err := time.Parse(time.RFC3339Nano, got.Annotations[railyard.AnnotationDiscoveredAt]); err != nil ||
				at.Before(got.CreationTimestamp.Time) || at.After(time.Now()) {
				t.Errorf("precise discovery time %q, want one since the creation at %v", got.Annotations[railyard.AnnotationDiscoveredAt], got.CreationTimestamp)
			}
		})
	}
}

// Of two Freight with one alias, the younger is rejected.
func TestRejectsAliasOfOlderFreight(t *testing.T) {
	ns := newNamespace(t)
	warehouse(t, ns, "app")
	older := newFreight(ns, "older", "app", "v1")
	older.Alias = "hotfix"
	create(t, older)
	checked(t, older)
	// Creation times have a resolution of one second.
	time.Sleep(1100 * time.Millisecond)
	younger := newFreight(ns, "younger", "app", "v2")
	younger.Alias = "hotfix"
	create(t, younger)
	if v := checked(t, younger).Annotations[railyard.AnnotationRejected]; !strings.Contains(v, "alias hotfix is already used by Freight older") {
		t.Fatalf("younger rejected with %q", v)
	}
	if v := checked(t, older).Annotations[railyard.AnnotationRejected]; v != "" {
		t.Fatalf("older rejected: %s", v)
	}
}

// Freight of a missing Warehouse is rejected with an Event, and accepted
// once the Warehouse exists and the Freight is checked again.
func TestRejectionLiftedWhenFreightFits(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	f := newFreight(ns, "early", "later", "v1")
	create(t, f)
	if v := checked(t, f).Annotations[railyard.AnnotationRejected]; !strings.Contains(v, "origin Warehouse later does not exist") {
		t.Fatalf("rejected with %q", v)
	}
	eventually(t, func() error {
		if !hasEvent(t, ns, f.Name, "FreightRejected") {
			return fmt.Errorf("no FreightRejected Event")
		}
		return nil
	})

	warehouse(t, ns, "later")
	// The checker is woken by the Freight's own changes; a label is one.
	eventually(t, func() error {
		got := &railyard.Freight{}
		if err := k.Get(ctx, client.ObjectKeyFromObject(f), got); err != nil {
			return err
		}
		if got.Labels == nil {
			got.Labels = map[string]string{}
		}
		got.Labels["touched"] = "yes"
		return k.Update(ctx, got)
	})
	eventually(t, func() error {
		got := &railyard.Freight{}
		if err := k.Get(ctx, client.ObjectKeyFromObject(f), got); err != nil {
			return err
		}
		if v, ok := got.Annotations[railyard.AnnotationRejected]; ok {
			return fmt.Errorf("still rejected: %s", v)
		}
		return nil
	})
}
