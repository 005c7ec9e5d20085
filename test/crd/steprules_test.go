package crd

import (
	"os"
	"path/filepath"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// A step's rules are on the lists of steps people write, a Stage's
// template and a task's steps, and not on a Promotion's steps: those are
// the manager's copy of checked steps, and the API server evaluates every
// rule of an object on every status write, which for a Promotion of seven
// steps was fourteen evaluations per write.
func TestStepRulesAreWhereStepsAreWritten(t *testing.T) {
	schemaOf := func(file string) apiextensionsv1.JSONSchemaProps {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(env.Root, "config", "crd", "bases", file))
		if err != nil {
			t.Fatal(err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(b, &crd); err != nil {
			t.Fatal(err)
		}
		return *crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	}
	promotionSteps := schemaOf("railyard.dev_promotions.yaml").Properties["spec"].Properties["steps"]
	if rules := promotionSteps.Items.Schema.XValidations; len(rules) != 0 {
		t.Errorf("a Promotion's steps carry %d rules, want none: %+v", len(rules), rules)
	}
	stageSteps := schemaOf("railyard.dev_stages.yaml").Properties["spec"].Properties["promotionTemplate"].Properties["spec"].Properties["steps"]
	if n := len(stageSteps.XValidations); n != 2 {
		t.Errorf("a Stage's template steps carry %d rules, want the two step rules", n)
	}
	for _, file := range []string{"railyard.dev_promotiontasks.yaml", "railyard.dev_clusterpromotiontasks.yaml"} {
		taskSteps := schemaOf(file).Properties["spec"].Properties["steps"]
		if n := len(taskSteps.XValidations); n != 2 {
			t.Errorf("%s: a task's steps carry %d rules, want 2", file, n)
		}
	}
}
