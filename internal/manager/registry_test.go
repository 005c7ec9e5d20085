package manager_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/util/yaml"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/demo"
	"github.com/railyard-dev/railyard/internal/manager"
)

// The snapshot-time check of the built-in registry accepts every step the
// samples, the Kargo test manifests and the demo use: a field it refused
// there would refuse a user's working manifests.
func TestBuiltinStepsAcceptRealManifests(t *testing.T) {
	reg := manager.NewStepRegistry(manager.Options{})
	docs := []string{demo.ProjectManifests("registry.local/app", "http://charts.local", "http://git.local/gitops.git", 0)}
	for _, glob := range []string{"../../config/samples/*.yaml", "../../test/testdata/kargo/*.yaml"} {
		files, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, string(b))
		}
	}
	checked := 0
	for _, doc := range docs {
		dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(doc)), 4096)
		for {
			var obj struct {
				Kind string `json:"kind"`
				Spec struct {
					Steps             []railyard.PromotionStep `json:"steps"`
					PromotionTemplate *struct {
						Spec struct {
							Steps []railyard.PromotionStep `json:"steps"`
						} `json:"spec"`
					} `json:"promotionTemplate"`
				} `json:"spec"`
			}
			if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			steps := obj.Spec.Steps
			if obj.Spec.PromotionTemplate != nil {
				steps = obj.Spec.PromotionTemplate.Spec.Steps
			}
			var direct []railyard.PromotionStep
			for _, s := range steps {
				if s.Task == nil { // task references are inlined from their own documents
					direct = append(direct, s)
				}
			}
			if err := reg.Check(nil, direct); err != nil {
				t.Errorf("%s: %v", obj.Kind, err)
			}
			checked += len(direct)
		}
	}
	if checked < 10 {
		t.Fatalf("only %d steps checked", checked)
	}
}
