package steps

import (
	"errors"
	"path/filepath"
	"testing"
)

const settingsTOML = `# Settings.
title = "app" # the name
threshold = 1
ratio = 0.5
released = 2024-05-01
values = [1, 2, 3]
inline = { tag = 'v1', enabled = false }

[package]
version = "1.0.0"

[labels]
"example.com/version" = '1.0.0'

[[servers]]
host = "a"

[[servers]]
host = "b"
`

func TestTOMLUpdate(t *testing.T) {
	tests := []struct {
		name    string
		updates []any
		message string
	}{
		{
			name:    "scalars-in-place",
			updates: []any{upd("package.version", "1.0.1"), upd("threshold", 100), upd("inline.enabled", true)},
			message: "Updated settings.toml\n\n- package.version: \"1.0.1\"\n- threshold: 100\n- inline.enabled: true",
		},
		{
			name:    "quoting-kept",
			updates: []any{upd(`labels.example\.com/version`, "2.0.0"), upd("inline.tag", "v2"), upd("title", `say "hi"`)},
			message: "Updated settings.toml\n\n- labels.example\\.com/version: '2.0.0'\n- inline.tag: 'v2'\n- title: \"say \\\"hi\\\"\"",
		},
		{
			name:    "literal-that-cannot-stay-literal",
			updates: []any{upd("inline.tag", "it's")},
			message: "Updated settings.toml\n\n- inline.tag: \"it's\"",
		},
		{
			name:    "arrays-and-array-tables",
			updates: []any{upd("values.1", 20), upd("servers.1.host", "c")},
			message: "Updated settings.toml\n\n- values.1: 20\n- servers.1.host: \"c\"",
		},
		{
			name:    "float-and-date-keep-their-type",
			updates: []any{upd("ratio", 2), upd("released", "2025-01-31")},
			message: "Updated settings.toml\n\n- ratio: 2.0\n- released: 2025-01-31",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, map[string]string{"settings.toml": settingsTOML})
			cfg := map[string]any{"path": "settings.toml", "updates": tc.updates}
			res := run(t, TOMLUpdate{}, stepContext(dir, cfg))
			if got := res.Output["commitMessage"]; got != tc.message {
				t.Errorf("commitMessage = %q, want %q", got, tc.message)
			}
			got := readFile(t, filepath.Join(dir, "settings.toml"))
			golden(t, "toml-update/"+tc.name+".toml", got)
			run(t, TOMLUpdate{}, stepContext(dir, cfg))
			if again := readFile(t, filepath.Join(dir, "settings.toml")); string(again) != string(got) {
				t.Errorf("second run changed the file:\n%s", again)
			}
		})
	}
}

func TestTOMLUpdateBadInput(t *testing.T) {
	s := newOutsideDir(t)
	ok := []any{upd("package.version", "2")}
	tests := []struct {
		name    string
		config  map[string]any
		wantMsg []string
		escape  bool
		keyErr  bool
	}{
		{name: "unknown field", config: map[string]any{"path": "settings.toml", "updates": ok, "x": 1}, wantMsg: []string{`"x"`}},
		{name: "missing path", config: map[string]any{"updates": ok}, wantMsg: []string{`"path"`}},
		{name: "missing updates", config: map[string]any{"path": "settings.toml"}, wantMsg: []string{`"updates"`}},
		{name: "missing key", config: map[string]any{"path": "settings.toml", "updates": []any{map[string]any{"value": 1}}}, wantMsg: []string{"updates[0].key"}},
		{name: "bad key", config: map[string]any{"path": "settings.toml", "updates": []any{upd(`a\b`, 1)}}, wantMsg: []string{"updates[0].key", "escape"}},
		{name: "missing value", config: map[string]any{"path": "settings.toml", "updates": []any{map[string]any{"key": "a"}}}, wantMsg: []string{"updates[0].value"}},
		{name: "map value", config: map[string]any{"path": "settings.toml", "updates": []any{upd("title", map[string]any{"a": 1})}}, wantMsg: []string{"updates[0].value"}},
		{name: "new key", config: map[string]any{"path": "settings.toml", "updates": []any{upd("package.name", "x")}}, wantMsg: []string{"package.name", "does not exist"}, keyErr: true},
		{name: "table", config: map[string]any{"path": "settings.toml", "updates": []any{upd("package", "x")}}, wantMsg: []string{"package", "not a scalar"}, keyErr: true},
		{name: "array", config: map[string]any{"path": "settings.toml", "updates": []any{upd("values", "x")}}, wantMsg: []string{"values", "not a scalar"}, keyErr: true},
		{name: "index out of range", config: map[string]any{"path": "settings.toml", "updates": []any{upd("values.3", 1)}}, wantMsg: []string{"values.3"}, keyErr: true},
		{name: "integer too big", config: map[string]any{"path": "settings.toml", "updates": []any{upd("threshold", uint64(12345678901234567890))}}, wantMsg: []string{"threshold"}},
		{name: "missing file", config: map[string]any{"path": "nope.toml", "updates": ok}, wantMsg: []string{"nope.toml", "does not exist"}},
		{name: "malformed file", config: map[string]any{"path": "bad.toml", "updates": ok}, wantMsg: []string{"bad.toml", "line 2"}},
		{name: "duplicate key", config: map[string]any{"path": "dup.toml", "updates": ok}, wantMsg: []string{"dup.toml"}},
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
			dir := workDir(t, map[string]string{
				"settings.toml": settingsTOML,
				"bad.toml":      "a = 1\nb = [\n",
				"dup.toml":      "[package]\nversion = '1'\nversion = '2'\n",
			})
			s.linkOut(t, dir)
			err := wantFailure(t, TOMLUpdate{}, stepContext(dir, tc.config), tc.wantMsg...)
			if tc.escape != isPathEscape(err) {
				t.Errorf("path escape = %v, want %v (%v)", isPathEscape(err), tc.escape, err)
			}
			if tc.keyErr != errors.Is(err, ErrKeyNotFound) {
				t.Errorf("ErrKeyNotFound = %v, want %v (%v)", !tc.keyErr, tc.keyErr, err)
			}
			if got := readFile(t, filepath.Join(dir, "settings.toml")); string(got) != settingsTOML {
				t.Errorf("file changed by a failed update:\n%s", got)
			}
			s.check(t)
		})
	}
}
