package steps

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// sentinel marks every file outside the work directory: it must never show
// up in the work directory, and those files must never change.
const sentinel = "SENTINEL-7f3a"

// attack is a step run against a work directory prepared to make it read or
// write outside. Strings in files, links and config may hold {OUT} (the
// outside directory, absolute), {REL:dir} (the outside directory relative
// to the work directory's dir) and {REPO} (a chart repository's URL).
type attack struct {
	name   string
	step   promotion.Step
	files  map[string]string
	links  map[string]string // link -> target
	config map[string]any
	// refused: the step must fail terminally with ErrPathEscapes and
	// these words. Otherwise it may succeed or fail, but stays inside.
	refused []string
	// wantIn must be in some file of the work directory when kept inside
	// and succeeding (a link inside the work directory was followed).
	wantIn string
	// notIn must not be in any file of the work directory afterwards.
	notIn string
	// setup runs before the step with the directory holding the work
	// and outside directories.
	setup func(t *testing.T, base string)
}

// outsideFiles is the outside directory: a file to steal, a chart to
// render and a directory to write into.
var outsideFiles = map[string]string{
	"passwd":                      "root:x:0:0:" + sentinel + ":/root:/bin/sh\n",
	"secret.yaml":                 "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\ndata:\n  s: " + sentinel + "\n",
	"values.yaml":                 "image:\n  tag: " + sentinel + "\n",
	"charts/demo/Chart.yaml":      "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
	"charts/demo/values.yaml":     "message: " + sentinel + "\n",
	"charts/demo/templates/a.yml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: outside\ndata:\n  m: {{ .Values.message }}\n",
	"rendered/.keep":              "",
}

