package steps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

var treeFiles = map[string]string{
	"src/a.yaml":         "a: 1\n",
	"src/sub/b.yaml":     "b: 2\n",
	"src/sub/skip.tmp":   "tmp\n",
	"src/.git/HEAD":      "ref: refs/heads/main\n",
	"src/build/out.yaml": "o: 1\n",
}

// listFiles lists regular files and symlinks below dir, relative, sorted.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestCopy(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]any
		want   []string
	}{
		{name: "file", config: map[string]any{"inPath": "src/a.yaml", "outPath": "dst/copied.yaml"}, want: []string{"copied.yaml"}},
		{name: "tree", config: map[string]any{"inPath": "src", "outPath": "dst"}, want: []string{"a.yaml", "build/out.yaml", "sub/b.yaml", "sub/skip.tmp"}},
		{name: "ignore", config: map[string]any{"inPath": "src", "outPath": "dst", "ignore": "*.tmp\n# comment\n/build/\n"}, want: []string{"a.yaml", "sub/b.yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, treeFiles)
			symlink(t, dir, "src/link", "/etc")
			run(t, Copy{}, stepContext(dir, tc.config))
			if got := listFiles(t, filepath.Join(dir, "dst")); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("copied %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]any
		want   []string
	}{
		{name: "file", config: map[string]any{"path": "src/a.yaml"}, want: []string{".git/HEAD", "build/out.yaml", "link", "sub/b.yaml", "sub/skip.tmp"}},
		{name: "dir and missing", config: map[string]any{"paths": []any{"src/sub", "src/nope"}}, want: []string{".git/HEAD", "a.yaml", "build/out.yaml", "link"}},
		{name: "globs", config: map[string]any{"paths": []any{"src/**/*.tmp", "src/build"}, "pathsAreGlobs": true}, want: []string{".git/HEAD", "a.yaml", "link", "sub/b.yaml"}},
		{name: "symlink itself", config: map[string]any{"path": "src/link"}, want: []string{".git/HEAD", "a.yaml", "build/out.yaml", "sub/b.yaml", "sub/skip.tmp"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, treeFiles)
			outside := outsideFile(t)
			symlink(t, dir, "src/link", filepath.Dir(outside))
			run(t, Delete{}, stepContext(dir, tc.config))
			if got := listFiles(t, filepath.Join(dir, "src")); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("left %v, want %v", got, tc.want)
			}
			if _, err := os.Stat(outside); err != nil {
				t.Errorf("file outside the work directory is gone: %v", err)
			}
		})
	}
}

func TestFileStepsBadInput(t *testing.T) {
	outside := outsideFile(t)
	tests := []struct {
		name    string
		step    promotion.Step
		config  map[string]any
		wantMsg []string
		escape  bool
	}{
		{name: "copy unknown field", step: Copy{}, config: map[string]any{"inPath": "src", "outPath": "d", "from": "x"}, wantMsg: []string{"from"}},
		{name: "copy missing outPath", step: Copy{}, config: map[string]any{"inPath": "src"}, wantMsg: []string{`"outPath"`}},
		{name: "copy missing source", step: Copy{}, config: map[string]any{"inPath": "nope", "outPath": "d"}, wantMsg: []string{"nope", "does not exist"}},
		{name: "copy into itself", step: Copy{}, config: map[string]any{"inPath": "src", "outPath": "src/sub/x"}, wantMsg: []string{"inside"}},
		{name: "copy from outside", step: Copy{}, config: map[string]any{"inPath": "../x", "outPath": "d"}, escape: true},
		{name: "copy through symlink", step: Copy{}, config: map[string]any{"inPath": "src/link/secret.yaml", "outPath": "d"}, escape: true},
		{name: "copy to outside", step: Copy{}, config: map[string]any{"inPath": "src", "outPath": outside}, escape: true},
		{name: "delete unknown field", step: Delete{}, config: map[string]any{"path": "src", "recursive": true}, wantMsg: []string{"recursive"}},
		{name: "delete path and paths", step: Delete{}, config: map[string]any{"path": "src", "paths": []any{"x"}}, wantMsg: []string{`"path"`, `"paths"`}},
		{name: "delete nothing", step: Delete{}, config: map[string]any{}, wantMsg: []string{`"path"`}},
		{name: "delete strict missing", step: Delete{}, config: map[string]any{"path": "nope", "strict": true}, wantMsg: []string{"nope"}},
		{name: "delete strict glob", step: Delete{}, config: map[string]any{"paths": []any{"*.none"}, "pathsAreGlobs": true, "strict": true}, wantMsg: []string{"*.none"}},
		{name: "delete bad glob", step: Delete{}, config: map[string]any{"paths": []any{"src/["}, "pathsAreGlobs": true}, wantMsg: []string{"src/["}},
		{name: "delete work directory", step: Delete{}, config: map[string]any{"path": "src/.."}, wantMsg: []string{"work directory"}},
		{name: "delete outside", step: Delete{}, config: map[string]any{"path": "../x"}, escape: true},
		{name: "delete parent", step: Delete{}, config: map[string]any{"path": ".."}, escape: true},
		{name: "delete through symlink", step: Delete{}, config: map[string]any{"path": "src/link/secret.yaml"}, escape: true},
		{name: "fail unknown field", step: Fail{}, config: map[string]any{"msg": "x"}, wantMsg: []string{"msg"}},
		{name: "compose-output empty", step: ComposeOutput{}, config: map[string]any{}, wantMsg: []string{"at least one"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, treeFiles)
			symlink(t, dir, "src/link", filepath.Dir(outside))
			err := wantFailure(t, tc.step, stepContext(dir, tc.config), tc.wantMsg...)
			if tc.escape != isPathEscape(err) {
				t.Errorf("path escape = %v, want %v (%v)", isPathEscape(err), tc.escape, err)
			}
			if _, err := os.Stat(outside); err != nil {
				t.Errorf("file outside the work directory is gone: %v", err)
			}
			if got := listFiles(t, filepath.Join(dir, "src")); len(got) != len(treeFiles)+1 {
				t.Errorf("work directory changed by a failed step: %v", got)
			}
		})
	}
}

func TestFail(t *testing.T) {
	for _, tc := range []struct {
		config map[string]any
		want   string
	}{
		{config: map[string]any{"message": "stop here"}, want: "stop here"},
		{config: nil, want: ErrFailStep.Error()},
	} {
		res, err := Fail{}.Run(context.Background(), stepContext(t.TempDir(), tc.config))
		if res.Status != railyard.StepStatusFailed || !promotion.IsTerminal(err) || err.Error() != tc.want || res.Message != tc.want {
			t.Errorf("fail %v: got %s %q (%v), want Failed %q", tc.config, res.Status, res.Message, err, tc.want)
		}
	}
}

func TestComposeOutput(t *testing.T) {
	cfg := map[string]any{"image": "ghcr.io/x:1", "nested": map[string]any{"n": 1.0}}
	res := run(t, ComposeOutput{}, stepContext(t.TempDir(), cfg))
	if !reflect.DeepEqual(res.Output, cfg) {
		t.Errorf("output = %v, want %v", res.Output, cfg)
	}
}

func TestBuiltins(t *testing.T) {
	want := []string{"compose-output", "copy", "delete", "fail", "file-write", "helm-template", "helm-update-chart",
		"json-parse", "json-update", "kustomize-build", "kustomize-set-image", "tar", "toml-parse", "toml-update",
		"untar", "yaml-merge", "yaml-parse", "yaml-update"}
	reg := promotion.NewRegistry(Builtins(Options{})...)
	if got := reg.Names(); !reflect.DeepEqual(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
}
