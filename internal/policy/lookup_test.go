package policy

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestLookup(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := railyard.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	misnamed := config(byName("glob:*", true))
	misnamed.Name = "other"
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(
		config(byName("test", true)),
		misnamed,
		stage("test", nil), stage("prod", nil),
		&railyard.Stage{ObjectMeta: metav1.ObjectMeta{Name: "test", Namespace: "elsewhere"}},
	).Build()
	ctx := context.Background()

	tests := []struct {
		stage string
		want  bool
	}{{"test", true}, {"prod", false}}
	for _, tt := range tests {
		got, err := EnabledFor(ctx, c, stage(tt.stage, nil))
		if err != nil || got != tt.want {
			t.Errorf("EnabledFor(%s) = %t, %v; want %t", tt.stage, got, err, tt.want)
		}
	}

	if cfg, err := ProjectConfigFor(ctx, c, "nowhere"); cfg != nil || err != nil {
		t.Errorf("ProjectConfigFor(nowhere) = %v, %v; want nil, nil", cfg, err)
	}
	if got, err := EnabledFor(ctx, c, &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Name: "test", Namespace: "elsewhere"}}); got || err != nil {
		t.Errorf("EnabledFor without ProjectConfig = %t, %v; want false, nil", got, err)
	}

	reqs := StagesOfProjectConfig(c)(ctx, config())
	if len(reqs) != 2 {
		t.Errorf("StagesOfProjectConfig = %v, want the two Stages of demo", reqs)
	}
	for _, r := range reqs {
		if r.Namespace != "demo" {
			t.Errorf("request %v is outside the namespace", r)
		}
	}
	if reqs := StagesOfProjectConfig(c)(ctx, misnamed); len(reqs) != 0 {
		t.Errorf("a misnamed ProjectConfig mapped to %v", reqs)
	}
}
