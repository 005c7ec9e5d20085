package gittest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func gitCmd(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), isolatedGitEnv(t)...)
	cmd.Env = append(cmd.Env, "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@b", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@b")
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func TestRepoHelpers(t *testing.T) {
	s := NewServer(t)
	r := s.CreateRepo("app", map[string]string{"README.md": "hi", "dir/a.yaml": "a: 1"})
	second := r.Commit("main", "second", map[string]string{"dir/b.yaml": "b: 1"})
	if got := r.CommitCount("main"); got != 2 {
		t.Fatalf("CommitCount = %d, want 2", got)
	}
	if got := r.Head("main"); got != second {
		t.Fatalf("Head = %s, want %s", got, second)
	}
	r.Tag("v1.0.0", second)
	r.AnnotatedTag("v1.1.0", "main", "release")
	if got := r.Resolve("v1.1.0"); got != second {
		t.Fatalf("annotated tag resolves to %s, want %s", got, second)
	}
	r.Branch("feature", "main")
	if _, err := r.Apply(Change{Branch: "feature", Delete: []string{"README.md"}, Message: "rm"}); err != nil {
		t.Fatal(err)
	}
	if got := r.Subjects("feature"); strings.Join(got, ",") != "rm,second,initial commit" {
		t.Fatalf("Subjects = %v", got)
	}
	if got := r.ReadFile("main", "dir/a.yaml"); got != "a: 1" {
		t.Fatalf("ReadFile = %q", got)
	}
	if !r.BranchExists("feature") || r.BranchExists("nope") {
		t.Fatal("BranchExists is wrong")
	}
	// Dates tick one minute per object, so ordering is deterministic.
	first, _ := r.git(nil, nil, "log", "-1", "--format=%cI", r.Resolve("main~1"))
	if first != "2024-01-01T00:00:00+00:00" {
		t.Fatalf("first commit date = %s", first)
	}
}

func TestHTTPCloneAndPush(t *testing.T) {
	tests := []struct {
		name       string
		opts       []Option
		url        func(s *Server) string
		wantClone  bool
		wantPush   bool
		wantDenied bool
	}{
		{name: "anonymous read-only", url: func(s *Server) string { return s.RepoURL("app") }, wantClone: true},
		{name: "push enabled", opts: []Option{WithPush()}, url: func(s *Server) string { return s.RepoURL("app") }, wantClone: true, wantPush: true},
		{
			name: "auth without credentials", opts: []Option{WithBasicAuth("u", "p")},
			url: func(s *Server) string { return s.RepoURL("app") }, wantDenied: true,
		},
		{
			name: "auth with token", opts: []Option{WithBasicAuth("x-token", "t0k"), WithPush()},
			url: func(s *Server) string {
				return strings.Replace(s.RepoURL("app"), "http://", "http://x-token:t0k@", 1)
			},
			wantClone: true, wantPush: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer(t, tt.opts...)
			r := s.CreateRepo("app", map[string]string{"a.txt": "a"})
			dir := filepath.Join(t.TempDir(), "clone")
			out, err := gitCmd(t, "", "clone", tt.url(s), dir)
			if (err == nil) != tt.wantClone {
				t.Fatalf("clone err = %v (%s), want success %v", err, out, tt.wantClone)
			}
			// The git client always tries without credentials first, so
			// only the refusal case is checked.
			if tt.wantDenied && s.Stats().Denied == 0 {
				t.Fatal("no request was denied")
			}
			if !tt.wantClone {
				return
			}
			if err := os.WriteFile(filepath.Join(dir, "b.txt"), []byte("b"), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := gitCmd(t, dir, "add", "."); err != nil {
				t.Fatal(out)
			}
			if out, err := gitCmd(t, dir, "commit", "-m", "from clone"); err != nil {
				t.Fatal(out)
			}
			_, err = gitCmd(t, dir, "push", "origin", "HEAD:main")
			if (err == nil) != tt.wantPush {
				t.Fatalf("push err = %v, want success %v", err, tt.wantPush)
			}
			want := 1
			if tt.wantPush {
				want = 2
			}
			if got := r.CommitCount("main"); got != want {
				t.Fatalf("CommitCount = %d, want %d", got, want)
			}
		})
	}
}

func TestStats(t *testing.T) {
	s := NewServer(t)
	s.CreateRepo("app", map[string]string{"a": "a"})
	if out, err := gitCmd(t, "", "-c", "protocol.version=0", "ls-remote", s.RepoURL("app")); err != nil {
		t.Fatal(out)
	}
	if got := s.Stats(); got.RefLists != 1 || got.Fetches != 0 {
		t.Fatalf("after ls-remote: %+v", got)
	}
	if out, err := gitCmd(t, "", "clone", s.RepoURL("app"), filepath.Join(t.TempDir(), "c")); err != nil {
		t.Fatal(out)
	}
	if got := s.Stats(); got.Fetches == 0 {
		t.Fatalf("after clone: %+v", got)
	}
	s.ResetStats()
	if got := s.Stats(); got != (Stats{}) {
		t.Fatalf("after reset: %+v", got)
	}
}

func TestSSH(t *testing.T) {
	s := NewServer(t)
	r := s.CreateRepo("app", map[string]string{"a": "a"})
	priv, pub := GenerateKey(t)
	ss := s.StartSSH(pub)
	if !strings.HasPrefix(ss.RepoURL("app"), "ssh://git@127.0.0.1:") {
		t.Fatalf("RepoURL = %s", ss.RepoURL("app"))
	}

	dial := func(key []byte) (*ssh.Client, error) {
		signer, err := ssh.ParsePrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return ssh.Dial("tcp", ss.Addr, &ssh.ClientConfig{
			User:            "git",
			Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
			HostKeyCallback: ssh.FixedHostKey(ss.HostKey),
		})
	}

	client, err := dial(priv)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Start("git-upload-pack '/app.git'"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	// The first pkt-line of the advertisement names HEAD's commit.
	if !strings.Contains(line, r.Head("main")) {
		t.Fatalf("advertisement %q does not name %s", line, r.Head("main"))
	}
	_ = sess.Close()

	other, _ := GenerateKey(t)
	if c, err := dial(other); err == nil {
		c.Close()
		t.Fatal("unauthorized key was accepted")
	}

	sess2, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess2.Run("git-receive-pack '/app.git'"); err == nil {
		t.Fatal("receive-pack ran without WithPush")
	}
	if _, _, err := ss.parseCommand("rm -rf /"); err == nil {
		t.Fatal("arbitrary command accepted")
	}
}
