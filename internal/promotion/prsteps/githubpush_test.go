package prsteps

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/forgetest"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/promotion/gitsteps"
)

// gitData is the stand-in's part of GitHub's Git Data API (refs and
// commits), backed by a bare git repository that mirrors the Gitea
// repository behind the stand-in: commits are created there with `git
// commit-tree` from trees the step uploaded, and refs are moved by pushing
// to Gitea, which refuses a non-fast-forward as GitHub does. A commit
// created without author is attributed to the App and recorded as
// verified, as GitHub would sign it.
type gitData struct {
	t        *testing.T
	dir      string
	mu       sync.Mutex
	verified map[string]bool
	commits  int
	// forbid answers commit creation with GitHub's 403 for a token
	// without contents: write.
	forbid bool
}

func newGitData(t *testing.T, f *forgetest.Forge) *gitData {
	g := &gitData{t: t, dir: filepath.Join(t.TempDir(), "mirror.git"), verified: map[string]bool{}}
	if _, err := g.git(nil, "init", "--quiet", "--bare", g.dir); err != nil {
		t.Fatal(err)
	}
	if _, err := g.git(nil, "-C", g.dir, "remote", "add", "gitea", f.AuthCloneURL("app")); err != nil {
		t.Fatal(err)
	}
	return g
}

func (g *gitData) git(env []string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=x", "GIT_AUTHOR_EMAIL=x@example.com", "GIT_COMMITTER_NAME=x", "GIT_COMMITTER_EMAIL=x@example.com")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (g *gitData) fetch() {
	if out, err := g.git(nil, "-C", g.dir, "fetch", "--quiet", "--prune", "gitea",
		"+refs/heads/*:refs/heads/*", "+refs/railyard/*:refs/railyard/*"); err != nil {
		g.t.Errorf("stand-in fetch: %v: %s", err, out)
	}
}

type identity struct{ Name, Email, Date string }

