package forgetest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// URL is the server base without a trailing slash, e.g. http://127.0.0.1:PORT.
func (f *Forge) URL() string { return f.url }

// APIURL is the REST API v1 base, URL()+"/api/v1".
func (f *Forge) APIURL() string { return f.url + "/api/v1" }

// Token is an access token of the administrator with every scope. Send it as
// "Authorization: token <Token>" to the API, or as the basic-auth password
// (with Username) to git over HTTP.
func (f *Forge) Token() string { return f.token }

// Username is the administrator, who owns the repositories CreateRepo makes.
func (f *Forge) Username() string { return f.username }

// Password is the administrator's password (Token works wherever it does).
func (f *Forge) Password() string { return f.password }

// Version is the Gitea version the server runs.
func (f *Forge) Version() string { return f.version }

// Dir is the server's work directory (config app.ini, data, repositories,
// gitea.log).
func (f *Forge) Dir() string { return f.dir }

// fullName turns "app" into "<admin>/app" and keeps "owner/app".
func (f *Forge) fullName(repo string) string {
	repo = strings.TrimSuffix(repo, ".git")
	if strings.Contains(repo, "/") {
		return repo
	}
	return f.username + "/" + repo
}

// CloneURL is the HTTP clone URL of repo, without credentials.
func (f *Forge) CloneURL(repo string) string { return f.url + "/" + f.fullName(repo) + ".git" }

// AuthCloneURL is CloneURL with the administrator and token as basic-auth
// user information, for the git binary.
func (f *Forge) AuthCloneURL(repo string) string {
	u, _ := url.Parse(f.CloneURL(repo))
	u.User = url.UserPassword(f.username, f.token)
	return u.String()
}

// APIError is a non-2xx answer of the REST API.
type APIError struct {
	Method, Path string
	StatusCode   int
	Body         string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("gitea %s %s: %d %s", e.Method, e.Path, e.StatusCode, strings.TrimSpace(e.Body))
}

// Do calls the REST API as the administrator: path is relative to
// /api/v1 (e.g. "/repos/railyard/app/pulls"), in is sent as JSON when not
// nil, and a 2xx answer is decoded into out when not nil. Other answers are
// returned as *APIError.
func (f *Forge) Do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.APIURL()+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "token "+f.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return fmt.Errorf("gitea %s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("gitea %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return &APIError{Method: method, Path: path, StatusCode: resp.StatusCode, Body: string(raw)}
	}
	if out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("gitea %s %s: decoding %q: %w", method, path, raw, err)
		}
	}
	return nil
}

// MustDo is Do failing the test on error.
func (f *Forge) MustDo(t testing.TB, method, path string, in, out any) {
	t.Helper()
	if err := f.Do(method, path, in, out); err != nil {
		t.Fatal(err)
	}
}

// CreateRepo creates a public repository owned by the administrator whose
// main branch holds one commit with files (a README when files is empty), and
// returns its HTTP clone URL.
func (f *Forge) CreateRepo(t testing.TB, name string, files map[string]string) string {
	t.Helper()
	f.MustDo(t, http.MethodPost, "/user/repos", map[string]any{
		"name":           name,
		"default_branch": "main",
		"private":        false,
	}, nil)
	if len(files) == 0 {
		files = map[string]string{"README.md": "# " + name + "\n"}
	}
	f.CommitFiles(t, name, "main", "", "initial commit", files)
	return f.CloneURL(name)
}

