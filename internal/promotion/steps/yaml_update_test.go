package steps

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

const valuesYAML = `# Values for the app.
image:
  repository: ghcr.io/example/app # the image
  tag: "1.0.0"

replicas: 1
enabled: false

resources:
- deployment.yaml
- service.yaml

annotations:
  example.com/owner: 'team-a'
  plain: value
empty:
`

func TestYAMLUpdate(t *testing.T) {
	tests := []struct {
		name    string
		updates []any
		message string
		// appends: "-1" appends again on every run, as in Kargo.
		appends bool
	}{
		{
			name:    "scalars-in-place",
			updates: []any{upd("image.tag", "1.2.3"), upd("replicas", 3), upd("enabled", true)},
			message: "Updated values.yaml\n\n- image.tag: 1.2.3\n- replicas: 3\n- enabled: true",
		},
		{
			name:    "list-index-and-escaped-dot",
			updates: []any{upd("resources.1", "svc.yaml"), upd(`annotations.example\.com/owner`, "team-b")},
			message: "Updated values.yaml\n\n- resources.1: svc.yaml\n- annotations.example\\.com/owner: team-b",
		},
		{
			name:    "string-that-looks-like-a-number",
			updates: []any{upd("annotations.plain", "42")},
			message: "Updated values.yaml\n\n- annotations.plain: \"42\"",
		},
		{
			name:    "create-missing-keys",
			updates: []any{upd("image.pullPolicy", "Always"), upd("new.nested.key", "v"), upd("empty.child", 1)},
			message: "Updated values.yaml\n\n- image.pullPolicy: Always\n- new.nested.key: v\n- empty.child: 1",
		},
		{
			name:    "append-and-map-value",
			updates: []any{upd("resources.-1", "ingress.yaml"), upd("image", map[string]any{"repository": "r", "tag": "t"})},
			message: "Updated values.yaml\n\n- resources.-1: ingress.yaml\n- image: {\"repository\":\"r\",\"tag\":\"t\"}",
			appends: true,
		},
		{
			name:    "unchanged-value",
			updates: []any{upd("image.tag", "1.0.0")},
			message: "Updated values.yaml\n\n- image.tag: 1.0.0",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, map[string]string{"values.yaml": valuesYAML})
			cfg := map[string]any{"path": "values.yaml", "updates": tc.updates}
			res := run(t, YAMLUpdate{}, stepContext(dir, cfg))
			if got := res.Output["commitMessage"]; got != tc.message {
				t.Errorf("commitMessage = %q, want %q", got, tc.message)
			}
			out := readFile(t, filepath.Join(dir, "values.yaml"))
			golden(t, "yaml-update/"+tc.name+".yaml", out)
			if tc.appends {
				return
			}
			// Running again changes nothing: steps must be idempotent.
			run(t, YAMLUpdate{}, stepContext(dir, cfg))
			if again := readFile(t, filepath.Join(dir, "values.yaml")); string(again) != string(out) {
				t.Errorf("second run changed the file:\n%s", again)
			}
		})
	}
}

