package argocdstep

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func appFromYAML(t *testing.T, spec string) *unstructured.Unstructured {
	t.Helper()
	obj := map[string]any{}
	if err := yaml.Unmarshal([]byte(spec), &obj); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: map[string]any{"spec": obj}}
}

func TestPlanSources(t *testing.T) {
	single := `
source:
  repoURL: https://git.example.com/cfg.git
  targetRevision: main
  path: app
  directory: {recurse: true}
  kustomize:
    namePrefix: p-
    images: [other:1, "registry:5000/app:old"]
`
	multi := `
sources:
- repoURL: https://charts.example.com
  chart: app
  targetRevision: 1.0.0
  helm:
    valueFiles: [$values/v.yaml]
    parameters: [{name: image.tag, value: old, forceString: true}]
- repoURL: https://git.example.com/cfg
  targetRevision: main
  ref: values
`
	tests := []struct {
		name        string
		spec        string
		updates     []SourceUpdate
		wantSpec    string // YAML of the patch fragment; "" for no change
		wantDesired []string
		wantTargets []string
		wantErr     string
	}{
		{
			name: "no updates", spec: single, wantDesired: []string{""}, wantTargets: []string{"main"},
		},
		{
			name: "desired revision only syncs, changes nothing", spec: single,
			updates:     []SourceUpdate{{RepoURL: "https://git.example.com/cfg", DesiredRevision: "abc"}},
			wantDesired: []string{"abc"}, wantTargets: []string{"main"},
		},
		{
			name: "target revision and images, unknown fields kept", spec: single,
			updates: []SourceUpdate{{
				RepoURL: "https://GIT.example.com/cfg.git/", DesiredRevision: "abc", UpdateTargetRevision: true,
				Kustomize: &KustomizeUpdate{Images: []KustomizeImage{
					{RepoURL: "registry:5000/app", Tag: "v2"},
					{RepoURL: "new", Digest: "sha256:1", NewName: "mirror/new"},
				}},
			}},
			wantSpec: `
source:
  repoURL: https://git.example.com/cfg.git
  targetRevision: abc
  path: app
  directory: {recurse: true}
  kustomize:
    namePrefix: p-
    images: [other:1, "registry:5000/app:v2", "new=mirror/new@sha256:1"]
`,
			wantDesired: []string{"abc"}, wantTargets: []string{"abc"},
		},
		{
			name: "multi-source chart and helm parameters", spec: multi,
			updates: []SourceUpdate{{
				RepoURL: "https://charts.example.com", Chart: "app", DesiredRevision: "1.1.0", UpdateTargetRevision: true,
				Helm: &HelmUpdate{Images: []HelmParameter{{Key: "image.tag", Value: "v2"}, {Key: "replicas", Value: "3"}}},
			}},
			wantSpec: `
sources:
- repoURL: https://charts.example.com
  chart: app
  targetRevision: 1.1.0
  helm:
    valueFiles: [$values/v.yaml]
    parameters: [{name: image.tag, value: v2, forceString: true}, {name: replicas, value: "3"}]
- repoURL: https://git.example.com/cfg
  targetRevision: main
  ref: values
`,
			wantDesired: []string{"1.1.0", ""}, wantTargets: []string{"1.1.0", "main"},
		},
		{
			name: "chart must match", spec: multi,
			updates: []SourceUpdate{{RepoURL: "https://charts.example.com", Chart: "other"}},
			wantErr: `no source with repoURL "https://charts.example.com" and chart "other"`,
		},
		{
			name: "git update does not hit a chart source", spec: multi,
			updates: []SourceUpdate{{RepoURL: "https://charts.example.com"}},
			wantErr: "sources[0]: the Application has no source",
		},
		{
			name: "no sources at all", spec: `{}`,
			updates: []SourceUpdate{{RepoURL: "r"}},
			wantErr: "no source",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := planSources(appFromYAML(t, tt.spec), tt.updates)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var wantSpec map[string]any
			if tt.wantSpec != "" {
				wantSpec = appFromYAML(t, tt.wantSpec).Object["spec"].(map[string]any)
			}
			if !reflect.DeepEqual(plan.spec, wantSpec) {
				got, _ := yaml.Marshal(plan.spec)
				t.Errorf("patch fragment:\n%s\nwant:\n%s", got, tt.wantSpec)
			}
			if !reflect.DeepEqual(plan.desired, tt.wantDesired) {
				t.Errorf("desired = %q, want %q", plan.desired, tt.wantDesired)
			}
			if !reflect.DeepEqual(plan.targets, tt.wantTargets) {
				t.Errorf("targets = %q, want %q", plan.targets, tt.wantTargets)
			}
		})
	}
}

func TestKustomizeImageName(t *testing.T) {
	tests := map[string]string{
		"nginx":                         "nginx",
		"nginx:1.2":                     "nginx",
		"nginx@sha256:abc":              "nginx",
		"nginx:1.2@sha256:abc":          "nginx",
		"registry:5000/team/app":        "registry:5000/team/app",
		"registry:5000/team/app:v1":     "registry:5000/team/app",
		"old=new:v1":                    "old",
		"ghcr.io/x/app=ghcr.io/y/app@d": "ghcr.io/x/app",
	}
	for in, want := range tests {
		if got := kustomizeImageName(in); got != want {
			t.Errorf("kustomizeImageName(%q) = %q, want %q", in, got, want)
		}
	}
}
