package gittest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const zeroID = "0000000000000000000000000000000000000000"

// DefaultAuthor signs commits and tags when a Change names no author.
const DefaultAuthor = "Test Author <author@example.com>"

// Epoch is the date of the first commit or tag in every Repo. Each later
// commit or tag is one minute newer, so ordering by date is deterministic.
var Epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Repo is a bare repository served by a Server. Its helpers write with git
// plumbing directly into the bare repository; a ref update is a
// compare-and-swap, exactly like a push.
type Repo struct {
	// Name is the repository name without ".git".
	Name string
	// Dir is the bare repository directory.
	Dir string
	// URL is the HTTP clone URL.
	URL string

	t   testing.TB
	env []string

	mu    sync.Mutex
	ticks int
}

// Change is one commit to apply to a branch.
type Change struct {
	Branch  string
	Message string
	// Files to write, path -> content.
	Files map[string]string
	// Delete lists paths to remove.
	Delete []string
	// Symlinks to write, path -> link target.
	Symlinks map[string]string
	// Gitlinks records submodule commits, path -> commit id (the
	// .gitmodules file goes in Files).
	Gitlinks map[string]string
	// Author as "Name <email>"; DefaultAuthor when empty.
	Author string
	// When is the author and committer date; the repo clock when zero.
	When time.Time
}

// InitRepo creates an empty bare repository whose HEAD points at main.
func (s *Server) InitRepo(name string) *Repo {
	s.t.Helper()
	name = strings.TrimSuffix(name, ".git")
	r := &Repo{
		Name: name,
		Dir:  filepath.Join(s.Root, name+".git"),
		URL:  s.RepoURL(name),
		t:    s.t,
		env:  isolatedGitEnv(s.t),
	}
	if _, err := r.git(nil, nil, "init", "--bare", "--initial-branch=main", r.Dir); err != nil {
		s.t.Fatalf("gittest: %v", err)
	}
	return r
}

// CreateRepo creates a repository whose main branch holds one commit with
// files.
func (s *Server) CreateRepo(name string, files map[string]string) *Repo {
	s.t.Helper()
	r := s.InitRepo(name)
	r.Commit("main", "initial commit", files)
	return r
}

// Commit commits files to branch (creating it as a root commit if missing)
// and returns the commit id.
func (r *Repo) Commit(branch, message string, files map[string]string) string {
	r.t.Helper()
	id, err := r.Apply(Change{Branch: branch, Message: message, Files: files})
	if err != nil {
		r.t.Fatalf("gittest: %v", err)
	}
	return id
}

