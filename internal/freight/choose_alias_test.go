package freight

import (
	"context"
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestChooseAlias(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := railyard.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	f := &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo"},
		Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"},
		Images:     []railyard.Image{{RepoURL: "ghcr.io/org/app", Tag: "v1"}},
	}
	f.Name = IDOf(f)
	cands := AliasCandidates(f.Name)
	// other is a Freight of namespace ns named name carrying alias in the
	// field or label chosen by where.
	other := func(ns, name, where, alias string) *railyard.Freight {
		o := &railyard.Freight{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		switch where {
		case "field":
			o.Alias = alias
		default:
			o.Labels = map[string]string{where: alias}
		}
		return o
	}
	allTaken := func() []client.Object {
		var objs []client.Object
		for i, a := range cands {
			objs = append(objs, other("demo", "taken-"+string(rune('a'+i)), "field", a))
		}
		return objs
	}
	tests := []struct {
		name      string
		objs      []client.Object
		want      string // the requested alias
		wantAlias string
		wantOwner string // set: an *AliasTakenError naming this Freight
	}{
		{name: "empty namespace takes the first candidate", wantAlias: cands[0]},
		{name: "field taken", objs: []client.Object{other("demo", "x", "field", cands[0])}, wantAlias: cands[1]},
		{name: "railyard label taken", objs: []client.Object{other("demo", "x", railyard.LabelAlias, cands[0])}, wantAlias: cands[1]},
		{name: "kargo label taken", objs: []client.Object{other("demo", "x", railyard.LabelKargoAlias, cands[0])}, wantAlias: cands[1]},
		{name: "two taken", objs: []client.Object{other("demo", "x", "field", cands[0]), other("demo", "y", "field", cands[1])}, wantAlias: cands[2]},
		{name: "another namespace does not count", objs: []client.Object{other("other", "x", "field", cands[0])}, wantAlias: cands[0]},
		{name: "its own alias does not count", objs: []client.Object{other("demo", f.Name, railyard.LabelAlias, cands[0])}, wantAlias: cands[0]},
		{name: "every candidate taken falls back to the last", objs: allTaken(), wantAlias: cands[len(cands)-1]},
		{name: "requested alias free", objs: []client.Object{other("demo", "x", "field", cands[0])}, want: "hotfix", wantAlias: "hotfix"},
		{name: "requested alias taken", objs: []client.Object{other("demo", "x", railyard.LabelKargoAlias, "hotfix")}, want: "hotfix", wantOwner: "x"},
		{name: "requested alias is its own", objs: []client.Object{other("demo", f.Name, "field", "hotfix")}, want: "hotfix", wantAlias: "hotfix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(tt.objs...).Build()
			got, err := ChooseAlias(context.Background(), c, f, tt.want)
			if tt.wantOwner != "" {
				var taken *AliasTakenError
				if !errors.As(err, &taken) || taken.Freight != tt.wantOwner || taken.Alias != tt.want {
					t.Fatalf("ChooseAlias = %q, %v; want alias %q taken by %s", got, err, tt.want, tt.wantOwner)
				}
				return
			}
			if err != nil || got != tt.wantAlias {
				t.Fatalf("ChooseAlias = %q, %v; want %q", got, err, tt.wantAlias)
			}
		})
	}
}

func TestChooseAliasListError(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := railyard.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("refused")
	c := fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
		List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error { return refused },
	}).Build()
	f := &railyard.Freight{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "f"}}
	if _, err := ChooseAlias(context.Background(), c, f, ""); !errors.Is(err, refused) {
		t.Fatalf("ChooseAlias error = %v, want it to wrap %v", err, refused)
	}
}
