package expr

import (
	"context"
	"fmt"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// docs/.../40-expressions.md freightMetadata(), freightStatus() and
// stageMetadata(): what set-metadata wrote, read back, with ?. and ?? for
// absent keys.
func TestObjectFunctions(t *testing.T) {
	s := runtime.NewScheme()
	if err := railyard.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	raw := func(v string) apiextensionsv1.JSON { return apiextensionsv1.JSON{Raw: []byte(v)} }
	f := &railyard.Freight{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "f1"}}
	f.Status.Metadata = map[string]apiextensionsv1.JSON{"category": raw(`"release"`), "config": raw(`{"timeout":30}`)}
	f.Status.ApprovedFor = map[string]railyard.ApprovedStage{"prod": {}}
	st := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "test"}}
	st.Status.Metadata = map[string]apiextensionsv1.JSON{"aws-region": raw(`"eu-west-2"`)}
	bare := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "bare"}}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(f, st, bare).WithStatusSubresource(f, st).Build()
	env := &Env{Objects: ClientObjects{Reader: c, Namespace: "demo"}}
	got, err := Evaluate(context.Background(), []any{
		"${{ freightMetadata('f1').category }}",
		"${{ freightMetadata('f1')?.config?.timeout ?? 300 }}",
		"${{ freightMetadata('f1')['missing'] ?? 'default' }}",
		"${{ stageMetadata('test')['aws-region'] }}",
		"${{ stageMetadata('bare')['tier'] ?? 'default-tier' }}",
		"${{ freightStatus('f1').approvedFor?.prod != nil }}",
	}, env)
	if err != nil {
		t.Fatal(err)
	}
	// Numbers come back in whichever Go type the template re-parse picks;
	// compare what users see.
	if got, want := fmt.Sprint(got), "[release 30 default eu-west-2 default-tier true]"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	for in, wantErr := range map[string]string{
		"${{ freightMetadata('nope') }}":   `no Freight of that name`,
		"${{ stageMetadata('nope') }}":     `no Stage of that name`,
		"${{ freightMetadata(1) }}":        "name must be a string",
		"${{ stageMetadata('a', 'b') }}":   "takes one argument",
		"${{ freightMetadata('f1').cat }}": `has no key "cat"`,
	} {
		if _, err := EvaluateString(context.Background(), in, env); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("EvaluateString(%q) error = %v, want %q", in, err, wantErr)
		}
	}
	if _, err := EvaluateString(context.Background(), "${{ stageMetadata('test') }}", &Env{}); err == nil || !strings.Contains(err.Error(), "not available here") {
		t.Errorf("stageMetadata without a lookup: %v", err)
	}
}