// Apply commits c and returns the commit id. It fails, rather than
// overwriting, when the branch moved concurrently.
func (r *Repo) Apply(c Change) (string, error) {
	if c.Branch == "" {
		return "", fmt.Errorf("change without branch")
	}
	ref := "refs/heads/" + c.Branch
	parent, _ := r.git(nil, nil, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
	index := filepath.Join(r.t.TempDir(), "index")
	env := []string{"GIT_INDEX_FILE=" + index}
	if parent != "" {
		if _, err := r.git(env, nil, "read-tree", parent); err != nil {
			return "", err
		}
	}
	info, err := r.indexInfo(c)
	if err != nil {
		return "", err
	}
	if _, err := r.git(env, strings.NewReader(info), "update-index", "--index-info"); err != nil {
		return "", err
	}
	tree, err := r.git(env, nil, "write-tree")
	if err != nil {
		return "", err
	}
	args := []string{"commit-tree", tree, "-m", messageOr(c.Message, "update "+c.Branch)}
	if parent != "" {
		args = append(args, "-p", parent)
	}
	id, err := r.git(r.identity(c.Author, c.When), nil, args...)
	if err != nil {
		return "", err
	}
	old := parent
	if old == "" {
		old = zeroID
	}
	if _, err := r.git(nil, nil, "update-ref", ref, id, old); err != nil {
		return "", err
	}
	return id, nil
}

// indexInfo hashes the files of c into the object store and returns
// update-index --index-info input that adds them and removes deletions.
func (r *Repo) indexInfo(c Change) (string, error) {
	contents := map[string]string{}
	modes := map[string]string{}
	for p, content := range c.Files {
		contents[p], modes[p] = content, "100644"
	}
	for p, target := range c.Symlinks {
		contents[p], modes[p] = target, "120000"
	}
	paths := make([]string, 0, len(contents))
	for p := range contents {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	if len(paths) > 0 {
		dir := r.t.TempDir()
		var list strings.Builder
		for i, p := range paths {
			f := filepath.Join(dir, strconv.Itoa(i))
			if err := os.WriteFile(f, []byte(contents[p]), 0o644); err != nil {
				return "", err
			}
			list.WriteString(f + "\n")
		}
		out, err := r.git(nil, strings.NewReader(list.String()), "hash-object", "-w", "--stdin-paths")
		if err != nil {
			return "", err
		}
		ids := strings.Fields(out)
		if len(ids) != len(paths) {
			return "", fmt.Errorf("hash-object returned %d ids for %d files", len(ids), len(paths))
		}
		for i, p := range paths {
			fmt.Fprintf(&b, "%s %s\t%s\n", modes[p], ids[i], p)
		}
	}
	links := make([]string, 0, len(c.Gitlinks))
	for p := range c.Gitlinks {
		links = append(links, p)
	}
	sort.Strings(links)
	for _, p := range links {
		fmt.Fprintf(&b, "160000 %s\t%s\n", c.Gitlinks[p], p)
	}
	for _, p := range c.Delete {
		fmt.Fprintf(&b, "0 %s\t%s\n", zeroID, p)
	}
	return b.String(), nil
}

// Branch creates or moves branch name to rev.
func (r *Repo) Branch(name, rev string) {
	r.t.Helper()
	r.must("update-ref", "refs/heads/"+name, r.Resolve(rev))
}

// Tag creates a lightweight tag.
func (r *Repo) Tag(name, rev string) {
	r.t.Helper()
	r.must("update-ref", "refs/tags/"+name, r.Resolve(rev))
}

// AnnotatedTag creates an annotated tag dated by the repo clock.
func (r *Repo) AnnotatedTag(name, rev, message string) {
	r.t.Helper()
	if _, err := r.git(r.identity("", time.Time{}), nil, "tag", "-a", "-m", message, name, r.Resolve(rev)); err != nil {
		r.t.Fatalf("gittest: %v", err)
	}
}

// Resolve returns the commit id a rev (branch, tag or id) points at.
func (r *Repo) Resolve(rev string) string {
	r.t.Helper()
	return r.must("rev-parse", "--verify", rev+"^{commit}")
}

// Head returns the commit id at the tip of branch.
func (r *Repo) Head(branch string) string {
	r.t.Helper()
	return r.Resolve("refs/heads/" + branch)
}

// CommitCount returns the number of commits reachable from branch.
func (r *Repo) CommitCount(branch string) int {
	r.t.Helper()
	n, err := strconv.Atoi(r.must("rev-list", "--count", "refs/heads/"+branch))
	if err != nil {
		r.t.Fatalf("gittest: %v", err)
	}
	return n
}

// Subjects returns the commit subjects on branch, newest first.
func (r *Repo) Subjects(branch string) []string {
	r.t.Helper()
	return strings.Split(r.must("log", "--format=%s", "refs/heads/"+branch), "\n")
}

// ReadFile returns the content of path at rev.
func (r *Repo) ReadFile(rev, path string) string {
	r.t.Helper()
	return r.must("show", rev+":"+path)
}

// HasFile reports whether path exists at rev.
func (r *Repo) HasFile(rev, path string) bool {
	_, err := r.git(nil, nil, "cat-file", "-e", rev+":"+path)
	return err == nil
}

// BranchExists reports whether branch exists.
func (r *Repo) BranchExists(branch string) bool {
	_, err := r.git(nil, nil, "rev-parse", "--verify", "--quiet", "refs/heads/"+branch)
	return err == nil
}

func (r *Repo) must(args ...string) string {
	r.t.Helper()
	out, err := r.git(nil, nil, args...)
	if err != nil {
		r.t.Fatalf("gittest: %v", err)
	}
	return out
}

// identity returns author and committer env for a new object, taking the
// next tick of the repo clock when when is zero.
func (r *Repo) identity(author string, when time.Time) []string {
	if when.IsZero() {
		r.mu.Lock()
		when = Epoch.Add(time.Duration(r.ticks) * time.Minute)
		r.ticks++
		r.mu.Unlock()
	}
	name, email := splitIdent(messageOr(author, DefaultAuthor))
	date := when.Format(time.RFC3339)
	return []string{
		"GIT_AUTHOR_NAME=" + name, "GIT_AUTHOR_EMAIL=" + email, "GIT_AUTHOR_DATE=" + date,
		"GIT_COMMITTER_NAME=" + name, "GIT_COMMITTER_EMAIL=" + email, "GIT_COMMITTER_DATE=" + date,
	}
}

func splitIdent(s string) (name, email string) {
	name, rest, ok := strings.Cut(s, "<")
	if !ok {
		return strings.TrimSpace(s), ""
	}
	return strings.TrimSpace(name), strings.TrimSuffix(strings.TrimSpace(rest), ">")
}

func messageOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (r *Repo) git(env []string, stdin *strings.Reader, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Env = append(append(os.Environ(), r.env...), env...)
	if r.Dir != "" && args[0] != "init" {
		cmd.Env = append(cmd.Env, "GIT_DIR="+r.Dir)
	}
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}