// serve handles /git/... below the repository's API path.
func (g *gitData) serve(w http.ResponseWriter, r *http.Request, rest string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fetch()
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(rest, "/git/ref/heads/"):
		branch := strings.TrimPrefix(rest, "/git/ref/heads/")
		sha, err := g.git(nil, "-C", g.dir, "rev-parse", "--verify", "--quiet", "refs/heads/"+branch)
		if err != nil {
			writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ref": "refs/heads/" + branch, "object": map[string]any{"sha": sha, "type": "commit"}})
	case r.Method == http.MethodPost && rest == "/git/commits" && g.forbid:
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "Resource not accessible by integration"})
	case r.Method == http.MethodPost && rest == "/git/commits":
		var in struct {
			Message   string
			Tree      string
			Parents   []string
			Author    *identity
			Committer *identity
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		args := []string{"-C", g.dir, "commit-tree", in.Tree, "-m", in.Message}
		for _, p := range in.Parents {
			args = append(args, "-p", p)
		}
		var env []string
		if in.Author == nil {
			env = []string{"GIT_AUTHOR_NAME=railyard-app[bot]", "GIT_AUTHOR_EMAIL=app@users.noreply.github.com",
				"GIT_COMMITTER_NAME=GitHub", "GIT_COMMITTER_EMAIL=noreply@github.com"}
		} else {
			env = []string{"GIT_AUTHOR_NAME=" + in.Author.Name, "GIT_AUTHOR_EMAIL=" + in.Author.Email, "GIT_AUTHOR_DATE=" + in.Author.Date}
			if in.Committer != nil {
				env = append(env, "GIT_COMMITTER_NAME="+in.Committer.Name, "GIT_COMMITTER_EMAIL="+in.Committer.Email,
					"GIT_COMMITTER_DATE="+in.Committer.Date)
			}
		}
		sha, err := g.git(env, args...)
		if err != nil {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Tree SHA does not exist: " + sha})
			return
		}
		g.commits++
		g.verified[sha] = in.Author == nil
		writeJSON(w, http.StatusCreated, map[string]any{"sha": sha, "verification": map[string]any{"verified": in.Author == nil}})
	case r.Method == http.MethodPost && rest == "/git/refs":
		var in struct{ Ref, SHA string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		if out, err := g.git(nil, "-C", g.dir, "push", "--quiet", "gitea", in.SHA+":"+in.Ref); err != nil {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Reference update failed: " + out})
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"ref": in.Ref, "object": map[string]any{"sha": in.SHA}})
	case r.Method == http.MethodPatch && strings.HasPrefix(rest, "/git/refs/"):
		var in struct {
			SHA   string
			Force bool
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		spec := in.SHA + ":refs/" + strings.TrimPrefix(rest, "/git/refs/")
		if in.Force {
			spec = "+" + spec
		}
		if _, err := g.git(nil, "-C", g.dir, "push", "--quiet", "gitea", spec); err != nil {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Update is not a fast forward"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"object": map[string]any{"sha": in.SHA}})
	case r.Method == http.MethodDelete && strings.HasPrefix(rest, "/git/refs/"):
		if _, err := g.git(nil, "-C", g.dir, "push", "--quiet", "gitea", ":refs/"+strings.TrimPrefix(rest, "/git/refs/")); err != nil {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Reference does not exist"})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
	}
}

// TestGitHubPush runs github-push against the stand-in GitHub (REST API
// stand-in; git traffic and the resulting branch on a real Gitea): a
// commit signed by the checkout's key is created through the API without
// author (GitHub would sign it), an unsigned one keeps its author; someone
// else's push meanwhile is integrated; running it again changes nothing;
// the checkout follows the replayed commit.
func TestGitHubPush(t *testing.T) {
	f := forgetest.Start(t)
	f.CreateRepo(t, "app", map[string]string{"values.yaml": "tag: v1\n", "other.txt": "a\n"})
	gh := newAppStandIn(t, f)
	gd := newGitData(t, f)
	gh.gitData = gd.serve
	repoURL := gh.url + "/" + f.Username() + "/app.git"
	creds := fakeCreds{prefix: gh.url, creds: promotion.Credentials{
		GitHubAppClientID: "Iv1.railyard", GitHubAppInstallationID: "42", GitHubAppPrivateKey: gh.privateKeyPEM(),
	}}
	steps := map[string]promotion.Step{}
	for _, s := range gitsteps.Steps(gitsteps.Options{}) {
		steps[s.Name()] = s
	}
	work := t.TempDir()
	run := func(name string, cfg map[string]any) promotion.Result {
		t.Helper()
		res, err := steps[name].Run(t.Context(), &promotion.StepContext{WorkDir: work, Project: "demo", Promotion: "promo-1",
			Alias: name, Credentials: creds, Config: cfg})
		if err != nil || (res.Status != railyard.StepStatusSucceeded && res.Status != railyard.StepStatusSkipped) {
			t.Fatalf("%s: %s %q %v", name, res.Status, res.Message, err)
		}
		return res
	}
	key := gittest.NewSigningKey(t, "Railyard", "railyard@example.com", "")

	// Signed (trusted): created without author, verified.
	run("git-clone", map[string]any{"repoURL": repoURL, "checkout": []any{map[string]any{"branch": "main", "path": "out"}},
		"author": map[string]any{"name": "Railyard", "email": "railyard@example.com", "signingKey": key.Private}})
	write(t, filepath.Join(work, "out", "values.yaml"), "tag: v2\n")
	local := run("git-commit", map[string]any{"path": "out", "message": "Promote v2"}).Output["commit"]
	res := run("github-push", map[string]any{"path": "out"})
	commit, _ := res.Output["commit"].(string)
	if commit == "" || commit == local || f.BranchHead(t, "app", "main") != commit || !gd.verified[commit] {
		t.Fatalf("github-push output %v; local %v; main %s; verified %t", res.Output, local, f.BranchHead(t, "app", "main"), gd.verified[commit])
	}
	if res.Output["branch"] != "main" || !strings.HasSuffix(res.Output["commitURL"].(string), "/commit/"+commit) {
		t.Fatalf("outputs = %v", res.Output)
	}
	if msg := f.Git(t, filepath.Join(work, "out"), "log", "-1", "--format=%B"); msg != "Promote v2" {
		t.Fatalf("message of a commit its signer wrote = %q, want it unchanged", msg)
	}
	if head := f.Git(t, filepath.Join(work, "out"), "rev-parse", "HEAD"); head != commit {
		t.Fatalf("checkout HEAD %s, want the replayed commit %s", head, commit)
	}
	if refs := f.Git(t, filepath.Join(work, "out"), "ls-remote", f.AuthCloneURL("app"), "refs/railyard/*"); refs != "" {
		t.Fatalf("staging ref left behind: %s", refs)
	}

	// Again: nothing new.
	before := gd.commits
	res = run("github-push", map[string]any{"path": "out"})
	if res.Output["commit"] != commit || gd.commits != before {
		t.Fatalf("second run: %v, %d commits created", res.Output, gd.commits-before)
	}

	// Unsigned (untrusted), with someone else's push in between: replayed
	// onto their head, author kept, not verified.
	work2 := filepath.Join(work, "second")
	_ = os.MkdirAll(work2, 0o755)
	work = work2
	run("git-clone", map[string]any{"repoURL": repoURL, "checkout": []any{map[string]any{"branch": "main", "path": "out"}},
		"author": map[string]any{"name": "Dev", "email": "dev@example.com"}})
	write(t, filepath.Join(work, "out", "values.yaml"), "tag: v3\n")
	run("git-commit", map[string]any{"path": "out", "message": "Promote v3"})
	theirs := f.PushBranch(t, "app", "main", "", "Someone else", map[string]string{"other.txt": "b\n"})
	res = run("github-push", map[string]any{"path": "out"})
	commit, _ = res.Output["commit"].(string)
	if f.BranchHead(t, "app", "main") != commit || gd.verified[commit] {
		t.Fatalf("untrusted push: output %v, main %s, verified %t", res.Output, f.BranchHead(t, "app", "main"), gd.verified[commit])
	}
	out := filepath.Join(work, "out")
	if parent := f.Git(t, out, "rev-parse", "HEAD^"); parent != theirs {
		t.Fatalf("replayed commit's parent %s, want their head %s", parent, theirs)
	}
	if author := f.Git(t, out, "log", "-1", "--format=%an <%ae>"); author != "Dev <dev@example.com>" {
		t.Fatalf("author = %q", author)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "other.txt")); string(b) != "b\n" {
		t.Fatalf("their change lost: other.txt = %q", b)
	}

	// An App without the right to write contents: Failed at once, saying so.
	write(t, filepath.Join(out, "values.yaml"), "tag: v4\n")
	run("git-commit", map[string]any{"path": "out", "message": "Promote v4"})
	gd.mu.Lock()
	gd.forbid = true
	gd.mu.Unlock()
	res, err := steps["github-push"].Run(t.Context(), &promotion.StepContext{WorkDir: work, Project: "demo", Promotion: "promo-1",
		Alias: "github-push", Credentials: creds, Config: map[string]any{"path": "out"}})
	if res.Status != railyard.StepStatusFailed || !promotion.IsTerminal(err) ||
		!strings.Contains(res.Message, "HTTP 403") || !strings.Contains(res.Message, "Resource not accessible by integration") {
		t.Fatalf("403: %s %q %v", res.Status, res.Message, err)
	}
	if f.BranchHead(t, "app", "main") != commit {
		t.Fatal("main moved although commit creation was refused")
	}
	gd.mu.Lock()
	gd.forbid = false
	gd.mu.Unlock()

	// Signed with the checkout's key but written by someone else: trusted
	// (verified), and a Co-authored-by trailer credits the author. Signed
	// with another key: untrusted, provenance kept, no trailer.
	for _, tc := range []struct {
		name       string
		commitKey  string // git-commit's author.signingKey; "" uses git-clone's
		wantTrust  bool
		wantAuthor string // author of the replayed commit
	}{
		{"trusted key, other author", "", true, "railyard-app[bot] <app@users.noreply.github.com>"},
		{"signed by an untrusted key", gittest.NewSigningKey(t, "Mallory", "mallory@example.com", "").Private, false, "Dev <dev@example.com>"},
	} {
		{ // run fails the outer test: no subtest
			work = filepath.Join(t.TempDir(), strings.ReplaceAll(tc.name, " ", "-"))
			_ = os.MkdirAll(work, 0o755)
			run("git-clone", map[string]any{"repoURL": repoURL, "checkout": []any{map[string]any{"branch": "main", "path": "out"}},
				"author": map[string]any{"name": "Dev", "email": "dev@example.com", "signingKey": key.Private}})
			write(t, filepath.Join(work, "out", "values.yaml"), "tag: "+tc.name+"\n")
			commitCfg := map[string]any{"path": "out", "message": "Promote " + tc.name}
			if tc.commitKey != "" {
				commitCfg["author"] = map[string]any{"name": "Dev", "email": "dev@example.com", "signingKey": tc.commitKey}
			}
			run("git-commit", commitCfg)
			res := run("github-push", map[string]any{"path": "out"})
			commit, _ := res.Output["commit"].(string)
			out := filepath.Join(work, "out")
			if f.BranchHead(t, "app", "main") != commit || gd.verified[commit] != tc.wantTrust {
				t.Fatalf("%s: output %v, main %s, verified %t, want %t", tc.name, res.Output, f.BranchHead(t, "app", "main"), gd.verified[commit], tc.wantTrust)
			}
			if author := f.Git(t, out, "log", "-1", "--format=%an <%ae>"); author != tc.wantAuthor {
				t.Errorf("%s: author = %q, want %q", tc.name, author, tc.wantAuthor)
			}
			msg := f.Git(t, out, "log", "-1", "--format=%B")
			if has := strings.Contains(msg, "Co-authored-by: Dev <dev@example.com>"); has != tc.wantTrust {
				t.Errorf("%s: message %q: Co-authored-by trailer %t, want %t", tc.name, msg, has, tc.wantTrust)
			}
			if !strings.HasPrefix(msg, "Promote "+tc.name) {
				t.Errorf("%s: message %q lost the original", tc.name, msg)
			}
		}
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
