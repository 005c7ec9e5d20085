package prsteps

import (
	"context"
	"strings"
	"testing"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/forgetest"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// These tests run the steps against a real Gitea (internal/forgetest),
// through the Gitea provider, with a token credentials Secret as the
// manager would hand it over.

// fakeCreds serves fixed git credentials for every repository of a forge.
type fakeCreds struct {
	prefix string
	creds  promotion.Credentials
}

func (f fakeCreds) Get(_ context.Context, namespace, credType, repoURL string) (*promotion.Credentials, error) {
	if namespace != "demo" || credType != "git" || !strings.HasPrefix(repoURL, f.prefix) {
		return nil, nil
	}
	c := f.creds
	return &c, nil
}

// runner runs steps as the engine would, each time with fresh step values
// when restarted.
type runner struct {
	t     *testing.T
	opts  Options
	creds promotion.CredentialsProvider
	steps map[string]promotion.Step
	promo string
}

func newRunner(t *testing.T, opts Options, creds promotion.CredentialsProvider) *runner {
	r := &runner{t: t, opts: opts, creds: creds, promo: "promo-1"}
	r.restart()
	return r
}

// restart is a new manager process: new step values, nothing remembered.
func (r *runner) restart() {
	r.steps = map[string]promotion.Step{}
	for _, s := range Steps(r.opts) {
		r.steps[s.Name()] = s
	}
}

func (r *runner) run(name string, cfg map[string]any) (promotion.Result, error) {
	r.t.Helper()
	sc := &promotion.StepContext{
		WorkDir: r.t.TempDir(), Project: "demo", Stage: "prod", Promotion: r.promo, Alias: name,
		Config: cfg, Credentials: r.creds,
	}
	return r.steps[name].Run(context.Background(), sc)
}

func giteaRunner(t *testing.T, f *forgetest.Forge) *runner {
	return newRunner(t, Options{MinPollInterval: time.Second},
		fakeCreds{prefix: f.URL(), creds: promotion.Credentials{Username: f.Username(), Password: f.Token()}})
}

func prID(t *testing.T, res promotion.Result) int64 {
	t.Helper()
	pr, ok := res.Output["pr"].(map[string]any)
	if !ok {
		t.Fatalf("output has no pr: %v", res.Output)
	}
	id, ok := pr["id"].(int64)
	if !ok || id < 1 {
		t.Fatalf("pr.id = %#v", pr["id"])
	}
	return id
}

func mustStatus(t *testing.T, res promotion.Result, err error, want railyard.StepStatus) {
	t.Helper()
	if res.Status != want {
		t.Fatalf("status = %s (%s; err %v), want %s", res.Status, res.Message, err, want)
	}
	if want == railyard.StepStatusSucceeded || want == railyard.StepStatusRunning || want == railyard.StepStatusSkipped {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
	}
}

// TestPullRequestFlowOnGitea: push a branch, git-open-pr, run git-open-pr
// again after a "restart" (no second pull request), git-wait-for-pr is
// Running, the test merges through Gitea's API, git-wait-for-pr outputs the
// merge commit.
func TestPullRequestFlowOnGitea(t *testing.T) {
	f := forgetest.Start(t)
	repoURL := f.CreateRepo(t, "app", map[string]string{"values.yaml": "tag: v1\n"})
	head := f.PushBranch(t, "app", "kargo/app/prod-abc", "main", "Promote v2 to prod\n\nFreight abc", map[string]string{"values.yaml": "tag: v2\n"})
	r := giteaRunner(t, f)

	openCfg := map[string]any{
		"repoURL": repoURL, "provider": "gitea",
		"sourceBranch": "kargo/app/prod-abc", "targetBranch": "main",
	}
	res, err := r.run("git-open-pr", openCfg)
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	id := prID(t, res)
	url, _ := res.Output["pr"].(map[string]any)["url"].(string)
	if !strings.HasPrefix(url, f.URL()) || !strings.HasSuffix(url, "/pulls/1") {
		t.Fatalf("pr.url = %q", url)
	}
	pr := f.PullRequest(t, "app", id)
	if pr.Title != "Promote v2 to prod" || pr.Body != "Freight abc" || pr.Head.SHA != head {
		t.Fatalf("pull request = %+v; want the title and body from the head commit", pr)
	}

	// A manager killed after opening the pull request runs the step again.
	r.restart()
	res, err = r.run("git-open-pr", openCfg)
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	if again := prID(t, res); again != id {
		t.Fatalf("second run output pr.id %d, want the first pull request %d", again, id)
	}
	if prs := f.PullRequests(t, "app"); len(prs) != 1 {
		t.Fatalf("%d pull requests after running git-open-pr twice, want 1", len(prs))
	}

	waitCfg := map[string]any{"repoURL": repoURL, "provider": "gitea", "prNumber": id, "pollInterval": "1s"}
	res, err = r.run("git-wait-for-pr", waitCfg)
	mustStatus(t, res, err, railyard.StepStatusRunning)
	if res.RetryAfter != time.Second || !strings.Contains(res.Message, url) {
		t.Fatalf("first poll: RetryAfter %s, message %q", res.RetryAfter, res.Message)
	}
	res, _ = r.run("git-wait-for-pr", waitCfg)
	if res.RetryAfter <= time.Second {
		t.Fatalf("second poll RetryAfter = %s, want a backoff above 1s", res.RetryAfter)
	}

	merge := f.MergePR(t, "app", id)
	res, err = r.run("git-wait-for-pr", waitCfg)
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	if res.Output["commit"] != merge {
		t.Fatalf("commit = %v, want the merge commit %s", res.Output["commit"], merge)
	}
	out := res.Output["pr"].(map[string]any)
	if out["merged"] != true || out["open"] != false || out["id"] != id || out["url"] != url {
		t.Fatalf("pr output = %v", out)
	}
	if got := f.BranchHead(t, "app", "main"); got != merge {
		t.Fatalf("main = %s, want the merge commit %s", got, merge)
	}

	// Once merged, git-open-pr run again (a Promotion resumed from the
	// start) adopts the merged pull request rather than opening another.
	r.restart()
	res, err = r.run("git-open-pr", openCfg)
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	if prID(t, res) != id || len(f.PullRequests(t, "app")) != 1 {
		t.Fatalf("after the merge git-open-pr gave pr %d and the forge has %d pull requests", prID(t, res), len(f.PullRequests(t, "app")))
	}
}

// TestClosedWithoutMergeFails: a pull request closed without merging fails
// git-wait-for-pr with its URL in the message.
func TestClosedWithoutMergeFails(t *testing.T) {
	f := forgetest.Start(t)
	repoURL := f.CreateRepo(t, "app", map[string]string{"values.yaml": "tag: v1\n"})
	f.PushBranch(t, "app", "promote", "main", "Promote v2", map[string]string{"values.yaml": "tag: v2\n"})
	r := giteaRunner(t, f)
	res, err := r.run("git-open-pr", map[string]any{
		"repoURL": repoURL, "provider": "gitea", "sourceBranch": "promote", "targetBranch": "main",
		"title": "Deploy to prod", "description": "by Railyard",
	})
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	id := prID(t, res)
	if pr := f.PullRequest(t, "app", id); pr.Title != "Deploy to prod" || pr.Body != "by Railyard" {
		t.Fatalf("pull request = %+v", pr)
	}
	f.ClosePR(t, "app", id)
	res, err = r.run("git-wait-for-pr", map[string]any{"repoURL": repoURL, "provider": "gitea", "prNumber": id})
	mustStatus(t, res, err, railyard.StepStatusFailed)
	url := f.PullRequest(t, "app", id).HTMLURL
	if !promotion.IsTerminal(err) || !strings.Contains(res.Message, url) || !strings.Contains(res.Message, "closed without being merged") {
		t.Fatalf("message %q (terminal %t), want the PR URL %s and 'closed without being merged'", res.Message, promotion.IsTerminal(err), url)
	}
	if res.Output["pr"].(map[string]any)["merged"] != false {
		t.Fatalf("output = %v", res.Output)
	}

	// A closed, unmerged pull request is not adopted: a new one is opened.
	res, err = r.run("git-open-pr", map[string]any{
		"repoURL": repoURL, "provider": "gitea", "sourceBranch": "promote", "targetBranch": "main",
	})
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	if prID(t, res) == id {
		t.Fatalf("git-open-pr adopted the closed pull request %d", id)
	}
}

// TestMergeOnGitea: git-merge-pr merges, and merging again (a retried
// step) succeeds with the same merge commit. Branches with the same files
// skip git-open-pr; a missing target branch fails it.
func TestMergeOnGitea(t *testing.T) {
	f := forgetest.Start(t)
	repoURL := f.CreateRepo(t, "app", map[string]string{"values.yaml": "tag: v1\n"})
	f.PushBranch(t, "app", "promote", "main", "Promote v2", map[string]string{"values.yaml": "tag: v2\n"})
	r := giteaRunner(t, f)
	res, err := r.run("git-open-pr", map[string]any{
		"repoURL": repoURL, "provider": "gitea", "sourceBranch": "promote", "targetBranch": "main",
	})
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	id := prID(t, res)

	mergeCfg := map[string]any{"repoURL": repoURL, "provider": "gitea", "prNumber": id, "wait": true, "pollInterval": "1s"}
	var commit string
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Gitea computes mergeability in the background after a push.
		res, err = r.run("git-merge-pr", mergeCfg)
		if res.Status != railyard.StepStatusRunning || time.Now().After(deadline) {
			break
		}
		if res.RetryAfter != time.Second {
			t.Fatalf("Running with RetryAfter %s, want the pollInterval 1s", res.RetryAfter)
		}
		time.Sleep(200 * time.Millisecond)
	}
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	commit, _ = res.Output["commit"].(string)
	pr := f.PullRequest(t, "app", id)
	if !pr.Merged || commit == "" || commit != pr.MergeCommit || f.BranchHead(t, "app", "main") != commit {
		t.Fatalf("merge output %q; pull request %+v", commit, pr)
	}

	r.restart()
	res, err = r.run("git-merge-pr", map[string]any{"repoURL": repoURL, "provider": "gitea", "prNumber": id})
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	if res.Output["commit"] != commit {
		t.Fatalf("re-merge commit = %v, want %s", res.Output["commit"], commit)
	}

	// main now holds promote's files: nothing to open.
	res, err = r.run("git-open-pr", map[string]any{
		"repoURL": repoURL, "provider": "gitea", "sourceBranch": "main", "targetBranch": "promote",
	})
	if res.Status != railyard.StepStatusSkipped || err != nil {
		// main has the merge commit on top of promote's files: same tree.
		t.Fatalf("open with identical trees: %s %q %v, want Skipped", res.Status, res.Message, err)
	}

	res, err = r.run("git-open-pr", map[string]any{
		"repoURL": repoURL, "provider": "gitea", "sourceBranch": "promote", "targetBranch": "stage/none",
	})
	mustStatus(t, res, err, railyard.StepStatusFailed)
	if !strings.Contains(res.Message, `target branch "stage/none" does not exist`) {
		t.Fatalf("message = %q", res.Message)
	}

	// A pull request number that does not exist.
	res, err = r.run("git-wait-for-pr", map[string]any{"repoURL": repoURL, "provider": "gitea", "prNumber": 999})
	mustStatus(t, res, err, railyard.StepStatusFailed)
	if !promotion.IsTerminal(err) || !strings.Contains(res.Message, "#999") || !strings.Contains(res.Message, "not found") {
		t.Fatalf("message = %q", res.Message)
	}

	// Not ready and no wait: a closed pull request cannot be merged.
	f.PushBranch(t, "app", "other", "main", "Other", map[string]string{"values.yaml": "tag: v3\n"})
	other := f.OpenPR(t, "app", "other", "main", "other")
	f.ClosePR(t, "app", other.Number)
	res, err = r.run("git-merge-pr", map[string]any{"repoURL": repoURL, "provider": "gitea", "prNumber": other.Number, "wait": true})
	mustStatus(t, res, err, railyard.StepStatusFailed)
	if !strings.Contains(res.Message, "closed") {
		t.Fatalf("message = %q", res.Message)
	}
}

