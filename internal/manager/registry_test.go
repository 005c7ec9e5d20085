package manager_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"k8s.io/apimachinery/pkg/util/yaml"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/demo"
	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/promotion"
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

// A literal configuration the step would refuse is refused when the
// Promotion is snapshotted; one with expressions waits for the run.
func TestSnapshotValidatesLiteralConfigs(t *testing.T) {
	reg := manager.NewStepRegistry(manager.Options{})
	cfg := func(raw string) *apiextensionsv1.JSON { return &apiextensionsv1.JSON{Raw: []byte(raw)} }
	tests := []struct {
		name    string
		step    railyard.PromotionStep
		wantErr string
	}{
		{"copy without inPath", railyard.PromotionStep{Uses: "copy", Config: cfg(`{"outPath":"out"}`)}, `inPath`},
		{"yaml-update with a number for path", railyard.PromotionStep{Uses: "yaml-update", Config: cfg(`{"path":3,"updates":[]}`)}, `"path"`},
		{"untar without outPath", railyard.PromotionStep{Uses: "untar", Config: cfg(`{"inPath":"a.tgz"}`)}, `outPath`},
		{"expression: checked when the step runs", railyard.PromotionStep{Uses: "copy", Config: cfg(`{"inPath":"${{ vars.x }}"}`)}, ""},
		{"complete literal config", railyard.PromotionStep{Uses: "copy", Config: cfg(`{"inPath":"a","outPath":"b"}`)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.step.As = "s"
			err := reg.Check(nil, []railyard.PromotionStep{tc.step})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "step s ("+tc.step.Uses+") config") {
				t.Fatalf("Check = %v, want an error about %s naming the step", err, tc.wantErr)
			}
		})
	}
}

// Steps marked WorkDirOnly (promotion.WorkDirOnly) run in a preview: exactly
// the steps whose effects stay in the work directory may say so, never one
// that changes a remote, a cluster object or another server.
func TestWorkDirOnlySteps(t *testing.T) {
	want := map[string]bool{
		"git-clone": true, "git-clear": true, "git-commit": true, "git-tag": true,
		"kustomize-set-image": true, "kustomize-build": true, "yaml-update": true, "helm-update-chart": true,
		"helm-template": true, "copy": true, "delete": true, "file-write": true, "yaml-parse": true,
		"json-parse": true, "toml-parse": true, "yaml-merge": true, "json-update": true, "toml-update": true,
		"tar": true, "untar": true, "compose-output": true, "http-download": true, "oci-download": true,
	}
	reg := manager.NewStepRegistry(manager.Options{})
	for _, name := range reg.Names() {
		s, _ := reg.Lookup(name)
		_, got := s.(promotion.WorkDirOnly)
		if got != want[name] {
			t.Errorf("step %s: WorkDirOnly %v, want %v", name, got, want[name])
		}
	}
}

// Only compose-output returns values from a task (promotion.TaskOutput).
func TestTaskOutputSteps(t *testing.T) {
	reg := manager.NewStepRegistry(manager.Options{})
	for _, name := range reg.Names() {
		s, _ := reg.Lookup(name)
		if _, got := s.(promotion.TaskOutput); got != (name == promotion.ComposeOutputStep) {
			t.Errorf("step %s: TaskOutput %v", name, got)
		}
	}
}
