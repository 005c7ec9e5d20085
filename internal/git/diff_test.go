package git

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

var updateDiff = flag.Bool("update", false, "rewrite testdata/diff/*.golden")

func TestDiffCommits(t *testing.T) {
	s := gittest.NewServer(t)
	s.CreateRepo("app", map[string]string{
		"kustomization.yaml": "images:\n- name: app\n  newTag: v1\n",
		"old.txt":            "gone\n",
		"keep.txt":           "same\n",
	})
	tests := []struct {
		name      string
		edit      map[string]string // "" deletes the file
		limit     int
		wantFiles []FileStat
		truncated bool
	}{
		{
			name:      "image tag",
			edit:      map[string]string{"kustomization.yaml": "images:\n- name: app\n  newTag: v2\n"},
			wantFiles: []FileStat{{Path: "kustomization.yaml", Added: 1, Deleted: 1}},
		},
		{
			name: "add and delete",
			edit: map[string]string{"new/app.yaml": "a: 1\nb: 2\n", "old.txt": ""},
			wantFiles: []FileStat{
				{Path: "new/app.yaml", Added: 2},
				{Path: "old.txt", Deleted: 1},
			},
		},
		{
			name:      "truncated",
			edit:      map[string]string{"big.txt": strings.Repeat("line of text\n", 100)},
			limit:     200,
			wantFiles: []FileStat{{Path: "big.txt", Added: 100}},
			truncated: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Clone(context.Background(), s.RepoURL("app"), Credentials{}, CloneOptions{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			base, err := w.Head()
			if err != nil {
				t.Fatal(err)
			}
			for path, content := range tt.edit {
				if content == "" {
					if err := os.Remove(filepath.Join(w.Dir(), path)); err != nil {
						t.Fatal(err)
					}
					continue
				}
				writeFile(t, w, path, content)
			}
			id, err := w.CommitAll("change", bot)
			if err != nil {
				t.Fatal(err)
			}
			d, err := w.DiffCommits(context.Background(), base, id, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !equalStats(d.Files, tt.wantFiles) {
				t.Errorf("files = %+v, want %+v", d.Files, tt.wantFiles)
			}
			if d.Truncated != tt.truncated {
				t.Errorf("truncated = %v, want %v", d.Truncated, tt.truncated)
			}
			if tt.limit > 0 && len(d.Patch) > tt.limit+len(TruncatedMarker) {
				t.Errorf("patch is %d bytes, bound %d", len(d.Patch), tt.limit)
			}
			goldenDiff(t, strings.ReplaceAll(tt.name, " ", "-")+".golden", d.Patch)
		})
	}
}

func TestDiffCommitsFromEmptyTree(t *testing.T) {
	s := gittest.NewServer(t)
	s.CreateRepo("app", map[string]string{"a.txt": "one\ntwo\n"})
	w, err := Clone(context.Background(), s.RepoURL("app"), Credentials{}, CloneOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	head, _ := w.Head()
	d, err := w.DiffCommits(context.Background(), "", head, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Added() != 2 || d.Deleted() != 0 || !strings.Contains(d.Patch, "+two") {
		t.Errorf("diff from the empty tree = +%d -%d %q", d.Added(), d.Deleted(), d.Patch)
	}
}

func TestDiffCommitsUnknownCommit(t *testing.T) {
	s := gittest.NewServer(t)
	s.CreateRepo("app", map[string]string{"a.txt": "one\n"})
	w, err := Clone(context.Background(), s.RepoURL("app"), Credentials{}, CloneOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	head, _ := w.Head()
	if _, err := w.DiffCommits(context.Background(), strings.Repeat("ab", 20), head, 0); err == nil {
		t.Fatal("diff from a commit the repository lacks succeeded")
	}
}

func equalStats(a, b []FileStat) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func goldenDiff(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "diff", name)
	if *updateDiff {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("diff differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
