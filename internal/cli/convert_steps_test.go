package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
	k8syaml "sigs.k8s.io/yaml"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// TestConvertStepsGolden reports unknown steps, step config fields,
// expression functions and Kargo keys with the file and line they are on,
// and reports nothing for manifests Railyard supports entirely.
func TestConvertStepsGolden(t *testing.T) {
	for _, tc := range []struct{ input, stderr string }{
		{"steps.yaml", "convert/steps.stderr.golden"},
		{"supported.yaml", ""},
	} {
		t.Run(tc.input, func(t *testing.T) {
			path := filepath.Join("testdata", "convert", tc.input)
			r := railyardCLI("default", "convert", "-f", path).mustSucceed(t)
			if tc.stderr == "" {
				if r.stderr != "" {
					t.Errorf("want no findings, got:\n%s", r.stderr)
				}
			} else {
				golden(t, tc.stderr, r.stderr)
			}
			if strings.Contains(r.stdout, "apiVersion: kargo.akuity.io/v1alpha1\nkind: Stage") {
				t.Error("the Stage was not converted")
			}
		})
	}
}

// TestConvertConfigAgreesWithCheck makes sure convert reports the field
// promotion.Registry.Check (what a Promotion is refused for) names first,
// step by step.
func TestConvertConfigAgreesWithCheck(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "convert", "steps.yaml"))
	must(t, err)
	_, findings, err := Convert(data)
	must(t, err)
	var stage railyard.Stage
	doc, _, _ := strings.Cut(string(data), "\n---\n")
	must(t, k8syaml.Unmarshal([]byte(doc), &stage))
	reg := stepRegistry()
	checked := 0
	for i, s := range stage.Spec.PromotionTemplate.Spec.Steps {
		if _, ok := reg.Lookup(s.Uses); !ok || s.Uses == "" {
			continue
		}
		s.If = "" // expression functions are not Check's concern
		err := reg.Check(nil, []railyard.PromotionStep{s})
		if err == nil || !strings.Contains(err.Error(), "unknown field") {
			continue
		}
		_, field, _ := strings.Cut(err.Error(), `unknown field "`)
		field, _, _ = strings.Cut(field, `"`)
		want := "steps[" + strconv.Itoa(i) + "].config." + field + ": "
		found := false
		for _, f := range findings {
			found = found || strings.Contains(f.Message, want)
		}
		if !found {
			t.Errorf("Check refuses %s (%v) but convert does not report %q", s.Uses, err, want)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no step of steps.yaml has a field Check refuses")
	}
}

func TestTemplateExpressions(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []templateExpression
	}{
		{"plain", nil},
		{"${{ a }}", []templateExpression{{"a", 0}}},
		{"v${{ f(1) }}-${% {'a': 1} %}", []templateExpression{{"f(1)", 1}, {"{'a': 1}", 13}}},
		{"${{ }}", nil},
		{"${{ open", nil},
	} {
		if got := templateExpressions(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("templateExpressions(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestUnknownCalls(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"imageFrom(vars.repo).Tag", []string{}},
		{"upper(quote(ctx.stage)) + string(now())", []string{}},
		{"vars.m.call() && zeta(alpha(1), alpha(2))", []string{"alpha", "zeta"}},
	} {
		data := "v: ${{ " + tc.in + " }}"
		var n yaml.Node
		must(t, yaml.Unmarshal([]byte(data), &n))
		var got []string
		checkExpressions(n.Content[0], "v", func(_ int, format string, args ...any) {
			got = append(got, args[1].(string))
		})
		if got == nil {
			got = []string{}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: unknown calls %v, want %v", tc.in, got, tc.want)
		}
	}
}