// filesGetTemplate leaks files/passwd into the rendered output.
const filesGetTemplate = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  passwd: {{ .Files.Get \"files/passwd\" | quote }}\n"

var placeholder = regexp.MustCompile(`\{REL:([^}]*)\}`)

func runAttacks(t *testing.T, attacks []attack, repo string) {
	t.Helper()
	for _, tc := range attacks {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			work, out := filepath.Join(base, "work"), filepath.Join(base, "outside")
			expand := func(s string) string {
				s = strings.ReplaceAll(s, "{OUT}", out)
				s = strings.ReplaceAll(s, "{REPO}", repo)
				return placeholder.ReplaceAllStringFunc(s, func(m string) string {
					rel, err := filepath.Rel(filepath.Join(work, placeholder.FindStringSubmatch(m)[1]), out)
					if err != nil {
						t.Fatal(err)
					}
					return rel
				})
			}
			writeTree(t, out, outsideFiles, func(s string) string { return s })
			writeTree(t, work, tc.files, expand)
			for link, target := range tc.links {
				symlink(t, work, link, expand(target))
			}
			if tc.setup != nil {
				tc.setup(t, base)
			}
			before := snapshot(t, out)
			res, err := tc.step.Run(context.Background(), stepContext(work, expandConfig(tc.config, expand).(map[string]any)))
			switch {
			case tc.refused != nil && err == nil:
				// Not Fatal: what leaked or changed outside is worth seeing.
				t.Errorf("%s: want a refusal, got %s", tc.step.Name(), res.Status)
			case tc.refused != nil:
				t.Logf("refused: %v", err)
				if !promotion.IsTerminal(err) || !isPathEscape(err) || res.Status != railyard.StepStatusFailed {
					t.Errorf("%s: want a terminal path escape, got %s: %v", tc.step.Name(), res.Status, err)
				}
				for _, w := range tc.refused {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				if strings.Contains(err.Error(), work) {
					t.Errorf("error exposes the work directory: %v", err)
				}
			case tc.wantIn != "":
				if err != nil {
					t.Fatalf("%s: want success, got %v", tc.step.Name(), err)
				}
				if !treeContains(t, work, tc.wantIn) {
					t.Errorf("no file of the work directory holds %q", tc.wantIn)
				}
			default:
				t.Logf("kept inside: %s %v", res.Status, err)
			}
			if after := snapshot(t, out); !equalMaps(before, after) {
				t.Errorf("outside directory changed:\nbefore %v\nafter  %v", before, after)
			}
			if tc.notIn != "" && treeContains(t, work, tc.notIn) {
				t.Errorf("%q was read into the work directory", tc.notIn)
			}
			if treeContains(t, work, sentinel) {
				t.Errorf("a file from outside was read into the work directory")
			}
		})
	}
}

func writeTree(t *testing.T, dir string, files map[string]string, expand func(string) string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(expand(content)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func expandConfig(v any, expand func(string) string) any {
	switch v := v.(type) {
	case string:
		return expand(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = expandConfig(e, expand)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = expandConfig(e, expand)
		}
		return out
	}
	return v
}

// snapshot maps every entry below dir (links not followed) to its content
// or link target.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[rel] = "-> " + target
			return err
		case d.IsDir():
			out[rel] = "dir"
		default:
			b, err := os.ReadFile(p)
			out[rel] = string(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// treeContains reports whether a regular file below dir holds s.
func treeContains(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	for p, content := range snapshot(t, dir) {
		if !strings.HasPrefix(content, "-> ") && strings.Contains(content, s) {
			t.Logf("%s holds %q", p, s)
			found = true
		}
	}
	return found
}

func TestConfinementFileSteps(t *testing.T) {
	src := map[string]string{"src/a.yaml": "a: 1\n", "src/app/deploy.yaml": "kind: Deployment\n"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range src {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	runAttacks(t, []attack{
		{name: "copy absolute inPath", step: Copy{}, files: src, config: map[string]any{"inPath": "{OUT}/passwd", "outPath": "dst"}, refused: []string{"absolute"}},
		{name: "copy dot-dot inPath", step: Copy{}, files: src, config: map[string]any{"inPath": "src/../../outside/passwd", "outPath": "dst"}, refused: []string{"src/../../outside/passwd"}},
		{
			name: "copy symlink chain in input", step: Copy{}, files: src,
			links:   map[string]string{"src/l1": "l2", "src/l2": "{REL:src}/passwd"},
			config:  map[string]any{"inPath": "src/l1", "outPath": "dst/x"},
			refused: []string{"src/l1"},
		},
		{
			name: "copy symlinked directory mid-path", step: Copy{}, files: src,
			links:   map[string]string{"src/mid": "{REL:src}"},
			config:  map[string]any{"inPath": "src/mid/passwd", "outPath": "dst/x"},
			refused: []string{"src/mid/passwd"},
		},
		{
			// The committed output checkout holds dst/app -> outside.
			name: "copy tree into output with directory link", step: Copy{}, files: src,
			links:   map[string]string{"dst/app": "{REL:dst}/rendered"},
			config:  map[string]any{"inPath": "src", "outPath": "dst"},
			refused: []string{"dst/app"},
		},
		{
			name: "copy onto a dangling file link", step: Copy{}, files: src,
			links:   map[string]string{"dst/new.yaml": "{REL:dst}/created.yaml"},
			config:  map[string]any{"inPath": "src/a.yaml", "outPath": "dst/new.yaml"},
			refused: []string{"dst/new.yaml"},
		},
		{
			name: "copy tree onto a file link in output", step: Copy{}, files: with(map[string]string{"dst/keep": ""}),
			links:   map[string]string{"dst/a.yaml": "{REL:dst}/created.yaml"},
			config:  map[string]any{"inPath": "src", "outPath": "dst"},
			refused: []string{"dst/a.yaml"},
		},
		{
			name: "copy follows a link inside", step: Copy{}, files: with(map[string]string{"shared/inside.yaml": "INSIDE-OK\n"}),
			links:  map[string]string{"src/inside": "../shared/inside.yaml"},
			config: map[string]any{"inPath": "src/inside", "outPath": "dst/x.yaml"},
			wantIn: "INSIDE-OK",
		},
		{
			name: "delete through a link chain", step: Delete{}, files: src,
			links:   map[string]string{"src/l1": "l2", "src/l2": "{REL:src}"},
			config:  map[string]any{"path": "src/l1/passwd"},
			refused: []string{"src/l1"},
		},
		{
			name: "delete glob below a link", step: Delete{}, files: src,
			links:  map[string]string{"src/mid": "{REL:src}"},
			config: map[string]any{"paths": []any{"src/mid/*"}, "pathsAreGlobs": true},
		},
		{name: "delete absolute", step: Delete{}, files: src, config: map[string]any{"path": "{OUT}/passwd"}, refused: []string{"absolute"}},
		{
			name: "yaml-update through a symlinked directory", step: YAMLUpdate{}, files: src,
			links:   map[string]string{"env": "{REL:.}"},
			config:  map[string]any{"path": "env/values.yaml", "updates": []any{upd("image.tag", "v2")}},
			refused: []string{"env/values.yaml"},
		},
		{
			name: "yaml-update file is a link chain out", step: YAMLUpdate{}, files: src,
			links:   map[string]string{"values.yaml": "v2.yaml", "v2.yaml": "{REL:.}/values.yaml"},
			config:  map[string]any{"path": "values.yaml", "updates": []any{upd("image.tag", "v2")}},
			refused: []string{"values.yaml"},
		},
		{
			name: "helm-update-chart through a symlinked chart", step: HelmUpdateChart{}, files: src,
			links:   map[string]string{"chart": "{REL:.}/charts/demo"},
			config:  map[string]any{"path": "chart", "charts": []any{map[string]any{"repository": "r", "name": "n", "version": "1"}}},
			refused: []string{"chart"},
		},
		{
			name: "kustomize-set-image through a symlinked directory", step: KustomizeSetImage{}, files: src,
			links:   map[string]string{"app": "{REL:.}/charts/demo"},
			config:  map[string]any{"path": "app", "images": []any{map[string]any{"image": "x", "tag": "1"}}},
			refused: []string{"app"},
		},
	}, "")
}
