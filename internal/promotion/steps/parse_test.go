package steps

import (
	"reflect"
	"testing"

	"github.com/railyard-dev/railyard/internal/promotion"
)

const parseYAMLSrc = `image:
  repository: ghcr.io/example/app
  tag: "v1.2.3"
replicas: 3
enabled: true
hosts: [a.example.com, b.example.com]
apps:
  dev: {replicas: 1}
  prod: {replicas: 5}
`

const parseJSONSrc = `{
  "image": {"repository": "ghcr.io/example/app", "tag": "v1.2.3"},
  "replicas": 3,
  "enabled": true,
  "hosts": ["a.example.com", "b.example.com"],
  "apps": {"dev": {"replicas": 1}, "prod": {"replicas": 5}}
}
`

const parseTOMLSrc = `replicas = 3
enabled = true
hosts = ["a.example.com", "b.example.com"]
released = 2024-05-01T10:00:00Z

[image]
repository = "ghcr.io/example/app"
tag = "v1.2.3"

[apps.dev]
replicas = 1

[apps.prod]
replicas = 5
`

var parseSteps = []struct {
	step      promotion.Step
	file, src string
}{
	{YAMLParse{}, "values.yaml", parseYAMLSrc},
	{JSONParse{}, "values.json", parseJSONSrc},
	{TOMLParse{}, "values.toml", parseTOMLSrc},
}

func out(name, expression string) map[string]any {
	return map[string]any{"name": name, "fromExpression": expression}
}

func TestParseSteps(t *testing.T) {
	outputs := []any{
		out("tag", "image.tag"),
		out("repo", `image["repository"]`),
		out("replicas", "replicas + 1"),
		out("enabled", "enabled"),
		out("firstHost", "hosts[0]"),
		out("hostCount", "len(hosts)"),
		out("prodReplicas", "apps.prod.replicas"),
		out("missing", "image.missing"),
		out("undeclared", "nothere"),
		out("image", "image"),
		out("joined", `join(hosts, ",")`),
	}
	want := map[string]any{
		"tag":          "v1.2.3",
		"repo":         "ghcr.io/example/app",
		"replicas":     float64(4),
		"enabled":      true,
		"firstHost":    "a.example.com",
		"hostCount":    float64(2),
		"prodReplicas": float64(5),
		"missing":      nil,
		"undeclared":   nil,
		"image":        map[string]any{"repository": "ghcr.io/example/app", "tag": "v1.2.3"},
		"joined":       "a.example.com,b.example.com",
	}
	for _, ps := range parseSteps {
		step := ps.step
		t.Run(step.Name(), func(t *testing.T) {
			dir := workDir(t, map[string]string{ps.file: ps.src})
			res := run(t, ps.step, stepContext(dir, map[string]any{"path": ps.file, "outputs": outputs}))
			if !reflect.DeepEqual(res.Output, want) {
				t.Errorf("outputs:\n got %#v\nwant %#v", res.Output, want)
			}
		})
	}
}

func TestTOMLParseDates(t *testing.T) {
	dir := workDir(t, map[string]string{"v.toml": parseTOMLSrc})
	res := run(t, TOMLParse{}, stepContext(dir, map[string]any{"path": "v.toml", "outputs": []any{
		out("released", "released"), out("year", "released.Year()"),
	}}))
	if got := res.Output["released"]; got != "2024-05-01T10:00:00Z" {
		t.Errorf("released = %#v", got)
	}
	if got := res.Output["year"]; got != float64(2024) {
		t.Errorf("year = %#v", got)
	}
}

func TestParseStepsBadInput(t *testing.T) {
	s := newOutsideDir(t)
	malformed := map[string]string{
		"yaml-parse": "image: [unclosed\n",
		"json-parse": `{"image": }`,
		"toml-parse": "image = \n[x",
	}
	for _, ps := range parseSteps {
		step := ps.step
		good := []any{out("tag", "image.tag")}
		tests := []struct {
			name    string
			config  map[string]any
			files   map[string]string
			wantMsg []string
			escape  bool
		}{
			{name: "unknown field", config: map[string]any{"path": ps.file, "outputs": good, "bogus": 1}, wantMsg: []string{"bogus"}},
			{name: "missing path", config: map[string]any{"outputs": good}, wantMsg: []string{`"path"`}},
			{name: "path not a string", config: map[string]any{"path": 1, "outputs": good}, wantMsg: []string{"path"}},
			{name: "missing outputs", config: map[string]any{"path": ps.file}, wantMsg: []string{`"outputs"`}},
			{name: "empty outputs", config: map[string]any{"path": ps.file, "outputs": []any{}}, wantMsg: []string{`"outputs"`}},
			{name: "output without name", config: map[string]any{"path": ps.file, "outputs": []any{map[string]any{"fromExpression": "a"}}}, wantMsg: []string{"outputs[0].name"}},
			{name: "output without expression", config: map[string]any{"path": ps.file, "outputs": []any{map[string]any{"name": "a"}}}, wantMsg: []string{"outputs[0].fromExpression"}},
			{name: "output unknown field", config: map[string]any{"path": ps.file, "outputs": []any{map[string]any{"name": "a", "fromExpression": "a", "x": 1}}}, wantMsg: []string{`"x"`}},
			{name: "expression does not compile", config: map[string]any{"path": ps.file, "outputs": []any{out("a", "image.tag +")}}, wantMsg: []string{"outputs[0]", "does not compile"}},
			{name: "expression fails", config: map[string]any{"path": ps.file, "outputs": []any{out("a", "image.tag / 0")}}, wantMsg: []string{"outputs[0]"}},
			{name: "expression yields infinity", config: map[string]any{"path": ps.file, "outputs": []any{out("a", "replicas / 0")}}, wantMsg: []string{"outputs[0]", "cannot hold"}},
			{name: "missing file", config: map[string]any{"path": "nope", "outputs": good}, wantMsg: []string{"nope", "does not exist"}},
			{name: "empty file", config: map[string]any{"path": "empty", "outputs": good}, files: map[string]string{"empty": ""}, wantMsg: []string{"empty"}},
			{name: "malformed file", config: map[string]any{"path": "bad", "outputs": good}, files: map[string]string{"bad": malformed[step.Name()]}, wantMsg: []string{"parsing", `"bad"`}},
		}
		if step.Name() != "toml-parse" {
			tests = append(tests, struct {
				name    string
				config  map[string]any
				files   map[string]string
				wantMsg []string
				escape  bool
			}{name: "top-level list", config: map[string]any{"path": "list", "outputs": good}, files: map[string]string{"list": "[1, 2]"}, wantMsg: []string{"list"}})
		}
		for kind, p := range s.escapePaths("secret.yaml") {
			tests = append(tests, struct {
				name    string
				config  map[string]any
				files   map[string]string
				wantMsg []string
				escape  bool
			}{name: "escape " + kind, config: map[string]any{"path": p, "outputs": []any{out("p", "password")}}, escape: true})
		}
		for _, tc := range tests {
			t.Run(step.Name()+"/"+tc.name, func(t *testing.T) {
				files := map[string]string{ps.file: ps.src}
				for k, v := range tc.files {
					files[k] = v
				}
				dir := workDir(t, files)
				s.linkOut(t, dir)
				err := wantFailure(t, step, stepContext(dir, tc.config), tc.wantMsg...)
				if tc.escape != isPathEscape(err) {
					t.Errorf("path escape = %v, want %v (%v)", isPathEscape(err), tc.escape, err)
				}
				s.check(t)
			})
		}
	}
}
