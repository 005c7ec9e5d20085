package promotion

import (
	"context"
	"errors"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

type checkoutCfg struct {
	Branch string `json:"branch"`
	Path   string `json:"path"`
}

type embedded struct {
	Author string `json:"author,omitempty"`
}

type schemaCfg struct {
	embedded
	RepoURL  string            `json:"repoURL"`
	Checkout []checkoutCfg     `json:"checkout"`
	Labels   map[string]string `json:"labels,omitempty"`
	Nested   *checkoutCfg      `json:"nested,omitempty"`
}

// schemaStep declares its configuration type.
type schemaStep struct{ fakeStep }

func (schemaStep) ConfigType() any { return schemaCfg{} }

func TestCheck(t *testing.T) {
	reg := NewRegistry(&schemaStep{fakeStep{name: "clone"}}, &fakeStep{name: "free"})
	cfg := func(raw string) *apiextensionsv1.JSON { return &apiextensionsv1.JSON{Raw: []byte(raw)} }
	tests := []struct {
		name    string
		step    railyard.PromotionStep
		wantErr string
	}{
		{"known fields", railyard.PromotionStep{Uses: "clone", Config: cfg(`{"repoURL":"x","checkout":[{"branch":"main","path":"src"}],"labels":{"any":"thing"},"author":"a"}`)}, ""},
		{"case-insensitive, as encoding/json", railyard.PromotionStep{Uses: "clone", Config: cfg(`{"repourl":"x"}`)}, ""},
		{"expression in place of an object", railyard.PromotionStep{Uses: "clone", Config: cfg(`{"checkout":"${{ vars.checkouts }}"}`)}, ""},
		{"a step without a schema takes anything", railyard.PromotionStep{Uses: "free", Config: cfg(`{"whatever":1}`)}, ""},
		{"unknown top-level field", railyard.PromotionStep{Uses: "clone", Config: cfg(`{"repoUrl":"x","branch":"main"}`)}, `unknown field "branch"`},
		{"unknown field in a list item", railyard.PromotionStep{Uses: "clone", Config: cfg(`{"checkout":[{"path":"a"},{"brunch":"main"}]}`)}, `unknown field "checkout[1].brunch"`},
		{"unknown field in a nested object", railyard.PromotionStep{Uses: "clone", Config: cfg(`{"nested":{"x":1}}`)}, `unknown field "nested.x"`},
		{"unknown step", railyard.PromotionStep{Uses: "clonee"}, `uses "clonee", which is not a known step`},
		{"expression that does not parse", railyard.PromotionStep{Uses: "free", Config: cfg(`{"a":"${{ ( }}"}`)}, "does not compile"},
		{"if that does not parse", railyard.PromotionStep{Uses: "free", If: "${{ status( }}"}, "does not compile"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			steps, err := InflateSteps(context.Background(), nil, "ns", nil, []railyard.PromotionStep{tc.step})
			if err != nil {
				t.Fatal(err)
			}
			err = reg.Check(nil, steps)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrInvalidSteps) || !IsTerminal(err) {
				t.Fatalf("Check = %v, want a terminal ErrInvalidSteps containing %q", err, tc.wantErr)
			}
		})
	}
}