// CommitFiles commits files (path -> content) to branch through the contents
// API and returns the commit id. With from set, branch is created from the
// branch from; otherwise branch must exist (or the repository be empty).
// Existing files are updated, new ones created.
func (f *Forge) CommitFiles(t testing.TB, repo, branch, from, message string, files map[string]string) string {
	t.Helper()
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	existing := func(p string) string {
		ref := branch
		if from != "" {
			ref = from
		}
		var c struct {
			SHA string `json:"sha"`
		}
		if err := f.Do(http.MethodGet, "/repos/"+f.fullName(repo)+"/contents/"+escapePath(p)+"?ref="+url.QueryEscape(ref), nil, &c); err != nil {
			return ""
		}
		return c.SHA
	}
	ops := make([]map[string]any, 0, len(paths))
	for _, p := range paths {
		op := map[string]any{
			"operation": "create",
			"path":      p,
			"content":   base64.StdEncoding.EncodeToString([]byte(files[p])),
		}
		if sha := existing(p); sha != "" {
			op["operation"], op["sha"] = "update", sha
		}
		ops = append(ops, op)
	}
	in := map[string]any{"message": message, "files": ops}
	if from != "" {
		in["branch"], in["new_branch"] = from, branch
	} else {
		in["branch"] = branch
	}
	var out struct {
		Commit struct {
			SHA string `json:"sha"`
		} `json:"commit"`
	}
	f.MustDo(t, http.MethodPost, "/repos/"+f.fullName(repo)+"/contents", in, &out)
	if out.Commit.SHA == "" {
		t.Fatalf("forgetest: committing to %s@%s returned no commit", repo, branch)
	}
	return out.Commit.SHA
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// BranchHead returns the commit id branch points at, or "" when it does not
// exist.
func (f *Forge) BranchHead(t testing.TB, repo, branch string) string {
	t.Helper()
	var out struct {
		Commit struct {
			ID string `json:"id"`
		} `json:"commit"`
	}
	err := f.Do(http.MethodGet, "/repos/"+f.fullName(repo)+"/branches/"+escapePath(branch), nil, &out)
	if e := (*APIError)(nil); errors.As(err, &e) && e.StatusCode == http.StatusNotFound {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.Commit.ID
}

// PullRequest is the part of Gitea's pull request tests look at.
type PullRequest struct {
	Number  int64  `json:"number"`
	Title   string `json:"title"`
	Body    string `json:"body"`
	State   string `json:"state"` // "open" or "closed"
	HTMLURL string `json:"html_url"`
	// Merged is true once merged; MergeCommit is then the commit on Base.
	Merged      bool   `json:"merged"`
	MergeCommit string `json:"merge_commit_sha"`
	Mergeable   bool   `json:"mergeable"`
	Head        Ref    `json:"head"`
	Base        Ref    `json:"base"`
	Labels      []struct {
		Name string `json:"name"`
	} `json:"labels"`
}

// CreateLabel defines a label in repo.
func (f *Forge) CreateLabel(t testing.TB, repo, name string) {
	t.Helper()
	f.MustDo(t, http.MethodPost, "/repos/"+f.fullName(repo)+"/labels", map[string]any{"name": name, "color": "#00aabb"}, nil)
}

// Ref is one side of a pull request.
type Ref struct {
	Branch string `json:"ref"`
	SHA    string `json:"sha"`
}

// OpenPR opens a pull request from head into base and returns it.
func (f *Forge) OpenPR(t testing.TB, repo, head, base, title string) PullRequest {
	t.Helper()
	var pr PullRequest
	f.MustDo(t, http.MethodPost, "/repos/"+f.fullName(repo)+"/pulls", map[string]any{
		"head": head, "base": base, "title": title,
	}, &pr)
	return pr
}

// PullRequest returns pull request number of repo.
func (f *Forge) PullRequest(t testing.TB, repo string, number int64) PullRequest {
	t.Helper()
	var pr PullRequest
	f.MustDo(t, http.MethodGet, fmt.Sprintf("/repos/%s/pulls/%d", f.fullName(repo), number), nil, &pr)
	return pr
}

// PullRequests returns every pull request of repo, open and closed, newest
// first.
func (f *Forge) PullRequests(t testing.TB, repo string) []PullRequest {
	t.Helper()
	var all []PullRequest
	for page := 1; ; page++ {
		var prs []PullRequest
		f.MustDo(t, http.MethodGet, fmt.Sprintf("/repos/%s/pulls?state=all&sort=newest&limit=50&page=%d", f.fullName(repo), page), nil, &prs)
		all = append(all, prs...)
		if len(prs) < 50 {
			return all
		}
	}
}

// MergePR merges pull request number with a merge commit, as a reviewer
// pressing the button would, and returns the merge commit. Gitea checks
// mergeability in the background after a push, so a merge it refuses as
// "try again later" is retried for a while.
func (f *Forge) MergePR(t testing.TB, repo string, number int64) string {
	t.Helper()
	path := fmt.Sprintf("/repos/%s/pulls/%d/merge", f.fullName(repo), number)
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f.Do(http.MethodPost, path, map[string]any{"Do": "merge"}, nil)
		if err == nil {
			break
		}
		var e *APIError
		retry := errors.As(err, &e) && (e.StatusCode == http.StatusMethodNotAllowed || e.StatusCode == http.StatusConflict) &&
			strings.Contains(strings.ToLower(e.Body), "try again")
		if !retry || time.Now().After(deadline) {
			t.Fatalf("forgetest: merging pull request %d of %s: %v", number, repo, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	pr := f.PullRequest(t, repo, number)
	if !pr.Merged || pr.MergeCommit == "" {
		t.Fatalf("forgetest: pull request %d of %s is not merged after merging: %+v", number, repo, pr)
	}
	return pr.MergeCommit
}

// ClosePR closes pull request number without merging it.
func (f *Forge) ClosePR(t testing.TB, repo string, number int64) {
	t.Helper()
	f.MustDo(t, http.MethodPatch, fmt.Sprintf("/repos/%s/pulls/%d", f.fullName(repo), number),
		map[string]any{"state": "closed"}, nil)
}

// CreateWebhook makes Gitea deliver repo's events of the given types (such
// as "pull_request" or "push") to url as JSON, signed with secret (HMAC-SHA256
// in X-Gitea-Signature and X-Hub-Signature-256).
func (f *Forge) CreateWebhook(t testing.TB, repo, url, secret string, events ...string) {
	t.Helper()
	f.MustDo(t, http.MethodPost, "/repos/"+f.fullName(repo)+"/hooks", map[string]any{
		"type":   "gitea",
		"active": true,
		"events": events,
		"config": map[string]string{"url": url, "content_type": "json", "secret": secret},
	}, nil)
}