func TestYAMLUpdateBadInput(t *testing.T) {
	outside := outsideFile(t)
	tests := []struct {
		name    string
		config  map[string]any
		setup   func(t *testing.T, dir string)
		wantMsg []string
		escape  bool
		keyErr  bool
	}{
		{name: "unknown field", config: map[string]any{"path": "values.yaml", "updates": []any{upd("a", 1)}, "bogus": 1}, wantMsg: []string{"bogus"}},
		{name: "missing path", config: map[string]any{"updates": []any{upd("a", 1)}}, wantMsg: []string{`"path"`}},
		{name: "missing updates", config: map[string]any{"path": "values.yaml"}, wantMsg: []string{`"updates"`}},
		{name: "missing key", config: map[string]any{"path": "values.yaml", "updates": []any{map[string]any{"value": 1}}}, wantMsg: []string{`updates[0].key`}},
		{name: "missing value", config: map[string]any{"path": "values.yaml", "updates": []any{map[string]any{"key": "a"}}}, wantMsg: []string{`updates[0].value`}},
		{name: "wrong type", config: map[string]any{"path": 3, "updates": []any{upd("a", 1)}}, wantMsg: []string{"path"}},
		{name: "bad escape", config: map[string]any{"path": "values.yaml", "updates": []any{upd(`a\b`, 1)}}, wantMsg: []string{"escape"}},
		{name: "dotdot escape", config: map[string]any{"path": "../values.yaml", "updates": []any{upd("a", 1)}}, escape: true},
		{name: "absolute path", config: map[string]any{"path": outside, "updates": []any{upd("a", 1)}}, escape: true},
		{
			name:   "symlink escape",
			config: map[string]any{"path": "link/secret.yaml", "updates": []any{upd("a", 1)}},
			setup:  func(t *testing.T, dir string) { symlink(t, dir, "link", filepath.Dir(outside)) },
			escape: true,
		},
		{name: "missing file", config: map[string]any{"path": "nope.yaml", "updates": []any{upd("a", 1)}}, wantMsg: []string{"nope.yaml", "does not exist"}},
		{name: "index out of range", config: map[string]any{"path": "values.yaml", "updates": []any{upd("resources.5", "x")}}, keyErr: true, wantMsg: []string{"resources.5", "out of range", "2 items"}},
		{name: "index not a number", config: map[string]any{"path": "values.yaml", "updates": []any{upd("resources.x", "x")}}, keyErr: true, wantMsg: []string{"not an index"}},
		{name: "key below scalar", config: map[string]any{"path": "values.yaml", "updates": []any{upd("replicas.count", 2)}}, keyErr: true, wantMsg: []string{"replicas", "scalar"}},
		{name: "forced key on list", config: map[string]any{"path": "values.yaml", "updates": []any{upd("resources.:0", "x")}}, keyErr: true, wantMsg: []string{"is a list"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, map[string]string{"values.yaml": valuesYAML})
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			err := wantFailure(t, YAMLUpdate{}, stepContext(dir, tc.config), tc.wantMsg...)
			if tc.escape != isPathEscape(err) {
				t.Errorf("path escape = %v, want %v (%v)", isPathEscape(err), tc.escape, err)
			}
			if tc.keyErr != errors.Is(err, ErrKeyNotFound) {
				t.Errorf("ErrKeyNotFound = %v, want %v (%v)", !tc.keyErr, tc.keyErr, err)
			}
			if got := readFile(t, filepath.Join(dir, "values.yaml")); string(got) != valuesYAML {
				t.Errorf("file changed by a failed update:\n%s", got)
			}
			if b, _ := os.ReadFile(outside); string(b) != "apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\n" {
				t.Errorf("file outside the work directory changed")
			}
		})
	}
}

func TestSplitKey(t *testing.T) {
	tests := []struct {
		key  string
		want []keyPart
		err  bool
	}{
		{key: "a.b.0", want: []keyPart{{name: "a"}, {name: "b"}, {name: "0"}}},
		{key: `a\.b.c`, want: []keyPart{{name: "a.b"}, {name: "c"}}},
		{key: `a.:1`, want: []keyPart{{name: "a"}, {name: "1", forceKey: true}}},
		{key: `a\:b`, want: []keyPart{{name: "a:b"}}},
		{key: "a..b", err: true},
		{key: "a.", err: true},
		{key: "a:b", err: true},
		{key: `a\`, err: true},
		{key: " ", err: true},
	}
	for _, tc := range tests {
		got, err := splitKey(tc.key)
		if (err != nil) != tc.err {
			t.Errorf("splitKey(%q) error = %v, want error %v", tc.key, err, tc.err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("splitKey(%q) = %v, want %v", tc.key, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("splitKey(%q) = %v, want %v", tc.key, got, tc.want)
			}
		}
	}
}

func upd(key string, value any) map[string]any { return map[string]any{"key": key, "value": value} }
