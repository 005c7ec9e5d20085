package promotion

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	engine "github.com/railyard-dev/railyard/internal/promotion"
)

func TestWaiters(t *testing.T) {
	app := func(name string) engine.ObjectRef {
		return engine.ObjectRef{GroupKind: schema.GroupKind{Group: "argoproj.io", Kind: "Application"},
			NamespacedName: types.NamespacedName{Namespace: "argocd", Name: name}}
	}
	p1 := types.NamespacedName{Namespace: "demo", Name: "p1"}
	p2 := types.NamespacedName{Namespace: "demo", Name: "p2"}
	tests := []struct {
		name string
		do   func(w *waiters)
		want map[string][]types.NamespacedName
	}{
		{name: "nothing recorded", do: func(*waiters) {}, want: map[string][]types.NamespacedName{"a": {}}},
		{name: "two Promotions on one Application", do: func(w *waiters) {
			w.set(p1, []engine.ObjectRef{app("a")})
			w.set(p2, []engine.ObjectRef{app("a"), app("b")})
		}, want: map[string][]types.NamespacedName{"a": {p1, p2}, "b": {p2}}},
		{name: "set replaces", do: func(w *waiters) {
			w.set(p1, []engine.ObjectRef{app("a")})
			w.set(p1, []engine.ObjectRef{app("b")})
		}, want: map[string][]types.NamespacedName{"a": {}, "b": {p1}}},
		{name: "forget", do: func(w *waiters) {
			w.set(p1, []engine.ObjectRef{app("a")})
			w.set(p2, []engine.ObjectRef{app("a")})
			w.forget(p1)
		}, want: map[string][]types.NamespacedName{"a": {p2}}},
		{name: "set nothing forgets", do: func(w *waiters) {
			w.set(p1, []engine.ObjectRef{app("a")})
			w.set(p1, nil)
		}, want: map[string][]types.NamespacedName{"a": {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &waiters{}
			tt.do(w)
			for name, want := range tt.want {
				got := w.of(app(name))
				slices.SortFunc(got, func(a, b types.NamespacedName) int { return cmpKey(a, b) })
				if !slices.Equal(got, want) {
					t.Errorf("waiting on %s: %v, want %v", name, got, want)
				}
			}
		})
	}
}

func cmpKey(a, b types.NamespacedName) int {
	switch {
	case a.String() < b.String():
		return -1
	case a.String() > b.String():
		return 1
	}
	return 0
}
