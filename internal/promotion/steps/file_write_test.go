package steps

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFileWrite(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]any
		path   string
		want   string
		mode   os.FileMode
	}{
		{name: "new file in new directories", config: map[string]any{"path": "out/a/b.yaml", "contents": "a: 1\n"}, path: "out/a/b.yaml", want: "a: 1\n", mode: 0o600},
		{name: "empty contents", config: map[string]any{"path": "empty.txt", "contents": ""}, path: "empty.txt", want: "", mode: 0o600},
		{name: "permissions", config: map[string]any{"path": "p.txt", "contents": "x", "permissions": "0644"}, path: "p.txt", want: "x", mode: 0o644},
		{name: "overwrite existing", config: map[string]any{"path": "existing.txt", "contents": "new", "overwrite": true, "permissions": "0640"}, path: "existing.txt", want: "new", mode: 0o640},
		{name: "file in an existing directory", config: map[string]any{"path": "real/c.txt", "contents": "c"}, path: "real/c.txt", want: "c", mode: 0o600},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, map[string]string{"existing.txt": "old content that is longer", "real/keep": ""})
			res := run(t, FileWrite{}, stepContext(dir, tc.config))
			if res.Output != nil {
				t.Errorf("output = %v, want none", res.Output)
			}
			p := filepath.Join(dir, tc.path)
			if got := readFile(t, p); string(got) != tc.want {
				t.Errorf("contents = %q, want %q", got, tc.want)
			}
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tc.mode {
				t.Errorf("mode = %o, want %o", fi.Mode().Perm(), tc.mode)
			}
		})
	}
}

func TestFileWriteBadInput(t *testing.T) {
	s := newOutsideDir(t)
	tests := []struct {
		name    string
		config  map[string]any
		wantMsg []string
		escape  bool
	}{
		{name: "unknown field", config: map[string]any{"path": "a", "contents": "", "x": 1}, wantMsg: []string{`"x"`}},
		{name: "missing path", config: map[string]any{"contents": "a"}, wantMsg: []string{`"path"`}},
		{name: "missing contents", config: map[string]any{"path": "a"}, wantMsg: []string{`"contents"`}},
		{name: "contents not a string", config: map[string]any{"path": "a", "contents": 3}, wantMsg: []string{"contents"}},
		{name: "overwrite not a bool", config: map[string]any{"path": "a", "contents": "", "overwrite": "yes"}, wantMsg: []string{"overwrite"}},
		{name: "permissions not octal", config: map[string]any{"path": "a", "contents": "", "permissions": "0999"}, wantMsg: []string{`"permissions"`, "octal"}},
		{name: "permissions without leading zero", config: map[string]any{"path": "a", "contents": "", "permissions": "644"}, wantMsg: []string{`"permissions"`}},
		{name: "permissions executable", config: map[string]any{"path": "a", "contents": "", "permissions": "0755"}, wantMsg: []string{"executable"}},
		{name: "permissions world-writable", config: map[string]any{"path": "a", "contents": "", "permissions": "0666"}, wantMsg: []string{"world-writable"}},
		{name: "existing without overwrite", config: map[string]any{"path": "existing.txt", "contents": "x"}, wantMsg: []string{"existing.txt", "already exists", "overwrite"}},
		{name: "directory", config: map[string]any{"path": "real", "contents": "x", "overwrite": true}, wantMsg: []string{"real", "not a regular file"}},
		{name: "git directory", config: map[string]any{"path": ".git/hooks/pre-commit", "contents": "x"}, wantMsg: []string{".git"}},
		{name: "nested git directory", config: map[string]any{"path": "src/.git/config", "contents": "x"}, wantMsg: []string{".git"}},
		{name: "work directory", config: map[string]any{"path": ".", "contents": "x"}, wantMsg: []string{"work directory"}},
		{name: "link inside the work directory", config: map[string]any{"path": "inside/keep", "contents": "x", "overwrite": true}, wantMsg: []string{"symbolic link"}},
	}
	for kind, p := range s.escapePaths("secret.yaml") {
		tests = append(tests, struct {
			name    string
			config  map[string]any
			wantMsg []string
			escape  bool
		}{name: "escape " + kind, config: map[string]any{"path": p, "contents": "pwned", "overwrite": true}, escape: true})
		tests = append(tests, struct {
			name    string
			config  map[string]any
			wantMsg []string
			escape  bool
		}{name: "escape new file " + kind, config: map[string]any{"path": filepath.Join(filepath.Dir(p), "new.txt"), "contents": "pwned"}, escape: true})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, map[string]string{"existing.txt": "old", "real/keep": "keep", ".git/HEAD": "ref: refs/heads/main\n"})
			s.linkOut(t, dir)
			symlink(t, dir, "inside", "real")
			err := wantFailure(t, FileWrite{}, stepContext(dir, tc.config), tc.wantMsg...)
			if tc.escape != isPathEscape(err) {
				t.Errorf("path escape = %v, want %v (%v)", isPathEscape(err), tc.escape, err)
			}
			if got := readFile(t, filepath.Join(dir, "existing.txt")); string(got) != "old" {
				t.Errorf("existing file changed: %q", got)
			}
			if got := readFile(t, filepath.Join(dir, "real/keep")); string(got) != "keep" {
				t.Errorf("file behind a link changed: %q", got)
			}
			if _, err := os.Stat(filepath.Join(dir, ".git/hooks")); err == nil {
				t.Error("file-write wrote into .git")
			}
			s.check(t)
		})
	}
}