// A self-hosted forge on a host that names no provider: without provider
// in the step, the credentials Secret's provider key tells; with neither,
// the step says how to fix it.
func TestProviderFromCredentialsSecret(t *testing.T) {
	f := forgetest.Start(t)
	repoURL := f.CreateRepo(t, "app", map[string]string{"values.yaml": "tag: v1\n"})
	f.PushBranch(t, "app", "promote", "main", "Promote v2", map[string]string{"values.yaml": "tag: v2\n"})
	cfg := map[string]any{"repoURL": repoURL, "sourceBranch": "promote", "targetBranch": "main"}

	anonymous := newRunner(t, Options{MinPollInterval: time.Second},
		fakeCreds{prefix: f.URL(), creds: promotion.Credentials{Username: f.Username(), Password: f.Token()}})
	res, err := anonymous.run("git-open-pr", cfg)
	mustStatus(t, res, err, railyard.StepStatusFailed)
	if !strings.Contains(res.Message, "provider") {
		t.Fatalf("without any provider: %q, want it to ask for one", res.Message)
	}

	named := newRunner(t, Options{MinPollInterval: time.Second},
		fakeCreds{prefix: f.URL(), creds: promotion.Credentials{Username: f.Username(), Password: f.Token(), Provider: "gitea"}})
	res, err = named.run("git-open-pr", cfg)
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	if prID(t, res) < 1 || len(f.PullRequests(t, "app")) != 1 {
		t.Fatalf("no pull request opened: %v", res.Output)
	}
}

