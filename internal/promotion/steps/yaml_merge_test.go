package steps

import (
	"os"
	"path/filepath"
	"testing"
)

var mergeFiles = map[string]string{
	"base.yaml": `# Base values.
character:
  name: Vader
  ability: Force
  affiliation: Empire # side
  saberColor: red
vehicles:
- Star Destroyer
containers:
- name: app
  image: app:1
`,
	"overlay.yaml": `character:
  name: Luke
  affiliation: Rebel Alliance
  saberColor: null
  siblings:
  - Leia
vehicles:
- Millennium Falcon
`,
	"cluster.yaml": `character:
  name: Luke Skywalker
replicas: 2
containers:
- name: app
  image: app:2
`,
	"empty.yaml": "",
}

func TestYAMLMerge(t *testing.T) {
	tests := []struct {
		name    string
		config  map[string]any
		out     string
		message string
	}{
		{
			name:    "three-files",
			config:  map[string]any{"inFiles": []any{"base.yaml", "overlay.yaml", "cluster.yaml"}, "outFile": "out/values.yaml"},
			message: "Merged 3 YAML files to out/values.yaml\n- base.yaml\n- overlay.yaml\n- cluster.yaml",
		},
		{
			name:    "empty-file-in-between",
			config:  map[string]any{"inFiles": []any{"empty.yaml", "base.yaml", "empty.yaml", "overlay.yaml"}, "outFile": "out/values.yaml"},
			message: "Merged 4 YAML files to out/values.yaml\n- empty.yaml\n- base.yaml\n- empty.yaml\n- overlay.yaml",
		},
		{
			name:    "one-file",
			config:  map[string]any{"inFiles": []any{"base.yaml"}, "outFile": "out/values.yaml"},
			message: "Wrote base.yaml to out/values.yaml",
		},
		{
			name:    "ignore-missing",
			config:  map[string]any{"inFiles": []any{"nope.yaml", "base.yaml", "cluster.yaml"}, "outFile": "out/values.yaml", "ignoreMissingFiles": true},
			message: "Merged 2 YAML files to out/values.yaml\n- base.yaml\n- cluster.yaml",
		},
		{
			name:   "all-missing",
			config: map[string]any{"inFiles": []any{"nope.yaml"}, "outFile": "out/values.yaml", "ignoreMissingFiles": true},
		},
		{
			name:    "overwrite-input",
			config:  map[string]any{"inFiles": []any{"base.yaml", "cluster.yaml"}, "outFile": "base.yaml"},
			out:     "base.yaml",
			message: "Merged 2 YAML files to base.yaml\n- base.yaml\n- cluster.yaml",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, mergeFiles)
			res := run(t, YAMLMerge{}, stepContext(dir, tc.config))
			if got, _ := res.Output["commitMessage"].(string); got != tc.message {
				t.Errorf("commitMessage = %q, want %q", got, tc.message)
			}
			outFile := tc.out
			if outFile == "" {
				outFile = "out/values.yaml"
			}
			got := readFile(t, filepath.Join(dir, outFile))
			golden(t, "yaml-merge/"+tc.name+".yaml", got)
			// Idempotent: the same inputs give the same file.
			if tc.out == "" {
				run(t, YAMLMerge{}, stepContext(dir, tc.config))
				if again := readFile(t, filepath.Join(dir, outFile)); string(again) != string(got) {
					t.Errorf("second run wrote a different file:\n%s", again)
				}
			}
		})
	}
}

func TestYAMLMergeBadInput(t *testing.T) {
	s := newOutsideDir(t)
	tests := []struct {
		name    string
		config  map[string]any
		wantMsg []string
		escape  bool
	}{
		{name: "unknown field", config: map[string]any{"inFiles": []any{"base.yaml"}, "outFile": "o.yaml", "x": 1}, wantMsg: []string{`"x"`}},
		{name: "missing inFiles", config: map[string]any{"outFile": "o.yaml"}, wantMsg: []string{`"inFiles"`}},
		{name: "empty inFiles", config: map[string]any{"inFiles": []any{}, "outFile": "o.yaml"}, wantMsg: []string{`"inFiles"`}},
		{name: "empty inFiles entry", config: map[string]any{"inFiles": []any{""}, "outFile": "o.yaml"}, wantMsg: []string{`"inFiles[0]"`}},
		{name: "missing outFile", config: map[string]any{"inFiles": []any{"base.yaml"}}, wantMsg: []string{`"outFile"`}},
		{name: "ignoreMissingFiles not a bool", config: map[string]any{"inFiles": []any{"base.yaml"}, "outFile": "o.yaml", "ignoreMissingFiles": "yes"}, wantMsg: []string{"ignoreMissingFiles"}},
		{name: "missing input", config: map[string]any{"inFiles": []any{"base.yaml", "nope.yaml"}, "outFile": "o.yaml"}, wantMsg: []string{`"nope.yaml"`, "does not exist"}},
		{name: "malformed input", config: map[string]any{"inFiles": []any{"base.yaml", "bad.yaml"}, "outFile": "o.yaml"}, wantMsg: []string{`"bad.yaml"`, "invalid YAML"}},
	}
	for kind, p := range s.escapePaths("secret.yaml") {
		tests = append(tests,
			struct {
				name    string
				config  map[string]any
				wantMsg []string
				escape  bool
			}{name: "input escape " + kind, config: map[string]any{"inFiles": []any{"base.yaml", p}, "outFile": "o.yaml"}, escape: true},
			struct {
				name    string
				config  map[string]any
				wantMsg []string
				escape  bool
			}{name: "output escape " + kind, config: map[string]any{"inFiles": []any{"base.yaml"}, "outFile": p}, escape: true},
		)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"bad.yaml": "a: [b\n"}
			for k, v := range mergeFiles {
				files[k] = v
			}
			dir := workDir(t, files)
			s.linkOut(t, dir)
			err := wantFailure(t, YAMLMerge{}, stepContext(dir, tc.config), tc.wantMsg...)
			if tc.escape != isPathEscape(err) {
				t.Errorf("path escape = %v, want %v (%v)", isPathEscape(err), tc.escape, err)
			}
			if _, err := os.Stat(filepath.Join(dir, "o.yaml")); err == nil {
				t.Error("a failed merge wrote its output")
			}
			s.check(t)
		})
	}
}
