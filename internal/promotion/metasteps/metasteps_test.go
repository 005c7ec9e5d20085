package metasteps

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	e, err := testenv.Start(testenv.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	env = e
	code := m.Run()
	_ = e.Stop()
	os.Exit(code)
}

var nsCount int

// project creates a namespace with a Stage "test" and a Freight "f1" (alias
// "first") and "f2" (alias "second").
func project(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	nsCount++
	ns := fmt.Sprintf("meta-%d", nsCount)
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "test"}, Spec: railyard.StageSpec{
			RequestedFreight: []railyard.FreightRequest{{Origin: railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"}, Sources: railyard.FreightSources{Direct: true}}},
		}},
	}
	for i, alias := range []string{"first", "second"} {
		objs = append(objs, &railyard.Freight{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("f%d", i+1), Labels: map[string]string{railyard.LabelAlias: alias}},
			Alias:      alias,
			Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"},
			Images:     []railyard.Image{{RepoURL: "registry.local/app", Tag: fmt.Sprintf("v%d", i+1)}},
		})
	}
	for _, o := range objs {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	return ns
}

func run(t *testing.T, s promotion.Step, ns string, cfg string) (promotion.Result, error) {
	t.Helper()
	var config map[string]any
	if err := json.Unmarshal([]byte(cfg), &config); err != nil {
		t.Fatal(err)
	}
	return s.Run(context.Background(), &promotion.StepContext{Project: ns, Config: config, Client: env.Client})
}

func TestSetMetadata(t *testing.T) {
	ns := project(t)
	if _, err := run(t, SetMetadata{}, ns, `{"updates":[
		{"kind":"Stage","name":"test","values":{"foo":"hello","nested":{"a":[1,2]}}},
		{"kind":"Freight","name":"f1","values":{"baz":true}}]}`); err != nil {
		t.Fatal(err)
	}
	// A second write replaces each key whole and keeps the others.
	if _, err := run(t, SetMetadata{}, ns, `{"updates":[{"kind":"Stage","name":"test","values":{"nested":{"b":3}}}]}`); err != nil {
		t.Fatal(err)
	}
	st := &railyard.Stage{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "test"}, st); err != nil {
		t.Fatal(err)
	}
	if got := string(st.Status.Metadata["foo"].Raw) + " " + string(st.Status.Metadata["nested"].Raw); got != `"hello" {"b":3}` {
		t.Errorf("Stage metadata = %s", got)
	}
	f := &railyard.Freight{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "f1"}, f); err != nil {
		t.Fatal(err)
	}
	if got := string(f.Status.Metadata["baz"].Raw); got != "true" {
		t.Errorf("Freight metadata baz = %s", got)
	}
}

func TestSetMetadataRefusals(t *testing.T) {
	ns := project(t)
	tests := []struct{ name, cfg, want string }{
		{"no updates", `{"updates":[]}`, "needs at least one update"},
		{"bad kind", `{"updates":[{"kind":"Warehouse","name":"app","values":{"a":1}}]}`, `kind is "Warehouse"`},
		{"no name", `{"updates":[{"kind":"Stage","values":{"a":1}}]}`, "updates[0].name is required"},
		{"no values", `{"updates":[{"kind":"Stage","name":"test","values":{}}]}`, "needs at least one key"},
		{"unknown field", `{"updates":[],"extra":1}`, `unknown field "extra"`},
		{"missing object", `{"updates":[{"kind":"Freight","name":"nope","values":{"a":1}}]}`, `Freight "nope" does not exist in project`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := run(t, SetMetadata{}, ns, tc.cfg)
			if err == nil || !promotion.IsTerminal(err) || res.Status != railyard.StepStatusFailed || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %s, %v; want a terminal failure containing %q", res.Status, err, tc.want)
			}
		})
	}
}

func TestSetFreightAlias(t *testing.T) {
	ns := project(t)
	if _, err := run(t, SetFreightAlias{}, ns, `{"name":"f1","alias":"v1-hotfix"}`); err != nil {
		t.Fatal(err)
	}
	f := &railyard.Freight{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "f1"}, f); err != nil {
		t.Fatal(err)
	}
	if f.Alias != "v1-hotfix" || f.Labels[railyard.LabelAlias] != "v1-hotfix" {
		t.Fatalf("alias %q, label %q", f.Alias, f.Labels[railyard.LabelAlias])
	}
	// Setting the alias a Freight already has is fine; another's is not.
	if _, err := run(t, SetFreightAlias{}, ns, `{"name":"f1","alias":"v1-hotfix"}`); err != nil {
		t.Fatalf("setting the same alias again: %v", err)
	}
	for _, tc := range []struct{ name, cfg, want string }{
		{"taken", `{"name":"f1","alias":"second"}`, `alias "second" is already used by Freight f2`},
		{"invalid", `{"name":"f1","alias":"not valid!"}`, `alias "not valid!"`},
		{"missing Freight", `{"name":"nope","alias":"x"}`, `no Freight "nope"`},
		{"no alias", `{"name":"f1"}`, `field "alias" is required`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := run(t, SetFreightAlias{}, ns, tc.cfg)
			if err == nil || !promotion.IsTerminal(err) || res.Status != railyard.StepStatusFailed || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %s, %v; want a terminal failure containing %q", res.Status, err, tc.want)
			}
		})
	}
}