// TestLabelsOnGitea: labels the repository defines are added to the pull
// request; a label it does not define fails git-open-pr at once, naming it,
// and opens nothing.
func TestLabelsOnGitea(t *testing.T) {
	f := forgetest.Start(t)
	repoURL := f.CreateRepo(t, "app", map[string]string{"values.yaml": "tag: v1\n"})
	f.CreateLabel(t, "app", "needs-review")
	f.CreateLabel(t, "app", "infra")
	f.PushBranch(t, "app", "promote", "main", "Promote v2", map[string]string{"values.yaml": "tag: v2\n"})
	r := giteaRunner(t, f)
	cfg := map[string]any{"repoURL": repoURL, "provider": "gitea", "sourceBranch": "promote", "targetBranch": "main",
		"labels": []any{"infra", "no-such-label"}}
	res, err := r.run("git-open-pr", cfg)
	mustStatus(t, res, err, railyard.StepStatusFailed)
	if !promotion.IsTerminal(err) || !strings.Contains(res.Message, "no-such-label") {
		t.Fatalf("unknown label: %q (terminal %t), want it named and no retry", res.Message, promotion.IsTerminal(err))
	}
	if prs := f.PullRequests(t, "app"); len(prs) != 0 {
		t.Fatalf("%d pull requests opened with an unknown label", len(prs))
	}

	cfg["labels"] = []any{"infra", "needs-review"}
	res, err = r.run("git-open-pr", cfg)
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	var got []string
	for _, l := range f.PullRequest(t, "app", prID(t, res)).Labels {
		got = append(got, l.Name)
	}
	if strings.Join(got, ",") != "infra,needs-review" && strings.Join(got, ",") != "needs-review,infra" {
		t.Fatalf("labels = %v, want infra and needs-review", got)
	}
}
