package demo

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// gitServer serves the bare repositories under root over smart HTTP with
// the real `git http-backend`, pushes allowed, on 127.0.0.1.
type gitServer struct {
	url  string
	root string
	env  []string // isolates every git process from the user's git config
	srv  *http.Server
	git  string
}

func startGitServer(dir string) (*gitServer, error) {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("the demo's git server needs the git binary: %w", err)
	}
	root := filepath.Join(dir, "repos")
	home := filepath.Join(dir, "git-home")
	for _, d := range []string{root, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("creating %s: %w", d, err)
		}
	}
	s := &gitServer{root: root, git: gitBin, env: []string{"HOME=" + home, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0"}}
	backend := &cgi.Handler{
		Path:   gitBin,
		Args:   []string{"http-backend"},
		Dir:    root,
		Stderr: io.Discard,
		Env: append(append([]string(nil), s.env...),
			"GIT_PROJECT_ROOT="+root,
			"GIT_HTTP_EXPORT_ALL=1",
			// http-backend allows pushes only from authenticated users
			// unless told otherwise; the demo has no users.
			"GIT_CONFIG_COUNT=1",
			"GIT_CONFIG_KEY_0=http.receivepack",
			"GIT_CONFIG_VALUE_0=true",
		),
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the git server: %w", err)
	}
	s.url = "http://" + l.Addr().String()
	s.srv = &http.Server{Handler: backend}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

func (s *gitServer) close() { _ = s.srv.Close() }

// repoURL is the clone URL of the named repository.
func (s *gitServer) repoURL(name string) string { return s.url + "/" + name + ".git" }

func (s *gitServer) bare(name string) string { return filepath.Join(s.root, name+".git") }

// createRepo makes a bare repository whose main branch holds one commit
// with files, written through a throw-away work tree like a user would.
func (s *gitServer) createRepo(name string, files map[string]string) error {
	if _, err := s.run("", "init", "--quiet", "--bare", "--initial-branch=main", s.bare(name)); err != nil {
		return err
	}
	work, err := os.MkdirTemp(s.root, "seed-")
	if err != nil {
		return fmt.Errorf("creating a work tree: %w", err)
	}
	defer func() { _ = os.RemoveAll(work) }()
	if _, err := s.run(work, "init", "--quiet", "--initial-branch=main"); err != nil {
		return err
	}
	for path, content := range files {
		p := filepath.Join(work, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	for _, args := range [][]string{
		{"add", "--all"},
		{"-c", "user.name=Railyard demo", "-c", "user.email=demo@railyard.invalid", "commit", "--quiet", "-m", "initial commit"},
		{"push", "--quiet", s.bare(name), "main"},
	} {
		if _, err := s.run(work, args...); err != nil {
			return err
		}
	}
	return nil
}

// head returns the commit a branch points at ("" when it does not exist).
func (s *gitServer) head(repo, branch string) string {
	out, err := s.run("", "--git-dir", s.bare(repo), "rev-parse", "--verify", "--quiet", "refs/heads/"+branch)
	if err != nil {
		return ""
	}
	return out
}

// readFile returns a file of a branch.
func (s *gitServer) readFile(repo, branch, path string) (string, error) {
	return s.run("", "--git-dir", s.bare(repo), "show", "refs/heads/"+branch+":"+path)
}

func (s *gitServer) run(dir string, args ...string) (string, error) {
	cmd := exec.Command(s.git, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), s.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}
