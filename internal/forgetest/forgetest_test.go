package forgetest

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPullRequestLifecycle proves the harness end to end: a repository with
// files on main, a branch pushed with the git binary over HTTP with basic
// auth, a pull request opened and merged through the REST API, and the merge
// commit on main as a clone sees it; a second pull request is closed unmerged.
func TestPullRequestLifecycle(t *testing.T) {
	began := time.Now()
	f := Start(t)
	t.Logf("gitea %s started in %s at %s", f.Version(), time.Since(began).Round(time.Millisecond), f.URL())

	var version struct {
		Version string `json:"version"`
	}
	f.MustDo(t, http.MethodGet, "/version", nil, &version)
	if version.Version != f.Version() {
		t.Fatalf("server reports version %q, want %q", version.Version, f.Version())
	}

	cloneURL := f.CreateRepo(t, "app", map[string]string{"README.md": "app\n", "env/test/values.yaml": "tag: v1\n"})
	if want := f.URL() + "/" + f.Username() + "/app.git"; cloneURL != want {
		t.Fatalf("clone URL = %s, want %s", cloneURL, want)
	}
	base := f.BranchHead(t, "app", "main")
	if base == "" {
		t.Fatal("main does not exist after CreateRepo")
	}

	// Anonymous clone of the public repository works; pushing needs the token.
	dir := filepath.Join(t.TempDir(), "anon")
	f.Git(t, "", "clone", "--quiet", cloneURL, dir)
	if got := f.Git(t, dir, "rev-parse", "HEAD"); got != base {
		t.Fatalf("anonymous clone HEAD = %s, want %s", got, base)
	}
	if out, err := Git(t, dir, "push", "origin", "HEAD:refs/heads/anon"); err == nil {
		t.Fatalf("anonymous push succeeded: %s", out)
	}

	head := f.PushBranch(t, "app", "promote/test", "main", "promote v2 to test", map[string]string{"env/test/values.yaml": "tag: v2\n"})
	if got := f.BranchHead(t, "app", "promote/test"); got != head {
		t.Fatalf("pushed branch head = %s, want %s", got, head)
	}

	pr := f.OpenPR(t, "app", "promote/test", "main", "Promote v2 to test")
	if pr.Number == 0 || pr.State != "open" || pr.Head.Branch != "promote/test" || pr.Base.Branch != "main" {
		t.Fatalf("opened pull request = %+v", pr)
	}
	merge := f.MergePR(t, "app", pr.Number)
	if merge == head {
		t.Fatalf("merge commit %s is the branch head: not a merge commit", merge)
	}
	if got := f.BranchHead(t, "app", "main"); got != merge {
		t.Fatalf("main = %s after merge, want merge commit %s", got, merge)
	}

	// The merge commit has the old main and the branch as parents and carries
	// the change.
	f.Git(t, dir, "fetch", "--quiet", "origin")
	if got := f.Git(t, dir, "rev-parse", "origin/main"); got != merge {
		t.Fatalf("fetched main = %s, want %s", got, merge)
	}
	if got := strings.Fields(f.Git(t, dir, "rev-list", "--parents", "-n1", merge)); len(got) != 3 || got[1] != base || got[2] != head {
		t.Fatalf("merge commit parents = %v, want [%s %s %s]", got, merge, base, head)
	}
	if got := f.Git(t, dir, "show", merge+":env/test/values.yaml"); got != "tag: v2" {
		t.Fatalf("values.yaml on main = %q", got)
	}

	// A second pull request, closed without merging.
	f.CommitFiles(t, "app", "promote/stage", "main", "promote v2 to stage", map[string]string{"env/stage/values.yaml": "tag: v2\n"})
	second := f.OpenPR(t, "app", "promote/stage", "main", "Promote v2 to stage")
	f.ClosePR(t, "app", second.Number)

	prs := f.PullRequests(t, "app")
	if len(prs) != 2 {
		t.Fatalf("PullRequests = %+v, want 2", prs)
	}
	byNumber := map[int64]PullRequest{}
	for _, p := range prs {
		byNumber[p.Number] = p
	}
	if p := byNumber[pr.Number]; p.State != "closed" || !p.Merged || p.MergeCommit != merge {
		t.Fatalf("merged pull request = %+v", p)
	}
	if p := byNumber[second.Number]; p.State != "closed" || p.Merged {
		t.Fatalf("closed pull request = %+v", p)
	}
	if got := f.BranchHead(t, "app", "main"); got != merge {
		t.Fatalf("closing a pull request moved main to %s", got)
	}
}

func TestMissingBinaryNamesMakeTarget(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, filepath.Dir(versionFile)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, versionFile), []byte("0.0.0-missing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := findBinary(root)
	if err == nil || !strings.Contains(err.Error(), "make gitea") || !strings.Contains(err.Error(), "0.0.0-missing") {
		t.Fatalf("findBinary without a build = %v, want an error naming 'make gitea' and the version", err)
	}
}

// Without the static-root file the build writes (or with a stale one), the
// module directory comes from the go command.
func TestStaticRootFallsBackToGoModDownload(t *testing.T) {
	bin, err := FindBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "static-root"), []byte("/nonexistent\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := staticRoot(dir, bin.Version)
	if err != nil {
		t.Fatal(err)
	}
	if got != bin.StaticRoot {
		t.Fatalf("static root from go mod download = %s, want %s", got, bin.StaticRoot)
	}
}
