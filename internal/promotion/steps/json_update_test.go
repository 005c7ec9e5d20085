package steps

import (
	"errors"
	"path/filepath"
	"testing"
)

const configJSON = `{
  "image": {
    "repository": "ghcr.io/example/app",
    "tag": "v1.0.0"
  },
  "replicas": 1,
  "enabled": false,
  "annotations": {
    "example.com/version": "v1.0.0"
  },
  "containers": [
    { "name": "app", "image": "app:v1.0" },
    { "name": "sidecar", "image": "proxy:v1" }
  ]
}
`

func TestJSONUpdate(t *testing.T) {
	tests := []struct {
		name    string
		updates []any
		message string
	}{
		{
			name:    "scalars-in-place",
			updates: []any{upd("image.tag", "v1.2.3"), upd("replicas", 3), upd("enabled", true)},
			message: "Updated config.json\n\n- image.tag: \"v1.2.3\"\n- replicas: 3\n- enabled: true",
		},
		{
			name:    "escaped-dot-and-index",
			updates: []any{upd(`annotations.example\.com/version`, "v2"), upd("containers.0.image", "app:v2.0")},
			message: "Updated config.json\n\n- annotations.example\\.com/version: \"v2\"\n- containers.0.image: \"app:v2.0\"",
		},
		{
			name:    "create-missing-keys",
			updates: []any{upd("image.pullPolicy", "Always"), upd("new.nested", 1.5)},
			message: "Updated config.json\n\n- image.pullPolicy: \"Always\"\n- new.nested: 1.5",
		},
		{
			name:    "query",
			updates: []any{upd(`containers.#(name=="sidecar").image`, "proxy:v2")},
			message: "Updated config.json\n\n- containers.#(name==\"sidecar\").image: \"proxy:v2\"",
		},
		{
			name:    "string-escaping",
			updates: []any{upd("image.tag", "a \"quoted\" <tag>\n")},
			message: "Updated config.json\n\n- image.tag: \"a \\\"quoted\\\" <tag>\\n\"",
		},
		{
			name:    "big-integer-kept-exact",
			updates: []any{upd("replicas", 12345678901234567)},
			message: "Updated config.json\n\n- replicas: 12345678901234567",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, map[string]string{"config.json": configJSON})
			cfg := map[string]any{"path": "config.json", "updates": tc.updates}
			res := run(t, JSONUpdate{}, stepContext(dir, cfg))
			if got := res.Output["commitMessage"]; got != tc.message {
				t.Errorf("commitMessage = %q, want %q", got, tc.message)
			}
			got := readFile(t, filepath.Join(dir, "config.json"))
			golden(t, "json-update/"+tc.name+".json", got)
			run(t, JSONUpdate{}, stepContext(dir, cfg))
			if again := readFile(t, filepath.Join(dir, "config.json")); string(again) != string(got) {
				t.Errorf("second run changed the file:\n%s", again)
			}
		})
	}
}

func TestJSONUpdateBadInput(t *testing.T) {
	s := newOutsideDir(t)
	ok := []any{upd("image.tag", "v2")}
	tests := []struct {
		name    string
		config  map[string]any
		wantMsg []string
		escape  bool
		keyErr  bool
	}{
		{name: "unknown field", config: map[string]any{"path": "config.json", "updates": ok, "x": 1}, wantMsg: []string{`"x"`}},
		{name: "missing path", config: map[string]any{"updates": ok}, wantMsg: []string{`"path"`}},
		{name: "missing updates", config: map[string]any{"path": "config.json"}, wantMsg: []string{`"updates"`}},
		{name: "missing key", config: map[string]any{"path": "config.json", "updates": []any{map[string]any{"value": 1}}}, wantMsg: []string{"updates[0].key"}},
		{name: "missing value", config: map[string]any{"path": "config.json", "updates": []any{map[string]any{"key": "a"}}}, wantMsg: []string{"updates[0].value"}},
		{name: "null value", config: map[string]any{"path": "config.json", "updates": []any{upd("a", nil)}}, wantMsg: []string{"updates[0].value", "string, number or boolean"}},
		{name: "map value", config: map[string]any{"path": "config.json", "updates": []any{upd("a", map[string]any{"b": 1})}}, wantMsg: []string{"updates[0].value"}},
		{name: "list value", config: map[string]any{"path": "config.json", "updates": []any{upd("a", []any{1})}}, wantMsg: []string{"updates[0].value"}},
		{name: "empty segment", config: map[string]any{"path": "config.json", "updates": []any{upd("image..tag", "x")}}, wantMsg: []string{"updates[0].key"}},
		{name: "query matches nothing", config: map[string]any{"path": "config.json", "updates": []any{upd(`containers.#(name=="nope").image`, "x")}}, wantMsg: []string{"matches nothing"}, keyErr: true},
		{name: "missing file", config: map[string]any{"path": "nope.json", "updates": ok}, wantMsg: []string{"nope.json", "does not exist"}},
		{name: "malformed file", config: map[string]any{"path": "bad.json", "updates": ok}, wantMsg: []string{"bad.json", "line 2, column"}},
		{name: "top-level scalar", config: map[string]any{"path": "scalar.json", "updates": ok}, wantMsg: []string{"scalar.json", "object or array"}},
	}
	for kind, p := range s.escapePaths("secret.yaml") {
		tests = append(tests, struct {
			name    string
			config  map[string]any
			wantMsg []string
			escape  bool
			keyErr  bool
		}{name: "escape " + kind, config: map[string]any{"path": p, "updates": ok}, escape: true})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, map[string]string{"config.json": configJSON, "bad.json": "{\n  \"a\": }\n", "scalar.json": "3"})
			s.linkOut(t, dir)
			err := wantFailure(t, JSONUpdate{}, stepContext(dir, tc.config), tc.wantMsg...)
			if tc.escape != isPathEscape(err) {
				t.Errorf("path escape = %v, want %v (%v)", isPathEscape(err), tc.escape, err)
			}
			if tc.keyErr != errors.Is(err, ErrKeyNotFound) {
				t.Errorf("ErrKeyNotFound = %v, want %v (%v)", !tc.keyErr, tc.keyErr, err)
			}
			if got := readFile(t, filepath.Join(dir, "config.json")); string(got) != configJSON {
				t.Errorf("file changed by a failed update:\n%s", got)
			}
			s.check(t)
		})
	}
}
