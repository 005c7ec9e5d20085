package argocd

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestIsAuthorized(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		want        bool
	}{
		{"no annotation", nil, false},
		{"railyard key", map[string]string{railyard.AnnotationAuthorizedStage: "demo:test"}, true},
		{"kargo key", map[string]string{railyard.AnnotationKargoAuthorizedStage: "demo:test"}, true},
		{"one of several with spaces", map[string]string{railyard.AnnotationAuthorizedStage: "demo:prod, demo:test"}, true},
		{"other stage", map[string]string{railyard.AnnotationAuthorizedStage: "demo:prod"}, false},
		{"other project", map[string]string{railyard.AnnotationAuthorizedStage: "other:test"}, false},
		{"stage only", map[string]string{railyard.AnnotationAuthorizedStage: "test"}, false},
		{"wildcard stage is not honoured", map[string]string{railyard.AnnotationAuthorizedStage: "demo:*"}, false},
		{"wildcard project is not honoured", map[string]string{railyard.AnnotationAuthorizedStage: "*:test"}, false},
		{"empty value", map[string]string{railyard.AnnotationAuthorizedStage: ""}, false},
		{"unrelated annotation", map[string]string{"example.com/authorized-stage": "demo:test"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := &Application{ObjectMeta: metav1.ObjectMeta{Annotations: tt.annotations}}
			if got := IsAuthorized(app, "demo", "test"); got != tt.want {
				t.Errorf("IsAuthorized = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAuthorizedStages(t *testing.T) {
	app := &Application{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
		railyard.AnnotationAuthorizedStage:      "demo:test,bad, demo:prod ,demo:*,",
		railyard.AnnotationKargoAuthorizedStage: "demo:test,other:qa",
	}}}
	want := []types.NamespacedName{
		{Namespace: "demo", Name: "test"},
		{Namespace: "demo", Name: "prod"},
		{Namespace: "other", Name: "qa"},
	}
	if got := AuthorizedStages(app); !reflect.DeepEqual(got, want) {
		t.Errorf("AuthorizedStages = %v, want %v", got, want)
	}
}
